import { createHash } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { Clock } from '../../clock/clock';
import { Transactions } from '../../database/transactions';
import { BadUserInputError } from '../../graphql/graphql-errors';
import type { AuditActor } from '../../settings/audit-log/audit-actor';
import { AuditKind } from '../../settings/audit-log/audit-kind';
import { AuditLog, fieldChange } from '../../settings/audit-log/audit-log.service';
import { writeAdminChange } from '../rendering/sources/database/admin-change';
import { DatabaseTemplateSource } from '../rendering/sources/database/database-template-source';
import { MailBrandingEntity } from '../rendering/sources/database/mail-branding.entity';
import { MailBrandingModel, MailLogoImageModel } from './mail-branding.model';
import { LOGO_MAX_BYTES, UpdateMailBrandingInput } from './update-mail-branding.input';

/** The stored fields, as updateMailBranding names them (the image: its type and data). */
type Stored = Pick<MailBrandingEntity, 'productName' | 'logoUrl' | 'logoType' | 'logoData' | 'accentColor' | 'footer' | 'helpLink'>;
const TEXT_FIELDS = ['productName', 'logoUrl', 'accentColor', 'footer', 'helpLink'] as const;
const NONE: Stored = { productName: null, logoUrl: null, logoType: null, logoData: null, accentColor: null, footer: null, helpLink: null };

/** The image's type from its first bytes: PNG, JPEG or GIF (no SVG: it may hold scripts and links). */
function imageType(data: Buffer): 'image/png' | 'image/jpeg' | 'image/gif' | undefined {
  if (data.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'image/png';
  if (data[0] === 0xff && data[1] === 0xd8 && data[2] === 0xff) return 'image/jpeg';
  if (/^GIF8[79]a/.test(data.subarray(0, 6).toString('latin1'))) return 'image/gif';
  return undefined;
}

/** An image as the audit log tells it: its type, size and SHA-256 (never its bytes). */
const imageText = (type: string | null, data: string | null) => {
  if (!type || !data) return null;
  const bytes = Buffer.from(data, 'base64');
  return `${type}, ${bytes.length} bytes, sha256 ${createHash('sha256').update(bytes).digest('hex')}`;
};

/**
 * The mails' branding (mail_branding, one row): changed through GraphQL with
 * its audit entry in one transaction, then read by the template source at once
 * (other processes within SETTINGS_REFRESH_INTERVAL_MS): the next mail shows it.
 */
@Injectable()
export class MailBrandingService {
  private readonly logger = new Logger('MailBranding');

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly transactions: Transactions,
    private readonly clock: Clock,
    private readonly audit: AuditLog,
    private readonly source: DatabaseTemplateSource,
  ) {}

  async get(): Promise<MailBrandingModel> {
    return modelOf(await this.dataSource.getRepository(MailBrandingEntity).findOneBy({ id: 1 }));
  }

  /** A partial update (absent keeps, null or "" clears); a logo URL and a logo image replace each other. */
  async update(input: UpdateMailBrandingInput, actor: AuditActor): Promise<MailBrandingModel> {
    const given = (value: string | null | undefined) => value !== undefined;
    if (input.logoUrl && input.logoImage) throw BadUserInputError.field('logoImage', 'give a logo URL or a logo image, not both');
    let image: { type: string; data: string } | null | undefined;
    if (given(input.logoImage)) {
      if (!input.logoImage) image = null;
      else {
        const bytes = Buffer.from(input.logoImage, 'base64');
        if (bytes.length > LOGO_MAX_BYTES) throw BadUserInputError.field('logoImage', `must be an image of at most ${LOGO_MAX_BYTES} bytes`);
        const type = imageType(bytes);
        if (!type) throw BadUserInputError.field('logoImage', 'must be a PNG, JPEG or GIF image');
        image = { type, data: bytes.toString('base64') };
      }
    }
    const changed = await writeAdminChange(this.transactions, this.source, (manager) => this.write(manager, input, image, actor));
    if (changed) this.logger.log(`mail branding changed by ${actor.id}`);
    return this.get();
  }

  /** True when something changed, else undefined. */
  private async write(manager: EntityManager, input: UpdateMailBrandingInput, image: { type: string; data: string } | null | undefined, actor: AuditActor): Promise<true | undefined> {
    const row = await manager.getRepository(MailBrandingEntity).findOneBy({ id: 1 });
    const current: Stored = row ? { ...NONE, ...pick(row) } : NONE;
    const next: Stored = { ...current };
    for (const field of TEXT_FIELDS) if (input[field] !== undefined) next[field] = input[field] || null;
    if (image !== undefined) Object.assign(next, { logoType: image?.type ?? null, logoData: image?.data ?? null });
    // One logo: a URL given clears the image, an image given clears the URL.
    if (input.logoUrl) Object.assign(next, { logoType: null, logoData: null });
    if (image) next.logoUrl = null;
    const fields = [
      ...TEXT_FIELDS.filter((f) => next[f] !== current[f]).map((f) => fieldChange(f, current[f], next[f])),
      ...(next.logoData !== current.logoData || next.logoType !== current.logoType ? [fieldChange('logoImage', imageText(current.logoType, current.logoData), imageText(next.logoType, next.logoData))] : []),
    ];
    if (!fields.length) return undefined;
    const at = this.clock.date();
    const stored = { ...next, revision: (row?.revision ?? 0) + 1, updatedAt: at, updatedBy: actor.id, updatedByName: actor.name };
    if (row) await manager.update(MailBrandingEntity, { id: 1 }, stored);
    else await manager.insert(MailBrandingEntity, { id: 1, ...stored });
    await this.audit.record(manager, { kind: AuditKind.MAIL_BRANDING, target: 'mailBranding', actor, at, fields });
    return true;
  }
}

function pick(row: MailBrandingEntity): Stored {
  const { productName, logoUrl, logoType, logoData, accentColor, footer, helpLink } = row;
  return { productName, logoUrl, logoType, logoData, accentColor, footer, helpLink };
}

function modelOf(row: MailBrandingEntity | null): MailBrandingModel {
  const image = row?.logoType && row.logoData ? Buffer.from(row.logoData, 'base64') : undefined;
  return Object.assign(new MailBrandingModel(), {
    productName: row?.productName ?? null,
    logoUrl: row?.logoUrl ?? null,
    logoImage: image ? Object.assign(new MailLogoImageModel(), { contentType: row!.logoType, size: image.length, sha256: createHash('sha256').update(image).digest('hex') }) : null,
    accentColor: row?.accentColor ?? null,
    footer: row?.footer ?? null,
    helpLink: row?.helpLink ?? null,
    updatedAt: row?.updatedAt ?? null,
    updatedBy: row?.updatedBy ?? null,
    updatedByName: row?.updatedByName ?? null,
  });
}

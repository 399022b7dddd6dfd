import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { Clock, type Timer } from '../../../../clock/clock';
import { HeraldConfig } from '../../../../config/herald-config';
import type { NotificationType } from '../../../../event-types/notification-type';
import { FileTemplateSource } from '../../file-template-source';
import { type LogoImage, type MailBranding, NO_BRANDING } from '../../mail-branding';
import { DEFAULT_SUBJECT, type TemplateName, type TemplateSource } from '../../template-source';
import { MailBrandingEntity } from './mail-branding.entity';
import { MailTemplateVersionEntity } from './mail-template-version.entity';

/** The layout's type, as admins name it (the other types are NotificationType's). */
export const LAYOUT = 'LAYOUT';

/** The parts an admin may have changed: null is Herald's own. */
export interface TemplateOverride {
  subject: string | null;
  html: string | null;
  text: string | null;
}

const key = (type: string, language: string) => `${type}\n${language}`;
const typeOf = (name: TemplateName) => (name === 'layout' ? LAYOUT : name);

/** The latest version of each type and language (the ones in effect), or of one. */
export async function latestVersions(manager: EntityManager, only?: { type: string; language: string }): Promise<MailTemplateVersionEntity[]> {
  const q = manager.getRepository(MailTemplateVersionEntity).createQueryBuilder('v');
  q.where((qb) => {
    const latest = qb.subQuery().select('MAX(w.version)').from(MailTemplateVersionEntity, 'w').where('w.type = v.type AND w.language = v.language').getQuery();
    return `v.version = ${latest}`;
  });
  if (only) q.andWhere('v.type = :type AND v.language = :language', only);
  return q.getMany();
}

/** The branding as stored (Herald's own when no row). */
export function brandingFrom(row: MailBrandingEntity | null): MailBranding {
  if (!row) return NO_BRANDING;
  const logo = row.logoUrl
    ? { url: row.logoUrl }
    : row.logoType && row.logoData
      ? { image: { contentType: row.logoType as LogoImage['contentType'], data: Buffer.from(row.logoData, 'base64') } }
      : null;
  return { productName: row.productName, logo, accentColor: row.accentColor, footer: row.footer, helpLink: row.helpLink };
}

/**
 * Templates and branding as admins set them (mail_template_versions, mail_branding)
 * over Herald's files: a part an admin changed replaces the file's in that
 * language; messages are the files'. Read at start, read again at once after a
 * change made here (`reload`), and every SETTINGS_REFRESH_INTERVAL_MS when the
 * database says another process changed something (as settings are): each change
 * seen is a new `version`, so the renderer compiles afresh and the composer drops
 * the mails it composed before.
 */
@Injectable()
export class DatabaseTemplateSource implements TemplateSource, OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('MailTemplates');
  readonly defaults = new FileTemplateSource();
  version = 1;
  private overrides = new Map<string, TemplateOverride>();
  private currentBranding: MailBranding = NO_BRANDING;
  /** What the database said last (the latest version's id, the branding's revision). */
  private revision = '';
  /** What is in effect, to tell a change from a read that found the same (nothing set: Herald's own). */
  private snapshot = JSON.stringify([[], null]);
  private reading: Promise<void> = Promise.resolve();
  private timer?: Timer;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly config: HeraldConfig,
    private readonly clock: Clock,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.reload();
    this.timer = this.clock.every(this.config.settingsRefreshIntervalMs, () => void this.refresh());
  }

  onModuleDestroy(): void {
    this.timer?.cancel();
  }

  template(name: TemplateName, language: string, part: 'html' | 'text'): string {
    return this.overrides.get(key(typeOf(name), language))?.[part] ?? this.defaults.template(name, language, part);
  }

  subject(type: NotificationType, language: string): string {
    return this.overrides.get(key(type, language))?.subject ?? DEFAULT_SUBJECT;
  }

  messages(type: NotificationType, language: string): Readonly<Record<string, string>> {
    return this.defaults.messages(type, language);
  }

  branding(): MailBranding {
    return this.currentBranding;
  }

  /** The parts an admin changed of a type's (or LAYOUT's) template in a language, as this process knows them. */
  override(type: string, language: string): TemplateOverride | undefined {
    return this.overrides.get(key(type, language));
  }

  /** Reads again when the database says something changed (another process's change). */
  async refresh(): Promise<void> {
    try {
      if ((await this.readRevision()) !== this.revision) await this.reload();
    } catch (error) {
      this.logger.warn(`could not re-read the mail templates: ${(error as Error).message}`);
    }
  }

  /** Reads every template in effect and the branding; a new version if anything changed. One read at a time. */
  reload(): Promise<void> {
    const next = this.reading.then(() => this.read());
    this.reading = next.catch(() => undefined);
    return next;
  }

  private async read(): Promise<void> {
    const manager = this.dataSource.manager;
    const [rows, brandingRow] = await Promise.all([latestVersions(manager), manager.getRepository(MailBrandingEntity).findOneBy({ id: 1 })]);
    const overrides = new Map<string, TemplateOverride>();
    for (const row of rows) {
      if (row.subject !== null || row.html !== null || row.text !== null) overrides.set(key(row.type, row.language), { subject: row.subject, html: row.html, text: row.text });
    }
    const snapshot = JSON.stringify([[...overrides].sort(([a], [b]) => a.localeCompare(b)), brandingRow && { ...brandingRow, updatedAt: undefined }]);
    this.revision = revisionOf(Math.max(0, ...rows.map((r) => r.id)), brandingRow?.revision ?? 0);
    if (snapshot === this.snapshot) return;
    this.snapshot = snapshot;
    this.overrides = overrides;
    this.currentBranding = brandingFrom(brandingRow);
    this.version++;
    this.logger.log(`admins' mail templates or branding read: version ${this.version} from now on`);
  }

  private async readRevision(): Promise<string> {
    const manager = this.dataSource.manager;
    const [latest, branding] = await Promise.all([
      manager.getRepository(MailTemplateVersionEntity).createQueryBuilder('v').select('MAX(v.id)', 'id').getRawOne<{ id: number | string | null }>(),
      manager.getRepository(MailBrandingEntity).findOne({ where: { id: 1 }, select: { id: true, revision: true } }),
    ]);
    return revisionOf(Number(latest?.id ?? 0), branding?.revision ?? 0);
  }
}

const revisionOf = (latestId: number, brandingRevision: number) => `${latestId}/${brandingRevision}`;

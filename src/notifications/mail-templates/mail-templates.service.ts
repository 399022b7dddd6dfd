import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { Clock } from '../../clock/clock';
import { Transactions } from '../../database/transactions';
import type { NotifiedEvent } from '../../event-types/notification-type';
import { allEventTypes } from '../../event-types/registry';
import { LANGUAGES } from '../../i18n/languages';
import { BadUserInputError, type FieldProblem, NotFoundError } from '../../graphql/graphql-errors';
import type { AuditActor } from '../../settings/audit-log/audit-actor';
import type { AuditFieldChange } from '../../settings/audit-log/audit-entry.entity';
import { AuditKind } from '../../settings/audit-log/audit-kind';
import { AuditLog, fieldChange } from '../../settings/audit-log/audit-log.service';
import { MailRenderer } from '../rendering/mail-renderer';
import { writeAdminChange } from '../rendering/sources/database/admin-change';
import { DatabaseTemplateSource, LAYOUT, latestVersions, type TemplateOverride } from '../rendering/sources/database/database-template-source';
import { type MailTemplateChange as StoredChange, MailTemplateVersionEntity } from '../rendering/sources/database/mail-template-version.entity';
import { templateProblems, type TemplatePart } from '../rendering/template-rules';
import { DEFAULT_SUBJECT } from '../rendering/template-source';
import { exampleEventsOf, flatten, rulesOf, variablesOf } from '../rendering/template-variables';
import { MAIL_TEMPLATE_TYPES, type MailTemplateType, templateNameOf } from './mail-template-type';
import { MailTemplateChange, MailTemplateModel, MailTemplateVariableModel, MailTemplateVersionModel } from './mail-template.model';

/** A template's three parts as they are written (the layout has no subject). */
export interface TemplateTexts {
  subject: string | null;
  html: string;
  text: string;
}

const PARTS = ['subject', 'html', 'text'] as const;
const NONE: TemplateOverride = { subject: null, html: null, text: null };
/** What the preferences link is, when a template is tried: found in the output, it is there. */
const LINK_CHECK = 'https://herald.invalid/preferences-link-check';
/** The console a template is tried with (its links). */
const TRY_GATEWAY = 'https://console.example.com';

/**
 * Admins' mail templates: each type's (and the layout's) subject, HTML and text
 * per language, saved as versions (mail_template_versions) over Herald's files.
 * A change is checked first (templateProblems, then a render of every example
 * event of the type), written with its audit entry in one transaction, then read
 * by the template source at once — the next mail of this process uses it; other
 * processes read it within SETTINGS_REFRESH_INTERVAL_MS.
 */
@Injectable()
export class MailTemplatesService {
  private readonly logger = new Logger('MailTemplates');

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly transactions: Transactions,
    private readonly clock: Clock,
    private readonly audit: AuditLog,
    private readonly source: DatabaseTemplateSource,
    private readonly renderer: MailRenderer,
  ) {}

  /** Every template (the layout first, then each type) in every language, as in effect now. */
  async list(filter: { type?: MailTemplateType; language?: string } = {}): Promise<MailTemplateModel[]> {
    const rows = await latestVersions(this.dataSource.manager);
    const byKey = new Map(rows.map((r) => [`${r.type}\n${r.language}`, r]));
    return MAIL_TEMPLATE_TYPES.filter((t) => !filter.type || t === filter.type).flatMap((type) =>
      LANGUAGES.filter((l) => !filter.language || l === filter.language).map((language) => this.model(type, language, byKey.get(`${type}\n${language}`))),
    );
  }

  async get(type: MailTemplateType, language: string): Promise<MailTemplateModel> {
    const [row] = await latestVersions(this.dataSource.manager, { type, language });
    return this.model(type, language, row);
  }

  /** Every saved version, newest first. */
  async versions(type: MailTemplateType, language: string): Promise<MailTemplateVersionModel[]> {
    const rows = await this.dataSource.getRepository(MailTemplateVersionEntity).find({ where: { type, language }, order: { version: 'DESC' } });
    return rows.map((row, i) => this.versionModel(row, i === 0));
  }

  /** The parts given replace those in effect; checked first. Nothing to change: no version. */
  async update(input: { type: MailTemplateType; language: string; subject?: string; html?: string; text?: string }, actor: AuditActor): Promise<MailTemplateModel> {
    if (input.type === LAYOUT && input.subject !== undefined) throw BadUserInputError.field('subject', 'the layout has no subject (each type has its own)');
    const given = PARTS.filter((p) => input[p] !== undefined);
    return this.change(input.type, input.language, actor, 'UPDATE', (current) => {
      const next = { ...current };
      for (const part of given) next[part] = input[part] === this.defaultTexts(input.type, input.language)[part] ? null : input[part]!;
      return { next, check: given };
    });
  }

  /** Back to Herald's default (nothing to do when it is). */
  async reset(input: { type: MailTemplateType; language: string }, actor: AuditActor): Promise<MailTemplateModel> {
    return this.change(input.type, input.language, actor, 'RESET', () => ({ next: NONE, check: [] }));
  }

  /** An earlier version, as a new one; checked again (variables and messages may have changed since). */
  async restore(id: string, actor: AuditActor): Promise<MailTemplateModel> {
    const row = await this.dataSource.getRepository(MailTemplateVersionEntity).findOneBy({ id: Number(id) });
    if (!row || !(MAIL_TEMPLATE_TYPES as readonly string[]).includes(row.type) || !(LANGUAGES as readonly string[]).includes(row.language)) throw new NotFoundError('Mail template version', id);
    const restored = { subject: row.subject, html: row.html, text: row.text };
    return this.change(row.type as MailTemplateType, row.language, actor, 'RESTORE', () => ({ next: restored, check: PARTS.filter((p) => restored[p] !== null), restoredFrom: row.version }));
  }

  /**
   * What a template of this type may use, each with its value for the type's
   * example event (the layout: for the examples of every type), in English.
   */
  variables(type: MailTemplateType): MailTemplateVariableModel[] {
    const name = templateNameOf(type);
    const events = name === 'layout' ? allEventTypes().flatMap((d) => exampleEventsOf(d.type)) : exampleEventsOf(name);
    const values = events.map((event) => flatten(this.renderer.contextOf(event, { gatewayUri: TRY_GATEWAY }, { locale: 'en', timeZone: 'UTC' })));
    return variablesOf(name).map((v) => {
      const value = values.map((vs) => vs.get(v.name)).find((x) => x !== undefined);
      const example = value === undefined ? null : typeof value === 'object' ? JSON.stringify(value) : String(value);
      return Object.assign(new MailTemplateVariableModel(), { name: v.name, description: v.description, example, html: !!v.html });
    });
  }

  /**
   * Problems of a template's parts (those in `check`) before they are used: each
   * part's text (templateProblems, with line and column), then the whole template
   * rendered for every example event of its type (the layout: of every type) in
   * its language — it must render, with the preferences link in both parts.
   */
  problems(type: MailTemplateType, language: string, texts: TemplateTexts, check: readonly TemplatePart[]): FieldProblem[] {
    const name = templateNameOf(type);
    const problems: FieldProblem[] = [];
    for (const part of check) {
      const text = texts[part];
      if (text === null) continue;
      for (const p of templateProblems(text, rulesOf(name, part, (t) => this.source.messages(t, language)))) problems.push({ field: part, message: `line ${p.line}, column ${p.column}: ${p.message}` });
    }
    if (problems.length || !check.length) return problems;
    const events: NotifiedEvent[] = name === 'layout' ? allEventTypes().flatMap((d) => exampleEventsOf(d.type)) : exampleEventsOf(name);
    const draft = { name, ...(texts.subject !== null && { subject: texts.subject }), html: texts.html, text: texts.text };
    for (const event of events) {
      const example = `the example event of ${event.history?.deliveredAs ?? event.type}${event.history && name !== 'layout' ? ' (with a history)' : ''}`;
      for (const part of check) {
        try {
          this.renderer.renderDraft(event, { gatewayUri: TRY_GATEWAY, preferencesLink: LINK_CHECK }, { locale: language, timeZone: 'UTC' }, { name, [part]: draft[part as keyof typeof draft] });
        } catch (error) {
          problems.push({ field: part, message: `fails to render ${example}: ${(error as Error).message.split('\n')[0]}` });
        }
      }
      if (problems.length) return problems;
      const mail = this.renderer.renderDraft(event, { gatewayUri: TRY_GATEWAY, preferencesLink: LINK_CHECK }, { locale: language, timeZone: 'UTC' }, draft);
      if (!mail.html.includes(`href="${LINK_CHECK}"`)) problems.push({ field: 'html', message: `the preferences link is missing from ${example} as rendered` });
      if (!mail.text.includes(LINK_CHECK)) problems.push({ field: 'text', message: `the preferences link is missing from ${example} as rendered` });
      if (problems.length) return problems;
    }
    return problems;
  }

  /** A template's texts in effect as this process writes mails now. */
  inEffectNow(type: MailTemplateType, language: string): TemplateTexts {
    return this.inEffect(type, language, this.source.override(type, language));
  }

  /** Herald's own texts of a template (the files), in a language. */
  defaultTexts(type: MailTemplateType, language: string): TemplateTexts {
    const name = templateNameOf(type);
    const files = this.source.defaults;
    return { subject: name === 'layout' ? null : DEFAULT_SUBJECT, html: files.template(name, language, 'html'), text: files.template(name, language, 'text') };
  }

  /** A template's texts in effect: the parts an admin set, Herald's for the others. */
  inEffect(type: MailTemplateType, language: string, stored: TemplateOverride = NONE): TemplateTexts {
    const defaults = this.defaultTexts(type, language);
    return { subject: type === LAYOUT ? null : (stored.subject ?? defaults.subject), html: stored.html ?? defaults.html, text: stored.text ?? defaults.text };
  }

  /**
   * Writes the next version of a template when it changes anything: checked, then
   * with its audit entry in one transaction (versions are numbered per template: two
   * admins saving at once, the second is numbered after the first), then read by the source.
   */
  private async change(
    type: MailTemplateType,
    language: string,
    actor: AuditActor,
    change: StoredChange,
    next: (current: TemplateOverride) => { next: TemplateOverride; check: readonly TemplatePart[]; restoredFrom?: number },
  ): Promise<MailTemplateModel> {
    const written = await writeAdminChange(this.transactions, this.source, (manager) => this.write(manager, type, language, actor, change, next));
    if (written) this.logger.log(`${type} template (${language}) changed by ${actor.id}: version ${written}`);
    return this.get(type, language);
  }

  /** The version written, or undefined when nothing changed. */
  private async write(
    manager: EntityManager,
    type: MailTemplateType,
    language: string,
    actor: AuditActor,
    change: StoredChange,
    next: (current: TemplateOverride) => { next: TemplateOverride; check: readonly TemplatePart[]; restoredFrom?: number },
  ): Promise<number | undefined> {
    const [latest] = await latestVersions(manager, { type, language });
    const current: TemplateOverride = latest ? { subject: latest.subject, html: latest.html, text: latest.text } : NONE;
    const wanted = next(current);
    if (PARTS.every((p) => wanted.next[p] === current[p])) return undefined;
    const before = this.inEffect(type, language, current);
    const after = this.inEffect(type, language, wanted.next);
    const problems = this.problems(type, language, after, wanted.check);
    if (problems.length) throw new BadUserInputError(problems);
    const at = this.clock.date();
    const version = (latest?.version ?? 0) + 1;
    await manager.insert(MailTemplateVersionEntity, {
      type,
      language,
      version,
      change,
      restoredFrom: wanted.restoredFrom ?? null,
      ...wanted.next,
      createdAt: at,
      createdBy: actor.id,
      createdByName: actor.name,
    });
    const fields: AuditFieldChange[] = [
      fieldChange('version', latest?.version ?? 0, version),
      ...PARTS.filter((p) => before[p] !== after[p]).map((p) => fieldChange(p, before[p], after[p])),
      ...(isCustomised(current) !== isCustomised(wanted.next) ? [fieldChange('customised', isCustomised(current), isCustomised(wanted.next))] : []),
      ...(wanted.restoredFrom !== undefined ? [fieldChange('restoredFrom', null, wanted.restoredFrom)] : []),
    ];
    await this.audit.record(manager, { kind: AuditKind.MAIL_TEMPLATE, target: `${type}/${language}`, actor, at, fields });
    return version;
  }

  private model(type: MailTemplateType, language: string, row: MailTemplateVersionEntity | undefined): MailTemplateModel {
    const stored = row ? { subject: row.subject, html: row.html, text: row.text } : NONE;
    return Object.assign(new MailTemplateModel(), {
      type,
      language,
      ...this.inEffect(type, language, stored),
      customised: isCustomised(stored),
      version: row?.version ?? 0,
      updatedAt: row?.createdAt ?? null,
      updatedBy: row?.createdBy ?? null,
      updatedByName: row?.createdByName ?? null,
    });
  }

  private versionModel(row: MailTemplateVersionEntity, current: boolean): MailTemplateVersionModel {
    const stored = { subject: row.subject, html: row.html, text: row.text };
    return Object.assign(new MailTemplateVersionModel(), {
      id: String(row.id),
      type: row.type as MailTemplateType,
      language: row.language,
      version: row.version,
      change: row.change as MailTemplateChange,
      restoredFrom: row.restoredFrom,
      ...this.inEffect(row.type as MailTemplateType, row.language, stored),
      customised: isCustomised(stored),
      current,
      createdAt: row.createdAt,
      createdBy: row.createdBy,
      createdByName: row.createdByName,
    });
  }
}

const isCustomised = (stored: TemplateOverride) => PARTS.some((p) => stored[p] !== null);

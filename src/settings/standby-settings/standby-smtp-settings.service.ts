import { Injectable, Logger } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { In } from 'typeorm';
import { BadUserInputError } from '../../graphql/graphql-errors';
import { type AuditActor } from '../audit-log/audit-actor';
import { AuditKind } from '../audit-log/audit-kind';
import { PropertyEntity } from '../property.entity';
import { SMTP_DEFAULTS, type SmtpSettings } from '../smtp-settings/smtp-settings';
import { SmtpSettingsChangedEvent } from '../smtp-settings/smtp-settings-changed.event';
import { SETTINGS_FIELDS, type SettingsKeyOf, standbyKeyOf, toRowValue } from '../smtp-settings/smtp-settings.keys';
import { auditFields, type SettingsValues, SmtpSettingsService } from '../smtp-settings/smtp-settings.service';
import type { UpdateSmtpSettingsInput } from '../smtp-settings/update-smtp-settings.input';
import { StandbySmtpSettingsChangedEvent } from './standby-smtp-settings-changed.event';

/** The standby's own fields: every one but the console's URL, which is the primary's. */
const OWN_FIELDS = SETTINGS_FIELDS.filter((f) => f !== 'gatewayUri');

/**
 * The standby relay's settings: a second way out (SMTP or Microsoft Graph) with the
 * same fields, validation and encrypted secrets as the primary's, stored under
 * `standby.` in `properties`; used for every mail while the primary's circuit is
 * open (src/email/transports/standby). Unset (no host, or no sender): mail waits for
 * the primary as it always did. Changes are announced with
 * StandbySmtpSettingsChangedEvent and audited as STANDBY_SMTP_SETTINGS. Never seeded
 * from the environment: an admin sets it with updateStandbySmtpSettings.
 */
@Injectable()
export class StandbySmtpSettingsService extends SmtpSettingsService {
  protected override readonly logger = new Logger('StandbySmtpSettings');
  protected override readonly keyOf: SettingsKeyOf = standbyKeyOf;
  protected override readonly auditKind = AuditKind.STANDBY_SMTP_SETTINGS;
  protected override readonly auditTarget = 'standbySmtpSettings';

  override update(input: UpdateSmtpSettingsInput, actor: AuditActor): Promise<SmtpSettings> {
    this.refuseGatewayUri(input);
    return super.update(input, actor);
  }

  override preview(input: UpdateSmtpSettingsInput | undefined): Promise<SmtpSettings> {
    if (input) this.refuseGatewayUri(input);
    return super.preview(input);
  }

  /** Removes the standby (every `standby.` row): mail waits for the primary again while it is down. Audited. */
  async clear(actor: AuditActor): Promise<SmtpSettings> {
    const changed = await this.transactions.run(async (manager) => {
      const current = await this.load(manager);
      const cleared: SettingsValues = { ...SMTP_DEFAULTS, gatewayUri: current.gatewayUri };
      const changed = OWN_FIELDS.filter((f) => toRowValue(cleared[f]) !== toRowValue(current[f]));
      await manager.getRepository(PropertyEntity).delete({ key: In(OWN_FIELDS.map(this.keyOf)) });
      if (changed.length) {
        await this.audit.record(manager, { kind: this.auditKind, target: this.auditTarget, actor, at: this.clock.date(), fields: auditFields(changed, current, cleared) });
      }
      return changed;
    });
    this.cached = await this.load();
    if (changed.length) {
      this.logger.log(`standby relay removed by ${actor.id}`);
      this.announce(this.cached);
    }
    return this.cached;
  }

  /** The primary's settings changed: its gatewayUri is the standby's too, read again at once. */
  @OnEvent(SmtpSettingsChangedEvent.NAME)
  onPrimaryChanged(): Promise<void> {
    return this.refresh();
  }

  protected override announce(settings: SmtpSettings): void {
    this.events.emit(StandbySmtpSettingsChangedEvent.NAME, new StandbySmtpSettingsChangedEvent(settings));
  }

  private refuseGatewayUri(input: UpdateSmtpSettingsInput): void {
    if (input.gatewayUri !== undefined) {
      throw BadUserInputError.field('gatewayUri', "is the console's URL for every mail, whichever relay sends it: set it with updateSmtpSettings");
    }
  }
}

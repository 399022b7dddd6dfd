import { Logger, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { loadSecretKey, SecretCipher } from '@herald/crypto';
import { HeraldConfig } from '../config/herald-config';
import { AuditEntryEntity } from './audit-log/audit-entry.entity';
import { AuditLogResolver } from './audit-log/audit-log.resolver';
import { AuditLog } from './audit-log/audit-log.service';
import { MailDefaultsResolver } from './mail-defaults/mail-defaults.resolver';
import { MailDefaultsService } from './mail-defaults/mail-defaults.service';
import { PropertyEntity } from './property.entity';
import { ReportMailboxSettingsResolver } from './report-mailbox/report-mailbox-settings.resolver';
import { ReportMailboxSettingsService } from './report-mailbox/report-mailbox-settings.service';
import { SettingsSeeder } from './seed/settings-seeder';
import { StandbySmtpSettingsResolver } from './standby-settings/standby-smtp-settings.resolver';
import { StandbySmtpSettingsService } from './standby-settings/standby-smtp-settings.service';
import { SmtpSettingsResolver } from './smtp-settings/smtp-settings.resolver';
import { SmtpSettingsService } from './smtp-settings/smtp-settings.service';

function cipherFrom(config: HeraldConfig): SecretCipher {
  const { key, createdFile } = loadSecretKey(config.secretKey);
  if (createdFile) {
    new Logger('Secrets').warn(
      `generated the secret key ${createdFile}: back it up; without it the stored SMTP password cannot be read`,
    );
  }
  return new SecretCipher(key);
}

/**
 * Owns the SMTP settings (store, validate, encrypt, seed); tells the rest through
 * SmtpSettingsChangedEvent. Talking to the relay is the SMTP gateway's (src/smtp).
 * Also the mail defaults (language, time zone: mail-defaults/), read by the composer,
 * and the audit log (audit-log/): who changed these, or a person's role (users/), and when.
 * And the mailbox bounce reports are read from (report-mailbox/), read by src/bounces.
 * And the standby relay's settings (standby-settings/: the same fields under `standby.`).
 */
@Module({
  imports: [TypeOrmModule.forFeature([PropertyEntity, AuditEntryEntity])],
  providers: [
    { provide: SecretCipher, inject: [HeraldConfig], useFactory: cipherFrom },
    SmtpSettingsService,
    StandbySmtpSettingsService,
    StandbySmtpSettingsResolver,
    SettingsSeeder,
    SmtpSettingsResolver,
    MailDefaultsService,
    MailDefaultsResolver,
    AuditLog,
    AuditLogResolver,
    ReportMailboxSettingsService,
    ReportMailboxSettingsResolver,
  ],
  exports: [SmtpSettingsService, StandbySmtpSettingsService, MailDefaultsService, AuditLog, ReportMailboxSettingsService, SecretCipher],
})
export class SettingsModule {}

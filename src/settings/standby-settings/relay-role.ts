import { registerEnumType } from '@nestjs/graphql';

/** Which of the two ways out: the primary's settings (smtpSettings), or the standby relay's (standbySmtpSettings). */
export enum RelayRole {
  PRIMARY = 'PRIMARY',
  STANDBY = 'STANDBY',
}
registerEnumType(RelayRole, {
  name: 'RelayRole',
  description: 'Which way out: the primary (smtpSettings) or the standby relay (standbySmtpSettings), which carries every mail while the primary is DOWN',
  valuesMap: {
    PRIMARY: { description: 'The primary: smtpSettings, updateSmtpSettings' },
    STANDBY: { description: 'The standby relay: standbySmtpSettings, updateStandbySmtpSettings; used while the primary is DOWN' },
  },
});

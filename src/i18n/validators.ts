import { ValidateBy } from 'class-validator';
import { languageOf, LANGUAGES } from './languages';
import { isTimeZone } from './time-formats';

/** An IANA time zone name that Intl knows ("Europe/Paris", "UTC"). */
export const IsIanaTimeZone = (): PropertyDecorator =>
  ValidateBy({
    name: 'isIanaTimeZone',
    validator: {
      validate: (value: unknown) => typeof value === 'string' && value.length <= 64 && isTimeZone(value),
      defaultMessage: () => 'must be an IANA time zone such as Europe/Paris or America/New_York',
    },
  });

/** A BCP 47 tag of a language Herald writes mails in ("fr", "fr-CA"). */
export const IsMailLanguage = (): PropertyDecorator =>
  ValidateBy({
    name: 'isMailLanguage',
    validator: {
      validate: (value: unknown) => typeof value === 'string' && value.length <= 35 && languageOf(value) !== undefined,
      defaultMessage: () => `must be a language Herald writes mails in: ${LANGUAGES.join(', ')} (a region may follow, e.g. fr-CA)`,
    },
  });

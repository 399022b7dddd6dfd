import { mailLocale, preferredLocale } from './languages';

describe('languages', () => {
  it("take a browser's first language Herald writes, by preference", () => {
    expect(preferredLocale('de-CH, fr-CA;q=0.8, en;q=0.5')).toBe('fr-CA');
    expect(preferredLocale('en;q=0.5, fr;q=0.9')).toBe('fr');
    expect(preferredLocale('fr;q=0, en-gb')).toBe('en-GB');
    expect(preferredLocale('de, *;q=0.1')).toBeUndefined();
    expect(preferredLocale('')).toBeUndefined();
    expect(preferredLocale(undefined)).toBeUndefined();
    expect(preferredLocale(['fr'])).toBeUndefined();
  });

  it("fall back to the admin's default language, then English", () => {
    expect(mailLocale('fr-ca', 'en')).toBe('fr-CA');
    expect(mailLocale('de', 'fr')).toBe('fr');
    expect(mailLocale(undefined, 'de')).toBe('en');
  });
});

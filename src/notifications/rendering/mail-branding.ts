/**
 * What the mails show of the enterprise that sends them, set by admins
 * (updateMailBranding): given to every template as `branding`, used by the
 * default layout. Each field is null until set; with none set, mails are Herald's.
 */
export interface MailBranding {
  /** The product's name (e.g. "ACME Console"), above the heading and as the logo's text. */
  productName: string | null;
  /** The logo: an https URL (the reader's mail client fetches it), or a small image Herald keeps and attaches (CID). */
  logo: { url: string } | { image: LogoImage } | null;
  /** The colour of the layout's band and buttons (#rrggbb). */
  accentColor: string | null;
  /** A line at the bottom of every mail (plain text). */
  footer: string | null;
  /** Where readers get help (an https or mailto link), shown at the bottom. */
  helpLink: string | null;
}

/** A logo Herald keeps (PNG, JPEG or GIF), sent with each mail as an inline attachment. */
export interface LogoImage {
  contentType: 'image/png' | 'image/jpeg' | 'image/gif';
  data: Buffer;
}

/** Herald's own: nothing set. */
export const NO_BRANDING: MailBranding = { productName: null, logo: null, accentColor: null, footer: null, helpLink: null };

/** The Content-ID of the inline logo, as HTML refers to it (`cid:` + this). */
export const LOGO_CID = 'logo@herald';

/** What templates see of the branding (`branding.*`): only what is set (absent otherwise). */
export function brandingVariables(branding: MailBranding): Record<string, string> {
  const variables: Record<string, string> = {};
  if (branding.productName) variables.productName = branding.productName;
  if (branding.logo) variables.logoUrl = 'url' in branding.logo ? branding.logo.url : `cid:${LOGO_CID}`;
  if (branding.accentColor) variables.accentColor = branding.accentColor;
  if (branding.footer) variables.footer = branding.footer;
  if (branding.helpLink) variables.helpLink = branding.helpLink;
  return variables;
}

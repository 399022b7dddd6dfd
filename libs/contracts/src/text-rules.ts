import { buildMessage, IsNotEmpty, IsString, ValidateBy, type ValidationOptions } from 'class-validator';

/**
 * The rules for text that comes into Herald — the wire format, every GraphQL
 * input, the first-start settings seed — in one place, so that every field of
 * the same kind is checked the same way.
 *
 * Control characters are refused everywhere: a NUL cannot be stored by
 * PostgreSQL (and would be stored by SQLite), CR/LF split SMTP commands and mail
 * headers, and the others (ESC, BEL, backspace, DEL, the C1 controls U+0080–U+009F
 * such as CSI) forge or hide text in logs and terminals. Only text that is
 * multi-line by nature (an error message, a log excerpt, a PEM certificate) keeps
 * tab, CR and LF.
 *
 * Where one line is expected (a name, an id, a kind, a step, a user name), the
 * Unicode line and paragraph separators (U+2028, U+2029) are line breaks too, and
 * the bidirectional overrides and isolates (U+202A–U+202E, U+2066–U+2069) are
 * refused: they reorder what is displayed, in a subject as anywhere
 * (`x` RLO `gnp.exe` shows as `xexe.png`). Right-to-left letters are text like
 * any other, and so are the marks LRM/RLM (U+200E, U+200F), which reorder nothing.
 *
 * Every message names what is wrong, never the value: messages end up in API
 * errors, dead-letter headers and logs.
 */

/** C0 controls (U+0000–U+001F), DEL (U+007F) and C1 controls (U+0080–U+009F). */
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
/** The same, less tab, LF and CR. */
const CONTROL_BUT_TAB_AND_LINE_BREAKS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/;
/** CR, LF and the Unicode line and paragraph separators. */
const LINE_BREAK = /[\r\n\u2028\u2029]/;
/** What may not appear in an identifier: white space (which includes CR/LF, U+2028, U+2029) or a control. */
const WHITE_SPACE = /\s/;
/** Bidirectional embeddings, overrides (U+202A–U+202E) and isolates (U+2066–U+2069). */
export const BIDI_CONTROL = /[\u202a-\u202e\u2066-\u2069]/;

export const TEXT_MESSAGES = {
  lineBreak: 'must not contain line breaks',
  control: 'must not contain control characters',
  controlMultiLine: 'must not contain control characters other than tab and line breaks',
  whiteSpace: 'must not contain white space',
  bidi: 'must not contain bidirectional control characters (U+202A–U+202E, U+2066–U+2069)',
} as const;

/** The value (if it is a string) has no line breaks, no other control character and no bidirectional control. */
export function isSingleLineText(value: unknown): boolean {
  return typeof value !== 'string' || !(CONTROL.test(value) || LINE_BREAK.test(value) || BIDI_CONTROL.test(value));
}

/** The value (if it is a string) has no control character other than tab, CR and LF. */
export function isMultiLineText(value: unknown): boolean {
  return typeof value !== 'string' || !CONTROL_BUT_TAB_AND_LINE_BREAKS.test(value);
}

/** The value (if it is a string) has no white space, no control character and no bidirectional control (an identifier's text). */
export function isIdentifierText(value: unknown): boolean {
  return typeof value !== 'string' || !(WHITE_SPACE.test(value) || CONTROL.test(value) || BIDI_CONTROL.test(value));
}

/** A check that says nothing about non-strings: IsString reports those. */
function stringRule(name: string, message: string, test: (value: string) => boolean) {
  return (options?: ValidationOptions): PropertyDecorator =>
    ValidateBy({ name, validator: { validate: (v: unknown) => typeof v !== 'string' || test(v) } }, { message, ...options });
}

/** No CR, LF, U+2028 or U+2029: nothing that could split an SMTP command, a mail header or a displayed line. */
export const HasNoLineBreaks = stringRule('hasNoLineBreaks', TEXT_MESSAGES.lineBreak, (v) => !LINE_BREAK.test(v));

/**
 * No control character other than CR/LF (which HasNoLineBreaks reports with its
 * own message): with both, single-line text has no C0 control and no DEL.
 */
export const HasNoControlCharacters = stringRule('hasNoControlCharacters', TEXT_MESSAGES.control, (v) =>
  !CONTROL.test(v.replace(/[\r\n]/g, '')),
);

/** Tab, CR and LF allowed; no other C0 control, no DEL. */
export const HasNoControlCharactersButLineBreaks = stringRule(
  'hasNoControlCharactersButLineBreaks',
  TEXT_MESSAGES.controlMultiLine,
  (v) => !CONTROL_BUT_TAB_AND_LINE_BREAKS.test(v),
);

/** No white space (space, tab, CR, LF, …). */
export const HasNoWhiteSpace = stringRule('hasNoWhiteSpace', TEXT_MESSAGES.whiteSpace, (v) => !WHITE_SPACE.test(v));

/** No bidirectional embedding, override or isolate: what is shown is what is stored. */
export const HasNoBidiControls = stringRule('hasNoBidiControls', TEXT_MESSAGES.bidi, (v) => !BIDI_CONTROL.test(v));

/**
 * Whether `value` holds at most `max` characters, counted in Unicode code points —
 * as PostgreSQL counts a varchar: a surrogate pair (an emoji) is one, and each
 * variation selector or combining mark one more. (class-validator's MaxLength,
 * validator.js's isLength, takes a character followed by U+FE0E or U+FE0F for one:
 * a value of twice its column's length passed it, and PostgreSQL then refused it.)
 */
export function fitsLength(value: string, max: number): boolean {
  if (value.length <= max) return true; // never more code points than code units
  if (value.length > 2 * max) return false; // never fewer than half as many
  let points = value.length; // less one per surrogate pair
  for (let i = 0; i < value.length - 1; i++) {
    const high = value.charCodeAt(i);
    if (high < 0xd800 || high > 0xdbff) continue;
    const low = value.charCodeAt(i + 1);
    if (low >= 0xdc00 && low <= 0xdfff) {
      points--;
      i++;
    }
  }
  return points <= max;
}

/** At most `maxLength` characters (fitsLength); a non-string fails it, as MaxLength's did. */
const MaxLength = (maxLength: number): PropertyDecorator =>
  ValidateBy({
    name: 'maxLength',
    constraints: [maxLength],
    validator: {
      validate: (v: unknown) => typeof v === 'string' && fitsLength(v, maxLength),
      defaultMessage: buildMessage((each) => `${each}$property must be shorter than or equal to $constraint1 characters`),
    },
  });

export interface TextOptions {
  /** The most characters the field holds. */
  maxLength: number;
  /** Whether "" is a value (e.g. to clear a field); by default it is refused. */
  allowEmpty?: boolean;
}

/** Applies several property decorators as one. */
function all(...rules: PropertyDecorator[]): PropertyDecorator {
  return (target, key) => rules.forEach((rule) => rule(target, key));
}

const presence = (allowEmpty = false): PropertyDecorator[] => [IsString(), ...(allowEmpty ? [] : [IsNotEmpty()])];

/**
 * One line of text (a name, a kind, a step, a user name): a string of at most
 * `maxLength` characters without line breaks, other control characters or
 * bidirectional controls.
 * Combine with IsOptional() for optional fields.
 */
export function SingleLineText({ maxLength, allowEmpty }: TextOptions): PropertyDecorator {
  return all(...presence(allowEmpty), MaxLength(maxLength), HasNoLineBreaks(), HasNoControlCharacters(), HasNoBidiControls());
}

/**
 * Text of several lines (an error message, a log excerpt, a certificate): tab,
 * CR and LF allowed (and U+2028/U+2029 and bidirectional controls, as text
 * quoted from elsewhere may hold them), no other control character.
 */
export function MultiLineText({ maxLength, allowEmpty }: TextOptions): PropertyDecorator {
  return all(...presence(allowEmpty), MaxLength(maxLength), HasNoControlCharactersButLineBreaks());
}

/**
 * An id given by another system (an event, an application, a person, a job):
 * 1–`maxLength` characters without white space, control characters or bidirectional controls.
 */
export function Identifier({ maxLength }: { maxLength: number }): PropertyDecorator {
  return all(IsString(), IsNotEmpty(), MaxLength(maxLength), HasNoWhiteSpace(), HasNoControlCharacters(), HasNoBidiControls());
}

import { IsNotEmpty, IsString, MaxLength, ValidateBy, type ValidationOptions } from 'class-validator';

/**
 * The rules for text that comes into Herald — the wire format, every GraphQL
 * input, the first-start settings seed — in one place, so that every field of
 * the same kind is checked the same way.
 *
 * Control characters are refused everywhere: a NUL cannot be stored by
 * PostgreSQL (and would be stored by SQLite), CR/LF split SMTP commands and mail
 * headers, and the others (ESC, BEL, backspace, DEL) forge or hide text in logs
 * and terminals. Only text that is multi-line by nature (an error message, a log
 * excerpt, a PEM certificate) keeps tab, CR and LF.
 *
 * Every message names what is wrong, never the value: messages end up in API
 * errors, dead-letter headers and logs.
 */

/** C0 controls (U+0000–U+001F) and DEL (U+007F). */
const CONTROL = /[\u0000-\u001f\u007f]/;
/** The same, less tab, LF and CR. */
const CONTROL_BUT_TAB_AND_LINE_BREAKS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;
const LINE_BREAK = /[\r\n]/;
/** What may not appear in an identifier: white space (which includes CR/LF) or a control. */
const WHITE_SPACE = /\s/;

export const TEXT_MESSAGES = {
  lineBreak: 'must not contain line breaks',
  control: 'must not contain control characters',
  controlMultiLine: 'must not contain control characters other than tab and line breaks',
  whiteSpace: 'must not contain white space',
} as const;

/** The value (if it is a string) has no line breaks and no other control character. */
export function isSingleLineText(value: unknown): boolean {
  return typeof value !== 'string' || !CONTROL.test(value);
}

/** The value (if it is a string) has no control character other than tab, CR and LF. */
export function isMultiLineText(value: unknown): boolean {
  return typeof value !== 'string' || !CONTROL_BUT_TAB_AND_LINE_BREAKS.test(value);
}

/** A check that says nothing about non-strings: IsString reports those. */
function stringRule(name: string, message: string, test: (value: string) => boolean) {
  return (options?: ValidationOptions): PropertyDecorator =>
    ValidateBy({ name, validator: { validate: (v: unknown) => typeof v !== 'string' || test(v) } }, { message, ...options });
}

/** No CR or LF: nothing that could split an SMTP command or a mail header. */
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
 * `maxLength` characters without line breaks or other control characters.
 * Combine with IsOptional() for optional fields.
 */
export function SingleLineText({ maxLength, allowEmpty }: TextOptions): PropertyDecorator {
  return all(...presence(allowEmpty), MaxLength(maxLength), HasNoLineBreaks(), HasNoControlCharacters());
}

/**
 * Text of several lines (an error message, a log excerpt, a certificate): tab,
 * CR and LF allowed, no other control character.
 */
export function MultiLineText({ maxLength, allowEmpty }: TextOptions): PropertyDecorator {
  return all(...presence(allowEmpty), MaxLength(maxLength), HasNoControlCharactersButLineBreaks());
}

/**
 * An id given by another system (an event, an application, a person, a job):
 * 1–`maxLength` characters without white space or control characters.
 */
export function Identifier({ maxLength }: { maxLength: number }): PropertyDecorator {
  return all(IsString(), IsNotEmpty(), MaxLength(maxLength), HasNoWhiteSpace(), HasNoControlCharacters());
}

import { validateSync } from 'class-validator';
import { Identifier, MultiLineText, SingleLineText, TEXT_MESSAGES } from './text-rules';

class Sample {
  @Identifier({ maxLength: 8 }) id = 'a';
  @SingleLineText({ maxLength: 8 }) line = 'a';
  @MultiLineText({ maxLength: 8 }) text = 'a';
}

/** The messages of one field of a Sample holding `value` there. */
function messages(field: keyof Sample, value: unknown): string[] {
  const sample = Object.assign(new Sample(), { [field]: value });
  const error = validateSync(sample).find((e) => e.property === field);
  return Object.values(error?.constraints ?? {});
}

describe('text rules', () => {
  it('accept ordinary text, and tab and line breaks where text is multi-line', () => {
    expect(validateSync(Object.assign(new Sample(), { id: 'app-1', line: 'Billé', text: 'a\tb\r\nc' }))).toEqual([]);
  });

  it.each([
    ['NUL', '\u0000'],
    ['BEL', '\u0007'],
    ['ESC', '\u001b'],
    ['unit separator', '\u001f'],
    ['DEL', '\u007f'],
    ['a C1 control (NEL)', '\u0085'],
    ['a C1 control (CSI)', '\u009b'],
  ])('refuse %s in every kind of text', (_name, control) => {
    expect(messages('id', `a${control}`)).toContain(TEXT_MESSAGES.control);
    expect(messages('line', `a${control}`)).toContain(TEXT_MESSAGES.control);
    expect(messages('text', `a${control}`)).toEqual([TEXT_MESSAGES.controlMultiLine]);
  });

  it('refuse line breaks in one-line text and white space in ids, with their own message', () => {
    expect(messages('line', 'a\r\nb')).toEqual([TEXT_MESSAGES.lineBreak]);
    expect(messages('id', 'a b')).toEqual([TEXT_MESSAGES.whiteSpace]);
    expect(messages('line', 'a\tb')).toEqual([TEXT_MESSAGES.control]);
  });

  it.each([
    ['line separator U+2028', '\u2028'],
    ['paragraph separator U+2029', '\u2029'],
  ])('refuse the %s as a line break in one-line text and as white space in ids; multi-line text keeps it', (_name, separator) => {
    expect(messages('line', `a${separator}b`)).toEqual([TEXT_MESSAGES.lineBreak]);
    expect(messages('id', `a${separator}b`)).toEqual([TEXT_MESSAGES.whiteSpace]);
    expect(messages('text', `a${separator}b`)).toEqual([]);
  });

  it.each([
    ['LRE', '\u202a'],
    ['RLE', '\u202b'],
    ['PDF', '\u202c'],
    ['LRO', '\u202d'],
    ['RLO (which shows x, RLO, gnp.exe as xexe.png)', '\u202e'],
    ['LRI', '\u2066'],
    ['RLI', '\u2067'],
    ['FSI', '\u2068'],
    ['PDI', '\u2069'],
  ])('refuse the bidirectional control %s in ids and one-line text', (_name, bidi) => {
    expect(messages('line', `x${bidi}gnp`)).toEqual([TEXT_MESSAGES.bidi]);
    expect(messages('id', `x${bidi}gnp`)).toEqual([TEXT_MESSAGES.bidi]);
  });

  it('accept right-to-left letters (Arabic, Hebrew) and the marks LRM/RLM in one-line text', () => {
    expect(validateSync(Object.assign(new Sample(), { id: 'تطبيق', line: 'שלום', text: 'مرحبا\u200f' }))).toEqual([]);
    expect(messages('line', 'a\u200eb')).toEqual([]);
  });

  it('count the length in code points, as PostgreSQL counts a varchar: a variation selector after a letter is one more', () => {
    // validator.js (class-validator's MaxLength) took "a" + U+FE0F for one character: 8 of them, 16 code points, passed a limit of 8.
    expect(messages('id', 'a\ufe0f'.repeat(8))).toEqual(['id must be shorter than or equal to 8 characters']);
    expect(messages('line', '\u2764\ufe0f'.repeat(5))).toEqual(['line must be shorter than or equal to 8 characters']);
    expect(messages('text', 'a\ufe0e'.repeat(5))).toEqual(['text must be shorter than or equal to 8 characters']);
    expect(messages('line', '\u2764\ufe0f'.repeat(4))).toEqual([]);
    // A surrogate pair (an emoji) is one code point, one character.
    expect(messages('line', '\u{1F600}'.repeat(8))).toEqual([]);
    expect(messages('line', '\u{1F600}'.repeat(9))).toEqual(['line must be shorter than or equal to 8 characters']);
  });

  it('bound the length, refuse empty text and non-strings, and never echo the value', () => {
    expect(messages('line', 'x'.repeat(9))).toEqual(['line must be shorter than or equal to 8 characters']);
    expect(messages('line', '')).toEqual(['line should not be empty']);
    expect(messages('id', 42)).toContain('id must be a string');
    expect(messages('text', 'secret\u0000')).not.toEqual(expect.arrayContaining([expect.stringContaining('secret')]));
  });
});

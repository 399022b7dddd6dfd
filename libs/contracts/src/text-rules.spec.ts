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

  it('bound the length, refuse empty text and non-strings, and never echo the value', () => {
    expect(messages('line', 'x'.repeat(9))).toEqual(['line must be shorter than or equal to 8 characters']);
    expect(messages('line', '')).toEqual(['line should not be empty']);
    expect(messages('id', 42)).toContain('id must be a string');
    expect(messages('text', 'secret\u0000')).not.toEqual(expect.arrayContaining([expect.stringContaining('secret')]));
  });
});

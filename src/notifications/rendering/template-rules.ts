import Handlebars from 'handlebars';
import { IntlMessageFormat } from 'intl-messageformat';
import type { MailMessages, MessageValues } from '../../i18n/mail-messages';

/**
 * The rules every template runs under, Herald's files and admins' overrides
 * alike: an environment of its own (Handlebars.create()) with Herald's helper
 * `t` and the block helpers if, unless, with and each — no lookup, no log, no
 * partial but the layout —, compiled with knownHelpersOnly, and rendered with
 * prototype access off (the default since Handlebars 4.6, said here so that it
 * stays so): a template reads what it is given, nothing else, and runs no code.
 *
 * `templateProblems` checks an admin's template before it is saved: it parses,
 * uses only the variables of its type (template-variables.ts) and these helpers,
 * `t` only with messages of its type whose values it gives, and keeps the link to
 * the reader's preferences (RFC 8058's one-click unsubscribe) in both parts.
 */

export type TemplatePart = 'subject' | 'html' | 'text';

/** What a template may call: Herald's own, and Handlebars' block helpers. */
const BLOCK_HELPERS = new Set(['if', 'unless', 'with', 'each']);
const HELPERS = new Set(['t', ...BLOCK_HELPERS]);

/** Handlebars' options for compiling a part. The plain-text part and the subject are not HTML: no entity escaping there. */
export function compileOptions(part: TemplatePart): CompileOptions {
  // preventIndent: the layout's indented partial block must not indent each line of a <pre>.
  const common = { preventIndent: true, knownHelpersOnly: true, knownHelpers: { t: true, lookup: false, log: false } };
  return part === 'html' ? { ...common, strict: false } : { ...common, noEscape: true };
}

type CompileOptions = Parameters<typeof Handlebars.compile>[1];

/** Handlebars' options for running a template: no property or method a template was not given. */
export const RUNTIME_OPTIONS = { allowProtoPropertiesByDefault: false, allowProtoMethodsByDefault: false } as const;

/** What `t` finds when a template runs: the messages of the mail's language. */
type HelperOptions = { hash: MessageValues; data?: { root?: { values?: MessageValues }; messages?: MailMessages } };

/**
 * An environment for one kind of part: `t` writes a message of the mail's language
 * (`{{t "key" name=value}}`; the common values, MailRenderer.context's `values`, and the given ones),
 * escaped values and bold tags in HTML, plain in text. Nothing else is registered.
 */
export function mailHandlebars(part: 'html' | 'text'): typeof Handlebars {
  const env = Handlebars.create();
  env.unregisterHelper('lookup');
  env.unregisterHelper('log');
  env.registerHelper('t', (key: unknown, options: HelperOptions) => {
    const messages = options?.data?.messages;
    if (typeof key !== 'string' || !messages) throw new Error('t takes the key of a message: {{t "key"}}');
    const values = { ...options.data?.root?.values, ...options.hash };
    return part === 'html' ? new Handlebars.SafeString(messages.html(key, values)) : messages.text(key, values);
  });
  return env;
}

/** Where a problem is, as people count: line and column from 1. */
export interface TemplateProblem {
  line: number;
  column: number;
  message: string;
}

export interface TemplateRules {
  part: TemplatePart;
  /** The layout (its block, `{{> @partial-block}}`, is required) or a type's template (`{{#> layout}}` allowed). */
  layout: boolean;
  /** The variables it may use (paths), and those that hold HTML already escaped. */
  variables: ReadonlySet<string>;
  htmlVariables: ReadonlySet<string>;
  /** The messages `t` may write (the type's and the shared ones), each with the values it needs. */
  messages: Readonly<Record<string, string>>;
  /** Values every message is given (`application`, `kind`, `kindTitle`, `duration`). */
  commonValues: ReadonlySet<string>;
}

type Node = hbs.AST.Node;
type Expression = hbs.AST.Expression;

/** Names that reach into an object's prototype: refused with a word of why. */
const PROTOTYPE_NAMES = new Set(['constructor', '__proto__', 'prototype', '__defineGetter__', '__defineSetter__', '__lookupGetter__', '__lookupSetter__', 'hasOwnProperty', 'toString', 'valueOf']);

/** The scope a path is read in: the root, or what #with opened (its path). */
interface Scope {
  path: string | null;
  parent?: Scope;
}

/** What a template has to keep (the preferences link, the layout's block), found outside any condition. */
interface Found {
  link: boolean;
  partialBlock: boolean;
  layout: boolean;
}

/**
 * What is wrong with a template, each with its line and column (an empty list:
 * it may be saved, as far as its text goes; the caller renders it with the
 * type's example events too).
 */
export function templateProblems(source: string, rules: TemplateRules): TemplateProblem[] {
  let program: hbs.AST.Program;
  try {
    program = Handlebars.parse(source);
  } catch (error) {
    return [parseProblem(error as Error & { lineNumber?: number; column?: number })];
  }
  const problems: TemplateProblem[] = [];
  const at = (node: Node, message: string) => problems.push({ line: node.loc?.start.line ?? 1, column: (node.loc?.start.column ?? 0) + 1, message });
  const found: Found = { link: false, partialBlock: false, layout: false };

  const messageValues = new Map<string, Set<string>>();
  const valuesOf = (key: string) => {
    let values = messageValues.get(key);
    if (!values) messageValues.set(key, (values = argumentsOf(rules.messages[key])));
    return values;
  };

  /** A path read as a value: one of the variables (in the scope of #with), or refused, named. Answers the variable when it is one. */
  const path = (node: hbs.AST.PathExpression, scope: Scope): string | undefined => {
    if (node.data) {
      if (node.parts[0] === 'root' && node.parts.length > 1) return variable(node, node.parts.slice(1).join('.'));
      return void at(node, `${node.original}: no data variable is given to mail templates (use the variables of mailTemplateVariables)`);
    }
    let s: Scope | undefined = scope;
    for (let i = 0; i < node.depth; i++) s = s?.parent;
    if (!s) return void at(node, `${node.original}: there is no enclosing block to go up to`);
    const full = [s.path, ...node.parts].filter((p) => p !== null && p !== '').join('.');
    if (!full) return void at(node, `${node.original}: the whole context is not a variable; name one (mailTemplateVariables lists them)`);
    return variable(node, full);
  };
  const variable = (node: hbs.AST.PathExpression, full: string): string | undefined => {
    const proto = full.split('.').find((p) => PROTOTYPE_NAMES.has(p));
    if (proto) return void at(node, `${node.original}: "${proto}" is not a variable: a template reads only what it is given`);
    if (!rules.variables.has(full)) return void at(node, `${node.original}: unknown variable "${full}" (mailTemplateVariables lists the variables of this type)`);
    return full;
  };
  /**
   * A variable written into the mail (`{{x}}`, or a value given to t), not tested or opened:
   * a group of values would write "[object Object]", and HTML already escaped
   * (headingHtml) shows its tags and entities anywhere but `{{{…}}}` in the HTML part.
   */
  const written = (node: hbs.AST.PathExpression, full: string | undefined, raw: boolean) => {
    if (full === undefined) return;
    if (rules.htmlVariables.has(full)) {
      if (!raw || rules.part !== 'html') {
        const plain = full.replace(/Html$/, '');
        at(node, `${node.original}: "${full}" is HTML, written {{{${full}}}} in the HTML part only (its tags and entities would show here${rules.variables.has(plain) ? `: write ${plain}` : ''})`);
      }
      return;
    }
    const members = [...rules.variables].filter((v) => v.startsWith(`${full}.`));
    if (members.length) at(node, `${node.original}: "${full}" is a group of values, not one: write one of them (${members.slice(0, 3).join(', ')}, …), or test it with #if`);
  };

  const expression = (node: Expression, scope: Scope) => {
    if (node.type === 'PathExpression') return path(node as hbs.AST.PathExpression, scope);
    if (node.type === 'SubExpression') return helperCall(node as hbs.AST.SubExpression, scope);
    // literals: strings, numbers, booleans, undefined, null
  };

  /** `{{t "key" name=value}}` or `(t "key" …)`: the one helper that writes. */
  const helperCall = (node: hbs.AST.MustacheStatement | hbs.AST.SubExpression, scope: Scope) => {
    const name = (node.path as hbs.AST.PathExpression).original;
    if (name !== 't') return at(node, `${name}: unknown helper (templates may call t, and use #if, #unless, #with and #each)`);
    const [key, ...rest] = node.params;
    if (!key || key.type !== 'StringLiteral' || rest.length) return at(node, 't takes the key of one message, in quotes: {{t "key" name=value}}');
    const k = (key as hbs.AST.StringLiteral).value;
    if (rules.messages[k] === undefined) return at(node, `t "${k}": no such message for this template (its type's and the shared ones)`);
    const given = new Set((node.hash?.pairs ?? []).map((p) => p.key));
    const missing = [...valuesOf(k)].filter((v) => !given.has(v) && !rules.commonValues.has(v));
    if (missing.length) at(node, `t "${k}" needs ${missing.map((m) => `${m}=…`).join(' ')}`);
    for (const pair of node.hash?.pairs ?? []) {
      if (pair.value.type === 'PathExpression') written(pair.value as hbs.AST.PathExpression, path(pair.value as hbs.AST.PathExpression, scope), false);
      else expression(pair.value, scope);
    }
  };

  const statements = (nodes: hbs.AST.Statement[], scope: Scope, conditional: boolean, depth: number, text: { before: string }) => {
    for (const node of nodes) statement(node, scope, conditional, depth, text);
  };

  const statement = (node: hbs.AST.Statement, scope: Scope, conditional: boolean, depth: number, text: { before: string }) => {
    switch (node.type) {
      case 'ContentStatement':
        text.before += (node as hbs.AST.ContentStatement).value;
        return;
      case 'CommentStatement':
        return;
      case 'MustacheStatement': {
        const m = node as hbs.AST.MustacheStatement;
        const name = m.path.type === 'PathExpression' ? (m.path as hbs.AST.PathExpression).original : '';
        if (m.params.length || m.hash || HELPERS.has(name) || m.path.type !== 'PathExpression') {
          if (BLOCK_HELPERS.has(name)) return at(node, `${name} is a block: {{#${name} …}}…{{/${name}}}`);
          helperCall(m, scope);
          text.before += '\u0000';
          return;
        }
        const p = m.path as hbs.AST.PathExpression;
        written(p, path(p, scope), !m.escaped);
        const full = [scope.path, ...p.parts].filter(Boolean).join('.');
        if (!m.escaped && rules.part === 'html' && !rules.htmlVariables.has(full)) {
          at(node, `{{{${p.original}}}}: the HTML part writes values escaped ({{${p.original}}}); only ${[...rules.htmlVariables].join(', ')} may be written unescaped`);
        }
        if (full === 'preferencesLink' && !p.data && p.depth === 0 && !conditional) {
          // In HTML, the link must be an <a>'s href, outside a comment.
          const before = text.before.replace(/<!--[\s\S]*?-->/g, '');
          const inComment = before.lastIndexOf('<!--') > -1;
          if (rules.part !== 'html' || (!inComment && /<a\s[^>]*href\s*=\s*["']?$/i.test(before))) found.link = true;
        }
        text.before += '\u0000';
        return;
      }
      case 'BlockStatement': {
        const b = node as hbs.AST.BlockStatement;
        const name = b.path.type === 'PathExpression' ? (b.path as hbs.AST.PathExpression).original : '';
        if (!BLOCK_HELPERS.has(name)) return at(node, `#${name}: unknown block (templates may use #if, #unless, #with and #each)`);
        if (b.params.length !== 1 || b.hash) return at(node, `#${name} takes one value: {{#${name} variable}}`);
        const [param] = b.params;
        expression(param, scope);
        if (name === 'each') return at(node, `#each ${(param as hbs.AST.PathExpression).original ?? ''}: no variable of mail templates is a list`);
        let inner = scope;
        if (name === 'with') {
          if (param.type !== 'PathExpression') return at(node, '#with takes a variable');
          const p = param as hbs.AST.PathExpression;
          inner = { path: [scope.path, ...p.parts].filter(Boolean).join('.'), parent: scope };
        }
        if (b.program) statements(b.program.body, inner, true, depth + 1, text);
        if (b.inverse) statements(b.inverse.body, scope, true, depth + 1, text);
        return;
      }
      case 'PartialStatement': {
        const p = node as hbs.AST.PartialStatement;
        const name = p.name.type === 'PathExpression' ? (p.name as hbs.AST.PathExpression).original : '';
        if (name !== '@partial-block' || !rules.layout || rules.part === 'subject') {
          return at(node, rules.layout ? `{{> ${name}}}: the layout includes the mail's own part with {{> @partial-block}}, and no other partial` : `{{> ${name}}}: templates use no partial (a type's template is written inside {{#> layout}}…{{/layout}})`);
        }
        if (p.params.length || p.hash) return at(node, '{{> @partial-block}} takes nothing');
        if (!conditional) found.partialBlock = true;
        text.before += '\u0000';
        return;
      }
      case 'PartialBlockStatement': {
        const p = node as hbs.AST.PartialBlockStatement;
        const name = p.name.type === 'PathExpression' ? (p.name as hbs.AST.PathExpression).original : '';
        if (name !== 'layout' || rules.layout || rules.part === 'subject' || depth > 0) {
          return at(node, rules.layout || rules.part === 'subject' ? `{{#> ${name}}}: no partial here` : `{{#> ${name}}}: the one partial block is {{#> layout}}…{{/layout}}, around the whole template`);
        }
        if (p.params.length || p.hash) return at(node, '{{#> layout}} takes nothing');
        if (!conditional) found.layout = true;
        statements(p.program.body, scope, conditional, depth + 1, { before: '' });
        return;
      }
      default:
        return at(node, 'decorators and inline partials are not allowed in mail templates');
    }
  };

  statements(program.body, { path: null }, false, 0, { before: '' });
  if (problems.length) return problems;
  if (rules.part === 'subject') return problems;
  const end = { line: source.split('\n').length, column: 1 };
  if (rules.layout && !found.partialBlock) problems.push({ ...end, message: "the layout must include the mail's own part, outside any condition: {{> @partial-block}}" });
  if (!found.link && !found.layout) {
    problems.push({
      ...end,
      message:
        rules.part === 'html'
          ? 'the HTML part must link to the reader\'s preferences, outside any condition: <a href="{{preferencesLink}}">… (the law and RFC 8058\'s one-click unsubscribe need it)' +
            (rules.layout ? '' : ', or be written inside {{#> layout}}…{{/layout}}, which has it')
          : "the text part must give the reader's preferences link, outside any condition: {{preferencesLink}}" + (rules.layout ? '' : ', or be written inside {{#> layout}}…{{/layout}}, which has it'),
    });
  }
  return problems;
}

/** The values a message needs (its arguments), tags (<b>, <q>) aside. */
function argumentsOf(message: string | undefined): Set<string> {
  const names = new Set<string>();
  if (message === undefined) return names;
  type Element = { type: number; value?: unknown; options?: Record<string, { value: Element[] }>; children?: Element[] };
  const walk = (elements: Element[]) => {
    for (const e of elements) {
      if (e.type >= 1 && e.type <= 6 && typeof e.value === 'string') names.add(e.value);
      for (const option of Object.values(e.options ?? {})) walk(option.value);
      if (e.children) walk(e.children);
    }
  };
  walk(new IntlMessageFormat(message, 'en').getAst() as unknown as Element[]);
  return names;
}

function parseProblem(error: Error & { lineNumber?: number; column?: number }): TemplateProblem {
  const line = error.lineNumber ?? Number(/on line (\d+)/.exec(error.message)?.[1] ?? 1);
  const column = error.column !== undefined ? error.column + 1 : 1;
  const message = error.message.replace(/^Parse error on line \d+:\n/, '').split('\n').filter(Boolean).pop() ?? error.message;
  return { line, column, message: `does not parse: ${message.replace(/ - \d+:\d+$/, '')}` };
}

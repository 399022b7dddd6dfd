import { JobEventType } from '@herald/contracts';
import type { NotificationType } from '../../event-types/notification-type';
import { allEventTypes } from '../../event-types/registry';
import { LANGUAGES } from '../../i18n/languages';
import { FileTemplateSource } from './file-template-source';
import { compileOptions, mailHandlebars, RUNTIME_OPTIONS, templateProblems, type TemplatePart } from './template-rules';
import { DEFAULT_SUBJECT } from './template-source';
import { rulesOf } from './template-variables';

const files = new FileTemplateSource();
const rules = (name: NotificationType | 'layout', part: TemplatePart, language = 'en') => rulesOf(name, part, (type) => files.messages(type, language));
const problems = (source: string, name: JobEventType | 'layout' = JobEventType.JOB_FAILED, part: TemplatePart = 'html') => templateProblems(source, rules(name, part));
const messages = (source: string, name: JobEventType | 'layout' = JobEventType.JOB_FAILED, part: TemplatePart = 'html') => problems(source, name, part).map((p) => `${p.line}:${p.column} ${p.message}`);

const LINK_HTML = '<p><a href="{{preferencesLink}}">prefs</a></p>';

describe('template rules', () => {
  it("pass Herald's own templates, in every language", () => {
    for (const language of LANGUAGES) {
      for (const name of [...allEventTypes().map((d) => d.type), 'layout' as const]) {
        for (const part of ['html', 'text'] as const) {
          expect({ name, language, part, problems: templateProblems(files.template(name, language, part), rules(name, part, language)) }).toEqual({ name, language, part, problems: [] });
        }
        if (name !== 'layout') expect(templateProblems(DEFAULT_SUBJECT, rules(name, 'subject', language))).toEqual([]);
      }
    }
  });

  it('name an unknown variable, with its line and column', () => {
    expect(messages(`{{#> layout}}<p>\n  Hello {{customer.name}}</p>{{/layout}}`)).toEqual(['2:11 customer.name: unknown variable "customer.name" (mailTemplateVariables lists the variables of this type)']);
    // A variable of another type is unknown here.
    expect(messages('{{#> layout}}{{stoppedBy}}{{/layout}}')).toEqual(['1:16 stoppedBy: unknown variable "stoppedBy" (mailTemplateVariables lists the variables of this type)']);
    // In #with, paths are read from what it opened.
    expect(messages('{{#> layout}}{{#with error}}{{message}} {{nope}}{{/with}}{{/layout}}')).toEqual(['1:43 nope: unknown variable "error.nope" (mailTemplateVariables lists the variables of this type)']);
    expect(messages('{{#> layout}}{{#with error}}{{../application.name}} {{@root.job.kind}}{{/with}}{{/layout}}')).toEqual([]);
  });

  it('refuse reaching into prototypes', () => {
    expect(messages('{{#> layout}}{{constructor.constructor}}{{/layout}}')).toEqual(['1:16 constructor.constructor: "constructor" is not a variable: a template reads only what it is given']);
    expect(messages('{{#> layout}}{{application.__proto__}}{{/layout}}')).toEqual(['1:16 application.__proto__: "__proto__" is not a variable: a template reads only what it is given']);
  });

  it('refuse helpers, partials and decorators other than Herald\'s', () => {
    expect(messages('{{#> layout}}{{lookup application "name"}}{{/layout}}')).toEqual(['1:14 lookup: unknown helper (templates may call t, and use #if, #unless, #with and #each)']);
    expect(messages('{{#> layout}}{{log "x"}}{{#each job}}{{this}}{{/each}}{{/layout}}')).toEqual([
      '1:14 log: unknown helper (templates may call t, and use #if, #unless, #with and #each)',
      '1:25 #each job: no variable of mail templates is a list',
    ]);
    expect(messages('{{> evil}}' + LINK_HTML)).toEqual(['1:1 {{> evil}}: templates use no partial (a type\'s template is written inside {{#> layout}}…{{/layout}})']);
    expect(messages('{{#*inline "x"}}y{{/inline}}' + LINK_HTML)).toEqual(['1:1 decorators and inline partials are not allowed in mail templates']);
    expect(messages('{{#> layout}}{{@index}}{{/layout}}')).toEqual(['1:16 @index: no data variable is given to mail templates (use the variables of mailTemplateVariables)']);
  });

  it('allow t only with a message of the type, given the values it needs', () => {
    expect(messages('{{#> layout}}{{t "body"}} {{t "bodyAtStep" step=error.step}} {{t "why"}}{{/layout}}')).toEqual([]);
    expect(messages('{{#> layout}}{{t "nope"}}{{/layout}}')).toEqual(['1:14 t "nope": no such message for this template (its type\'s and the shared ones)']);
    expect(messages('{{#> layout}}{{t "bodyAtStep"}}{{/layout}}')).toEqual(['1:14 t "bodyAtStep" needs step=…']);
    expect(messages('{{#> layout}}{{t key}}{{/layout}}')).toEqual(['1:14 t takes the key of one message, in quotes: {{t "key" name=value}}']);
    // The layout has the messages every type shares, not a type's own.
    expect(messages('{{> @partial-block}}{{t "body"}}' + LINK_HTML, 'layout')).toEqual(['1:21 t "body": no such message for this template (its type\'s and the shared ones)']);
  });

  it('write values escaped in HTML: unescaped only what is HTML already', () => {
    expect(messages('{{#> layout}}{{{error.message}}}{{/layout}}')).toEqual([
      '1:14 {{{error.message}}}: the HTML part writes values escaped ({{error.message}}); only headingHtml may be written unescaped',
    ]);
    expect(messages('{{#> layout}}{{{headingHtml}}}{{/layout}}')).toEqual([]);
    expect(messages('{{#> layout}}{{{error.message}}}{{/layout}}', JobEventType.JOB_FAILED, 'text')).toEqual([]);
  });

  it('write one value where a value is written: not a group of values ([object Object] in the mail), and HTML only as HTML', () => {
    const group = (name: string, some: string) => `${name}: "${name}" is a group of values, not one: write one of them (${some}, …), or test it with #if`;
    expect(messages('{{#> layout}}{{job}} {{application}}{{/layout}}')).toEqual([`1:16 ${group('job', 'job.id, job.kind, job.startedAt')}`, `1:24 ${group('application', 'application.id, application.name')}`]);
    expect(messages('{{job}} {{error}}', JobEventType.JOB_FAILED, 'subject')).toEqual([`1:3 ${group('job', 'job.id, job.kind, job.startedAt')}`, `1:11 ${group('error', 'error.message, error.step, error.logExcerpt')}`]);
    expect(messages('{{#> layout}}{{t "bodyAtStep" step=labels}}{{/layout}}', JobEventType.JOB_FAILED, 'text')).toEqual([`1:36 ${group('labels', 'labels.application, labels.job, labels.started')}`]);
    // As a condition, or opened with #with, a group is what it is for.
    expect(messages('{{#> layout}}{{#if job}}{{#with job}}{{kind}}{{/with}}{{/if}}{{/layout}}')).toEqual([]);
    // headingHtml is HTML: written {{{headingHtml}}} in the HTML part, nowhere else (its tags and entities would show).
    const html = 'headingHtml: "headingHtml" is HTML, written {{{headingHtml}}} in the HTML part only (its tags and entities would show here: write heading)';
    expect(messages('[{{headingHtml}}]', JobEventType.JOB_FAILED, 'subject')).toEqual([`1:4 ${html}`]);
    expect(messages('{{#> layout}}{{headingHtml}}{{/layout}}', JobEventType.JOB_FAILED, 'text')).toEqual([`1:16 ${html}`]);
    expect(messages('{{#> layout}}{{headingHtml}}{{/layout}}')).toEqual([`1:16 ${html}`]);
    expect(messages('{{#> layout}}{{t "bodyAtStep" step=headingHtml}}{{/layout}}')).toEqual([`1:36 ${html}`]);
  });

  it('keep the preferences link in both parts, unconditionally, as a link in HTML', () => {
    const html = 'the HTML part must link to the reader\'s preferences, outside any condition: <a href="{{preferencesLink}}">… (the law and RFC 8058\'s one-click unsubscribe need it), or be written inside {{#> layout}}…{{/layout}}, which has it';
    const text = "the text part must give the reader's preferences link, outside any condition: {{preferencesLink}}, or be written inside {{#> layout}}…{{/layout}}, which has it";
    expect(messages('<p>{{t "body"}}</p>')).toEqual([`1:1 ${html}`]);
    expect(messages(LINK_HTML)).toEqual([]);
    expect(messages('<p>{{preferencesLink}}</p>')).toEqual([`1:1 ${html}`]); // not a link
    expect(messages('<!-- <a href="{{preferencesLink}}"> -->')).toEqual([`1:1 ${html}`]); // in a comment
    expect(messages('{{#if job}}<a href="{{preferencesLink}}">x</a>{{/if}}')).toEqual([`1:1 ${html}`]); // under a condition
    expect(messages('{{#if job}}{{#> layout}}x{{/layout}}{{/if}}')).toEqual([
      '1:12 {{#> layout}}: the one partial block is {{#> layout}}…{{/layout}}, around the whole template',
    ]);
    expect(messages('{{t "body"}}', JobEventType.JOB_FAILED, 'text')).toEqual([`1:1 ${text}`]);
    expect(messages('{{t "body"}}\n{{preferencesLink}}', JobEventType.JOB_FAILED, 'text')).toEqual([]);
    // The layout must have it itself, and the mail's own part.
    expect(messages('<html>{{> @partial-block}}</html>', 'layout')).toEqual([
      '1:1 the HTML part must link to the reader\'s preferences, outside any condition: <a href="{{preferencesLink}}">… (the law and RFC 8058\'s one-click unsubscribe need it)',
    ]);
    expect(messages(LINK_HTML, 'layout')).toEqual(["1:1 the layout must include the mail's own part, outside any condition: {{> @partial-block}}"]);
  });

  it('say where a template does not parse', () => {
    expect(messages('{{#> layout}}\n{{#if job}}x{{/fi}}{{/layout}}')).toEqual(["2:4 does not parse: if doesn't match fi"]);
    expect(messages('<p>\n{{application.name</p>')).toEqual([expect.stringMatching(/^2:1 does not parse: Expecting/)]);
  });

  it('run with prototype access off and no helper but t (the environment, whatever a template says)', () => {
    const env = mailHandlebars('html');
    const context = { application: { name: 'A' } };
    expect(env.compile('[{{constructor.name}}][{{application.constructor.name}}][{{application.__proto__}}]', compileOptions('html'))(context, RUNTIME_OPTIONS)).toBe('[][][]');
    expect(() => env.compile('{{lookup application "name"}}', compileOptions('html'))(context, RUNTIME_OPTIONS)).toThrow(/unknown helper lookup/);
    expect(() => env.compile('{{> other}}', compileOptions('html'))(context, RUNTIME_OPTIONS)).toThrow(/could not be found/);
  });
});


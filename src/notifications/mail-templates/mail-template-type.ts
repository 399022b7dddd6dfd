import { registerEnumType } from '@nestjs/graphql';
import { NotificationType } from '../../event-types/notification-type';
import { EVENT_TYPES } from '../../event-types/registry';
import { LAYOUT } from '../rendering/sources/database/database-template-source';

/** What admins' templates are of: each event type, and the layout every mail shares. */
export const MailTemplateType = { [LAYOUT]: LAYOUT, ...NotificationType } as const;
export type MailTemplateType = (typeof MailTemplateType)[keyof typeof MailTemplateType];

registerEnumType(MailTemplateType, {
  name: 'MailTemplateType',
  description: 'What a mail template is of: an event type, or LAYOUT, the frame every mail of a type is written in',
  valuesMap: {
    LAYOUT: { description: "The layout every event's mail shares (its heading, table, link and footer around the type's own part)" },
    ...Object.fromEntries(EVENT_TYPES.map((d) => [d.type, { description: `The mails of ${d.type}: ${d.description}` }])),
  },
});

/** The renderer's name of a template. */
export const templateNameOf = (type: MailTemplateType): NotificationType | 'layout' => (type === LAYOUT ? 'layout' : type);

/** Every type, the layout first. */
export const MAIL_TEMPLATE_TYPES: readonly MailTemplateType[] = [LAYOUT, ...EVENT_TYPES.map((d) => d.type)];

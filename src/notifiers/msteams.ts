// Microsoft Teams: an incoming webhook taking the legacy MessageCard (Flagger's payload): blue, or
// red for errors, the message as the section title, the canary as subtitle and summary, and the
// fields as facts. Channel and username do not apply: the webhook belongs to one channel.

import { canaryTitle, failingNotifier, type Notification, type Notifier, type NotifierConfig } from './notifier.js';
import { postJson, postOptionsOf } from './post.js';
import { isAbsoluteUrl } from './slack.js';

export interface MessageCard {
  '@type': 'MessageCard';
  '@context': 'http://schema.org/extensions';
  themeColor: '0076D7' | 'FF0000';
  summary: string;
  sections: [{ activityTitle: string; activitySubtitle: string; facts: { name: string; value: string }[] }];
}

export function messageCard(n: Notification): MessageCard {
  return {
    '@type': 'MessageCard',
    '@context': 'http://schema.org/extensions',
    themeColor: n.severity === 'error' ? 'FF0000' : '0076D7',
    summary: canaryTitle(n),
    sections: [{ activityTitle: n.message, activitySubtitle: canaryTitle(n), facts: n.fields.map((f) => ({ name: f.name, value: f.value })) }],
  };
}

export function msteamsNotifier(config: NotifierConfig): Notifier {
  if (!isAbsoluteUrl(config.address)) return failingNotifier(`invalid MS Teams webhook URL ${JSON.stringify(config.address)}`);
  return {
    post: (n, signal) =>
      postJson(config.address, messageCard(n), postOptionsOf(config, signal)),
  };
}

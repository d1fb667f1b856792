// Google Chat: an incoming webhook taking one card (Flagger's payload): the header names Flagger
// and the canary, the first section holds the message in grey bold, then one section per field.
// Google Chat renders a small subset of HTML in textParagraph widgets, which is what these are.

import { canaryTitle, failingNotifier, type Notification, type Notifier, type NotifierConfig } from './notifier.js';
import { postJson, postOptionsOf } from './post.js';
import { isAbsoluteUrl } from './slack.js';

export interface ChatCard {
  cards: [{ header: { title: 'Flagger'; subtitle: string; imageUrl: string }; sections: { widgets: [{ textParagraph: { text: string } }] }[] }];
}

export const GCHAT_IMAGE_URL = 'https://flagger.app/favicon.png';

const grey = (text: string): string => `<font color=#848484><strong>${text}</strong></font>`;
const paragraph = (text: string) => ({ widgets: [{ textParagraph: { text } }] as [{ textParagraph: { text: string } }] });

export function chatCard(n: Notification): ChatCard {
  return {
    cards: [
      {
        header: { title: 'Flagger', subtitle: canaryTitle(n), imageUrl: GCHAT_IMAGE_URL },
        sections: [paragraph(grey(n.message)), ...n.fields.map((f) => paragraph(`${f.name}<br>${grey(f.value)}`))],
      },
    ],
  };
}

export function gchatNotifier(config: NotifierConfig): Notifier {
  if (!isAbsoluteUrl(config.address)) return failingNotifier(`invalid Google Chat webhook URL ${JSON.stringify(config.address)}`);
  return {
    post: (n, signal) =>
      postJson(config.address, chatCard(n), postOptionsOf(config, signal)),
  };
}

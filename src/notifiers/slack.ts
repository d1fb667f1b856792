// Slack: an incoming webhook, or the chat.postMessage API when the AlertProvider's Secret holds a
// `token` (sent as a Bearer token). Flagger's payload: channel, username, the :rocket: emoji and one
// attachment coloured `good`, or `danger` for errors. Discord and Rocket.Chat take the same
// Slack-compatible shape and reuse slackPayload with their own colours.

import type { AlertSeverity } from '../api/types.js';
import { canaryTitle, failingNotifier, type Notification, type Notifier, type NotifierConfig } from './notifier.js';
import { postJson, postOptionsOf } from './post.js';

export interface SlackField {
  title: string;
  value: string;
  short: false;
}

export interface SlackPayload {
  channel: string;
  username: string;
  icon_emoji: ':rocket:';
  attachments: [{ color: string; author_name: string; text: string; mrkdwn_in: ['text']; fields: SlackField[] }];
}

export type Colours = Record<'normal' | 'error', string>;

export const SLACK_COLOURS: Colours = { normal: 'good', error: 'danger' };

const colourOf = (colours: Colours, severity: AlertSeverity): string => (severity === 'error' ? colours.error : colours.normal);

export function slackPayload(n: Notification, config: Pick<NotifierConfig, 'channel' | 'username'>, colours: Colours): SlackPayload {
  return {
    channel: config.channel,
    username: config.username,
    icon_emoji: ':rocket:',
    attachments: [
      {
        color: colourOf(colours, n.severity),
        author_name: canaryTitle(n),
        text: n.message,
        mrkdwn_in: ['text'],
        fields: n.fields.map((f) => ({ title: f.name, value: f.value, short: false })),
      },
    ],
  };
}

/**
 * Flagger refuses a Slack-shaped provider without a channel or a username (the defaults fill them,
 * so only an explicit empty string gets here) and an address that is not an absolute URL.
 */
export function slackShapedProblem(service: string, config: NotifierConfig): string | undefined {
  if (!isAbsoluteUrl(config.address)) return `invalid ${service} hook URL ${JSON.stringify(config.address)}`;
  if (!config.username) return `empty ${service} username`;
  if (!config.channel) return `empty ${service} channel`;
  return undefined;
}

export function isAbsoluteUrl(address: string): boolean {
  try {
    const url = new URL(address);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

export function slackNotifier(config: NotifierConfig): Notifier {
  const problem = slackShapedProblem('Slack', config);
  if (problem) return failingNotifier(problem);
  const headers: Record<string, string> = config.token ? { authorization: `Bearer ${config.token}` } : {};
  return {
    post: (n, signal) =>
      postJson(config.address, slackPayload(n, config, SLACK_COLOURS), postOptionsOf(config, signal, headers)),
  };
}

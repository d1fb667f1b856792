// Discord: its Slack-compatible webhook endpoint, `<webhook>/slack`, appended when the address lacks
// it (as Flagger does), with Slack's payload and colours.

import { failingNotifier, type Notifier, type NotifierConfig } from './notifier.js';
import { postJson, postOptionsOf } from './post.js';
import { SLACK_COLOURS, slackPayload, slackShapedProblem } from './slack.js';

/** The address with `/slack` at the end of its path, query kept. */
export function discordSlackUrl(address: string): string {
  const url = new URL(address);
  if (!url.pathname.endsWith('/slack')) url.pathname = `${url.pathname.replace(/\/+$/, '')}/slack`;
  return url.toString();
}

export function discordNotifier(config: NotifierConfig): Notifier {
  const problem = slackShapedProblem('Discord', config);
  if (problem) return failingNotifier(problem);
  const address = discordSlackUrl(config.address);
  return {
    post: (n, signal) =>
      postJson(address, slackPayload(n, config, SLACK_COLOURS), postOptionsOf(config, signal)),
  };
}

// Rocket.Chat: an incoming webhook that takes Slack's payload; Flagger colours it blue, or red for
// errors.

import { failingNotifier, type Notifier, type NotifierConfig } from './notifier.js';
import { postJson, postOptionsOf } from './post.js';
import { slackPayload, slackShapedProblem, type Colours } from './slack.js';

export const ROCKET_COLOURS: Colours = { normal: '#0076D7', error: '#FF0000' };

export function rocketNotifier(config: NotifierConfig): Notifier {
  const problem = slackShapedProblem('Rocket', config);
  if (problem) return failingNotifier(problem);
  return {
    post: (n, signal) =>
      postJson(config.address, slackPayload(n, config, ROCKET_COLOURS), postOptionsOf(config, signal)),
  };
}

// The notifier registry, keyed by AlertProvider `spec.type`: every type Flagger's CRD allows has an
// entry, so adding a type to the API without a notifier fails to compile.

import type { NotifierRegistry } from './notifier.js';
import { discordNotifier } from './discord.js';
import { gchatNotifier } from './gchat.js';
import { msteamsNotifier } from './msteams.js';
import { rocketNotifier } from './rocket.js';
import { slackNotifier } from './slack.js';

export const NOTIFIERS: Readonly<NotifierRegistry> = {
  slack: slackNotifier,
  msteams: msteamsNotifier,
  discord: discordNotifier,
  rocket: rocketNotifier,
  gchat: gchatNotifier,
};

// The two-phase contract between the runner and the stepper. plan() says which webhooks and
// metrics this tick may consult; the runner runs them and passes the answers in
// Observations.results; step() reads them. Both run the same decision code against a Checker:
// plan() with a probe that answers "carry on" to everything and records what was asked, step() with
// the runner's answers. A tick stops at its first failure, so the probe's path asks for a superset
// of what any real tick reads, and a result step() needs but did not get counts as a failure.

import type { EffectiveMetric, EffectiveWebhook } from '../api/defaults.js';
import type { WebhookType } from '../api/types.js';
import type { CheckResults } from './observations.js';
import type { Phase } from './state.js';
import type { Checker } from './checker.js';
import { recordCheck, runChecksum, type Tick } from './tick.js';

/** The gate webhooks plan() may ask for; post-rollout and event hooks are actions instead. */
export type GateHookType = Exclude<WebhookType, 'post-rollout' | 'event'>;

export interface HookCheck {
  /** The webhook's name: the key of its result in CheckResults.hooks. */
  name: string;
  type: GateHookType;
  /** The phase to send in the payload. */
  phase: Phase;
  /** The payload's checksum (revision and tracked configs), so receivers can tell runs apart. */
  checksum: string;
}

export interface MetricCheck {
  /** The metric's name: the key of its result in CheckResults.metrics. */
  name: string;
  metric: EffectiveMetric;
}

/** What the runner must run before calling step(): call the hooks in order, then query the metrics. */
export interface Checks {
  hooks: HookCheck[];
  metrics: MetricCheck[];
}

export type { Checker } from './checker.js';

const NOT_RUN = 'no result: the runner did not run this check';

/** step()'s checker: the runner's answers; a missing hook answer is a failed hook. */
export function resultsChecker(results: CheckResults | undefined): Checker {
  return {
    hook: (hook) => results?.hooks?.[hook.name] ?? { ok: false, message: NOT_RUN },
    metric: (metric) => results?.metrics?.[metric.name],
  };
}

/** plan()'s checker: records each request once and answers so that the tick carries on. */
export function probeChecker(): { checker: Checker; checks: () => Checks } {
  const hooks = new Map<string, HookCheck>();
  const metrics = new Map<string, MetricCheck>();
  const checker: Checker = {
    hook: (hook, phase, checksum) => {
      if (!hooks.has(hook.name)) {
        hooks.set(hook.name, { name: hook.name, type: hook.type as GateHookType, phase, checksum });
      }
      // A rollback hook that answers 2xx asks for a rollback: carrying on means "not signaling".
      return hook.type === 'rollback' ? { ok: false, message: 'probe' } : { ok: true };
    },
    metric: (metric) => {
      if (!metrics.has(metric.name)) metrics.set(metric.name, { name: metric.name, metric });
      return 'pass';
    },
  };
  return { checker, checks: () => ({ hooks: [...hooks.values()], metrics: [...metrics.values()] }) };
}

// Webhook gates (flagger-compat §8.2). The hooks of one type are consulted in spec order and the
// first failure stops the list; every answer consulted is recorded as a check.

export type GateOutcome =
  | { ok: true; passed: EffectiveWebhook[] }
  | { ok: false; hook: EffectiveWebhook; message: string };

export const hooksOf = (tick: Tick, type: GateHookType): EffectiveWebhook[] =>
  tick.ctx.analysis.webhooks.filter((hook) => hook.type === type);

function ask(tick: Tick, hook: EffectiveWebhook, phase: Phase): { ok: boolean; message: string } {
  const answer = tick.checker.hook(hook, phase, runChecksum(tick.state));
  const message = answer.message ?? '';
  recordCheck(tick, {
    at: tick.ctx.at,
    kind: 'hook',
    name: hook.name,
    hookType: hook.type,
    verdict: answer.ok ? 'ok' : 'failed',
    ...(message ? { message } : {}),
    ...(tick.state.revision ? { revision: tick.state.revision } : {}),
  });
  return { ok: answer.ok, message };
}

/** All hooks of `type` pass (none is a pass), or the first one that did not. */
export function gate(tick: Tick, type: GateHookType, phase: Phase = tick.state.phase): GateOutcome {
  const passed: EffectiveWebhook[] = [];
  for (const hook of hooksOf(tick, type)) {
    const answer = ask(tick, hook, phase);
    if (!answer.ok) return { ok: false, hook, message: answer.message };
    passed.push(hook);
  }
  return { ok: true, passed };
}

/** Rollback hooks: the first one answering 2xx asks for a rollback; the others say they do not. */
export function rollbackSignal(tick: Tick): { signaled: EffectiveWebhook | undefined; quiet: EffectiveWebhook[] } {
  const quiet: EffectiveWebhook[] = [];
  for (const hook of hooksOf(tick, 'rollback')) {
    if (ask(tick, hook, tick.state.phase).ok) return { signaled: hook, quiet };
    quiet.push(hook);
  }
  return { signaled: undefined, quiet };
}

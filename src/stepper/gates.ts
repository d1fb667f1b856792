// Webhook gates (flagger-compat §8.2). The hooks of one type are consulted in spec order and the
// first failure stops the list; every answer consulted is recorded as a check.

import type { EffectiveWebhook } from '../api/defaults.js';
import type { GateHookType } from './checks.js';
import type { Phase } from './state.js';
import { recordCheck, runChecksum, type Tick } from './tick.js';

export type GateOutcome = { ok: true; passed: EffectiveWebhook[] } | { ok: false; hook: EffectiveWebhook; message: string };

export const hooksOf = (t: Tick, type: GateHookType): EffectiveWebhook[] => t.ctx.a.webhooks.filter((h) => h.type === type);

function ask(t: Tick, hook: EffectiveWebhook, phase: Phase): { ok: boolean; message: string } {
  const answer = t.checker.hook(hook, phase, runChecksum(t.state));
  const message = answer.message ?? '';
  recordCheck(t, {
    at: t.ctx.at,
    kind: 'hook',
    name: hook.name,
    hookType: hook.type,
    verdict: answer.ok ? 'ok' : 'failed',
    ...(message ? { message } : {}),
    ...(t.state.revision ? { revision: t.state.revision } : {}),
  });
  return { ok: answer.ok, message };
}

/** All hooks of `type` pass (none is a pass), or the first one that did not. */
export function gate(t: Tick, type: GateHookType, phase: Phase = t.state.phase): GateOutcome {
  const passed: EffectiveWebhook[] = [];
  for (const hook of hooksOf(t, type)) {
    const answer = ask(t, hook, phase);
    if (!answer.ok) return { ok: false, hook, message: answer.message };
    passed.push(hook);
  }
  return { ok: true, passed };
}

/** Rollback hooks: the first one answering 2xx asks for a rollback; the others say they do not. */
export function rollbackSignal(t: Tick): { signaled: EffectiveWebhook | undefined; quiet: EffectiveWebhook[] } {
  const quiet: EffectiveWebhook[] = [];
  for (const hook of hooksOf(t, 'rollback')) {
    if (ask(t, hook, t.state.phase).ok) return { signaled: hook, quiet };
    quiet.push(hook);
  }
  return { signaled: undefined, quiet };
}

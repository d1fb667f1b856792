// What a tick asks when it reaches a gate webhook or a metric: the port between the decision code
// and whoever answers (the runner's results in step(), a probe in plan(); see checks.ts). A leaf,
// so tick.ts can hold a Checker without importing the checks that use it.
import type { EffectiveMetric, EffectiveWebhook } from '../api/defaults.js';
import type { HookResult, MetricResult } from './observations.js';
import type { Phase } from './state.js';

export interface Checker {
  hook(hook: EffectiveWebhook, phase: Phase, checksum: string): HookResult;
  /** 'pass' from the probe: carry on without judging. */
  metric(metric: EffectiveMetric): MetricResult | 'pass' | undefined;
}

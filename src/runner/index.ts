// The runner: the thin, stateless loop around the pure stepper (DESIGN.md, "The stepper").
export { runPass, listCanaries, shardOf, DEFAULT_CONCURRENCY } from './pass.js';
export { mapBounded } from '../lib/map-bounded.js';
export { runSchedule, nextPassAt, sleep, DEFAULT_POLL_INTERVAL_MS, NAMESPACE_PASS_CANARIES, type RunMode, type ScheduleOptions, type ScheduleDeps, type ScheduleReport } from './schedule.js';
export { stepCanary } from './canary.js';
export { ClusterView } from './view.js';
export { eventObject, EVENT_COMPONENT, EVENT_REASON } from './events.js';
export type { RunnerDeps, PassOptions, PassReport, CanaryReport, CanaryOutcome, Shard } from './types.js';

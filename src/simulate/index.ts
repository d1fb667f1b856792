// The simulator: step() run against a model of the cluster with a moving clock, for `davy simulate`,
// the time-to-promotion estimate of `davy status`, and the stepper's scenario tests. It is a caller
// of the stepper like the runner, so it lives beside it, not in it.
export { simulate, createDriver, failingValue, passingValue, type Simulation, type SimulateOptions, type TimelineEntry, type Driver, type DriverOptions, type Moment } from './simulate.js';
export { apply, newCluster, observe, pushRevision, type NewCluster, type SimCluster } from './cluster.js';

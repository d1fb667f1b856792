// The pure builders: from a Canary and the user's objects to the objects Davy wants in the cluster.
export * from './result.js';
export * from './types.js';
export { SELECTOR_LABELS, converged, ownershipOf, selectorLabel, sideSelector, type Ownership, type SelectorLabel } from './meta.js';
export * from './canary-copy.js';
export * from './services.js';
export * from './autoscalers.js';
export * from './config-tracking.js';

// Scenario helpers for the stepper's tests, on top of the pure simulator (src/stepper/simulate.ts):
// fixtures cloned per test, a canary brought to Initialized and given a new revision, and the
// event stream as plain strings.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import type { Canary, CanaryAnalysis, CanarySpec } from '../../../src/api/types.js';
import { createDriver, type Driver, type DriverOptions } from '../../../src/simulate/simulate.js';
import type { Phase, State } from '../../../src/stepper/state.js';

const FIXTURES = fileURLToPath(new URL('../../fixtures/stepper/', import.meta.url));

/** A tutorial Canary from test/fixtures/stepper, a fresh copy each time. */
export function fixture(file: string): Canary {
  return parse(readFileSync(`${FIXTURES}${file}`, 'utf8')) as Canary;
}

/** A small Canary: podinfo in `test`, osm, 10s interval, threshold 2, 10..30 in steps of 10. */
export function canary(analysis: Partial<CanaryAnalysis> = {}, spec: Partial<CanarySpec> = {}): Canary {
  return {
    apiVersion: 'flagger.app/v1beta1',
    kind: 'Canary',
    metadata: { name: 'podinfo', namespace: 'test' },
    spec: {
      provider: 'osm',
      targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'podinfo' },
      service: { port: 9898 },
      ...spec,
      analysis: { interval: '10s', threshold: 2, maxWeight: 30, stepWeight: 10, ...analysis },
    },
  };
}

export const events = (d: Driver): string[] => d.cluster.log.events.map((e) => e.message);
export const warnings = (d: Driver): string[] => d.cluster.log.events.filter((e) => e.type === 'Warning').map((e) => e.message);
export const phases = (d: Driver): Phase[] => d.state.transitions.map((t) => t.to);
export const isTerminal = (s: State): boolean => s.phase === 'Succeeded' || s.phase === 'Failed';

/** A driver whose canary is Initialized; the clock then stands at the moment it was. */
export function initialized(c: Canary, options: DriverOptions = {}): Driver {
  const d = createDriver(c, options);
  d.stepNow();
  if (!d.runUntil((s) => s.phase === 'Initialized', 10)) throw new Error(`not initialized: ${d.state.phase}`);
  return d;
}

/** Initialized, then the user pushes `revision` and the stepper sees it at once. */
export function released(c: Canary, options: DriverOptions = {}, revision = 'rev-2'): Driver {
  const d = initialized(c, options);
  d.wait(1000);
  d.pushRevision(revision);
  d.stepNow();
  return d;
}

export function toEnd(d: Driver, maxSteps = 300): Driver {
  if (!d.runUntil(isTerminal, maxSteps)) throw new Error(`did not end: ${d.state.phase}`);
  return d;
}

/** The events from the first one matching `from` on. */
export function eventsFrom(d: Driver, from: string): string[] {
  const all = events(d);
  const i = all.findIndex((e) => e.includes(from));
  return i < 0 ? [] : all.slice(i);
}

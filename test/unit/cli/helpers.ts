// Shared helpers of the CLI tests: the shared example Canaries, and Canary objects carrying a
// state the stepper's own driver produced (so every state shown is one the stepper can reach).

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import type { Canary } from '../../../src/api/types.js';
import { createDriver, type Driver, type DriverOptions } from '../../../src/simulate/index.js';
import { serializeState, type State } from '../../../src/stepper/index.js';
import { examplesDir } from '../api/helpers.js';
import { PLAIN } from '../../../src/cli/format/ansi.js';
import type { RenderOptions } from '../../../src/cli/status-render.js';

export const START = Date.parse('2025-01-01T00:00:00Z');

export const exampleText = (file: string): string => readFileSync(path.join(examplesDir, file), 'utf8');
export const example = (file: string): Canary => parse(exampleText(file)) as Canary;

/** A driver whose canary (an example file, or a Canary) is initialized and has just been handed revision `rev-2`. */
export function released(source: string | Canary, options: DriverOptions = {}): Driver {
  const driver = createDriver(typeof source === 'string' ? example(source) : source, { start: START, ...options });
  driver.stepNow();
  driver.runUntil((s) => s.phase === 'Initialized');
  driver.pushRevision('rev-2');
  driver.stepNow();
  return driver;
}

/** The Canary as the API server would return it, with `state` in its annotation. */
export function withState(canary: Canary, state: State | string | undefined, annotations: Record<string, string> = {}): Canary {
  const text = typeof state === 'string' ? state : state === undefined ? undefined : serializeState(state);
  return {
    ...structuredClone(canary),
    metadata: { ...canary.metadata, annotations: { ...annotations, ...(text === undefined ? {} : { 'davy.dev/state': text }) } },
  };
}

export const renderOptions = (now: Date | number, relative = true): RenderOptions => ({
  now: new Date(now),
  paint: PLAIN,
  relative,
  program: 'davy',
});

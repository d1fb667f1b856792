// The deployment strategy a Canary implies (flagger-compat.md §4): it is never declared, it
// follows from the analysis fields and the provider.

import { resolveProvider, type ProviderName } from './providers.js';
import type { CanarySpec } from './types.js';

export type Strategy = 'canary' | 'ab-testing' | 'blue-green';

/**
 * `match` + `iterations` is A/B, `iterations` alone is blue/green, anything else is a weighted
 * canary. The kubernetes provider cannot split traffic, so it is always blue/green (Flagger drops
 * `match` and runs 10 iterations when none are given; the validator refuses `match` there and
 * warns about weights).
 */
export function strategyOf(spec: CanarySpec, meshProvider?: ProviderName): Strategy {
  if (resolveProvider(spec?.provider, meshProvider) === 'kubernetes') return 'blue-green';
  const analysis = spec?.analysis;
  const iterations = typeof analysis?.iterations === 'number' ? analysis.iterations : 0;
  if (iterations > 0) {
    return Array.isArray(analysis?.match) && analysis.match.length > 0 ? 'ab-testing' : 'blue-green';
  }
  return 'canary';
}

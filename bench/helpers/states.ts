// Canary states as the stepper leaves them, for the benches that measure what a state costs
// (state-write.bench.ts, stepper-scale.bench.ts --histories): made by the pure stepper
// (src/simulate) from Flagger's OSM tutorial, not written by hand.
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { ANNOTATION_STATE, API_VERSION } from '../../src/api/keys.js';
import type { Canary } from '../../src/api/types.js';
import { NodeKubeClient } from '../../src/kube/node-client.js';
import { mapBounded } from '../../src/lib/map-bounded.js';
import { createDriver } from '../../src/simulate/simulate.js';
import { parseState, serializeState } from '../../src/stepper/state-codec.js';
import { queryOf, type State } from '../../src/stepper/state.js';
import { ROOT } from './stepper-process.js';

/** The queries the osm observer renders for podinfo in `test` (as `davy status` prints them). */
const OSM_QUERIES: Record<string, string> = {
  'request-success-rate': 'sum(rate(osm_request_total{destination_namespace="test", destination_kind="Deployment", destination_name="podinfo-canary", response_code!~"5.*"}[1m])) / sum(rate(osm_request_total{destination_namespace="test", destination_kind="Deployment", destination_name="podinfo-canary"}[1m])) * 100',
  'request-duration': 'histogram_quantile(0.99, sum by (le) (rate(osm_request_duration_ms_bucket{destination_namespace="test", destination_kind="Deployment", destination_name="podinfo-canary"}[30s])))',
};

export const tutorial = (): Canary => parse(fs.readFileSync(path.join(ROOT, 'test/fixtures/stepper/podinfo-canary-osm.yaml'), 'utf8')) as Canary;

/** `canary`'s state once initialized, then promoted once per revision in turn. */
function rolledOut(canary: Canary, revisions: readonly string[], options: Parameters<typeof createDriver>[1]): State {
  const d = createDriver(canary, options);
  d.stepNow();
  if (!d.runUntil((s) => s.phase === 'Initialized', 10)) throw new Error('not initialized');
  for (const revision of revisions) {
    d.pushRevision(revision);
    d.stepNow();
    if (!d.runUntil((s) => s.phase === 'Succeeded', 300)) throw new Error(`${revision} did not succeed: ${d.state.phase}`);
  }
  return d.state;
}

/** The tutorial canary's state after two rollouts with passing metrics. */
export const metricState = (): State =>
  rolledOut(tutorial(), ['rev-2', 'rev-3'], { metric: (check) => ({ verdict: 'ok', query: OSM_QUERIES[check.name] ?? check.name, value: 99.5 }) });

/** The same state with every metric record carrying its query, as the stepper wrote it before appendCheck. */
export const repeatedQueries = (state: State): State => ({
  ...state,
  checks: state.checks.map((c, i) => (c.kind === 'metric' ? { ...c, query: queryOf(state.checks.slice(0, i + 1), c) } : c)),
});

/** The bench's blue/green canary (provider kubernetes, no metrics) after one rollout. */
export function blueGreenState(): State {
  const c = tutorial();
  c.spec.provider = 'kubernetes';
  c.spec.analysis = { interval: '10s', threshold: 2, iterations: 3 };
  return rolledOut(c, ['rev-2'], {});
}

/**
 * Gives every Canary in `namespaces` the check and transition history of `history`, keeping the
 * rest of its own state, as the stepper's identity (the webhook lets only it change the state).
 * Returns the Canaries' mean size in bytes afterwards.
 */
export async function fillHistories(kubeconfig: string, namespaces: readonly string[], history: State): Promise<number> {
  const client = NodeKubeClient.fromKubeconfig({ kubeconfig, timeoutMs: 60_000 });
  const sizes: number[] = [];
  try {
    for (const namespace of namespaces) {
      const { items } = await client.list(API_VERSION, 'Canary', namespace);
      await mapBounded(items, 16, async (canary) => {
        const parsed = parseState(canary.metadata.annotations?.[ANNOTATION_STATE]);
        if (parsed.kind !== 'ok') throw new Error(`${namespace}/${canary.metadata.name}: no state to fill (${parsed.kind})`);
        const state = serializeState({ ...parsed.state, checks: history.checks, transitions: history.transitions });
        const written = await client.replace({ ...canary, metadata: { ...canary.metadata, annotations: { ...canary.metadata.annotations, [ANNOTATION_STATE]: state } } });
        sizes.push(JSON.stringify(written).length);
      });
    }
  } finally {
    client.close();
  }
  return sizes.reduce((a, b) => a + b, 0) / Math.max(1, sizes.length);
}

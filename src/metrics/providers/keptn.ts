// Keptn: no server of its own but the Keptn metrics operator's custom resources, read and written
// through the API server with the stepper's own client (Flagger's dynamic client). The query names
// what to read, Flagger's selector format:
//
//   keptnmetric/<namespace>/<name>                        → the KeptnMetric's `status.value`
//   analysis/<namespace>/<definition>[/<recent>[/<k=v;k=v>]] → a new Analysis of that
//       AnalysisDefinition over the last <recent> (default 1m) with those args; its verdict once
//       the operator has `Completed` it: 1 when it passed, 0 when not. It is deleted afterwards.
//
// Flagger lower-cases the whole query (argument values included); Davy lower-cases only the kind
// word, since names are lower case anyway and argument values are the user's. A KeptnMetric with
// no value yet (or NaN) is no data, where Flagger fails.

import { randomBytes } from 'node:crypto';
import { ApiError, type KubeClient, type KubeObject } from '../../kube/client.js';
import { describeError } from '../../webhooks/http.js';
import { failingProvider, failure, noData, ok, type MetricProviderFactory, type MetricResult, type OnlineResult } from '../provider.js';

const NAME = 'keptn';
/** The version Flagger reads and writes; the operator's CRDs serve it next to v1. */
export const KEPTN_API_VERSION = 'metrics.keptn.sh/v1beta1';
export const KEPTN_ANALYSIS_DEFAULT_TIMEFRAME = '1m';
const FORMAT = 'the query must be keptnmetric/<namespace>/<name> or analysis/<namespace>/<analysis definition>[/<timeframe>[/<key=value;...>]]';

export type KeptnClient = Pick<KubeClient, 'get' | 'list' | 'create' | 'delete'>;

export interface KeptnOptions {
  /** How often a created Analysis is read back (Flagger: 1 s). */
  pollMs?: number;
  /** How long the operator has to complete an Analysis (Flagger: 10 s). */
  analysisTimeoutMs?: number;
}

type KeptnQuery =
  | { kind: 'metric'; namespace: string; name: string }
  | { kind: 'analysis'; namespace: string; definition: string; recent: string; args: Record<string, string> };

export function parseKeptnQuery(text: string): KeptnQuery | string {
  const parts = text.trim().split('/');
  if (parts.length < 3 || parts.slice(0, 3).some((p) => p === '')) return `${NAME}: ${FORMAT}`;
  const [kind, namespace, name, recent, args] = parts as [string, string, string, string?, string?];
  switch (kind.toLowerCase()) {
    case 'keptnmetric':
    case 'keptnmetrics':
      if (parts.length > 3) return `${NAME}: a keptnmetric query has no timeframe or arguments; ${FORMAT}`;
      return { kind: 'metric', namespace, name };
    case 'analysis':
    case 'analyses': {
      const pairs = (args ?? '').split(';').filter((a) => a !== '').map((a) => a.split('='));
      const bad = pairs.find((p) => p.length !== 2 || p[0] === '');
      if (bad) return `${NAME}: the argument ${JSON.stringify(bad.join('='))} is not key=value; ${FORMAT}`;
      return { kind: 'analysis', namespace, definition: name, recent: recent || KEPTN_ANALYSIS_DEFAULT_TIMEFRAME, args: Object.fromEntries(pairs) as Record<string, string> };
    }
    default:
      return `${NAME}: unknown kind ${JSON.stringify(kind)}; ${FORMAT}`;
  }
}

/** The factory, bound to the stepper's API client; without one, every check says why. */
export function keptnProvider(kube: KeptnClient | undefined, options: KeptnOptions = {}): MetricProviderFactory {
  if (!kube) return () => failingProvider(`${NAME}: the provider reads Keptn's resources and needs the stepper's API client`);
  return () => ({
    query: async (text, signal) => {
      const query = parseKeptnQuery(text);
      if (typeof query === 'string') return failure(query);
      try {
        return query.kind === 'metric' ? await readMetric(kube, query) : await runAnalysis(kube, query, options, signal);
      } catch (error) {
        return failure(`${NAME}: ${describeError(error)}`);
      }
    },
    isOnline: () => online(kube),
  });
}

async function readMetric(kube: KeptnClient, query: Extract<KeptnQuery, { kind: 'metric' }>): Promise<MetricResult> {
  const id = `KeptnMetric ${query.namespace}/${query.name}`;
  const metric = await kube.get<KubeObject & { status?: { value?: unknown } }>({ apiVersion: KEPTN_API_VERSION, kind: 'KeptnMetric', namespace: query.namespace, name: query.name });
  if (!metric) return failure(`${NAME}: ${id} not found`);
  const value = metric.status?.value;
  if (value === undefined || value === '') return noData(`${id} has no value yet`);
  const number = typeof value === 'string' ? Number(value.trim()) : Number.NaN;
  if (typeof value !== 'string' || (Number.isNaN(number) && value.trim() !== 'NaN')) return failure(`${NAME}: the value ${JSON.stringify(value)} of ${id} is not a number`);
  if (!Number.isFinite(number)) return noData(`the value of ${id} is ${value.trim()}`);
  return ok(number);
}

type AnalysisObject = KubeObject & { status?: { state?: unknown; pass?: unknown } };

async function runAnalysis(kube: KeptnClient, query: Extract<KeptnQuery, { kind: 'analysis' }>, options: KeptnOptions, signal?: AbortSignal): Promise<MetricResult> {
  const name = `${query.definition.slice(0, 56)}-${randomBytes(3).toString('hex')}`;
  const ref = { apiVersion: KEPTN_API_VERSION, kind: 'Analysis', namespace: query.namespace, name };
  await kube.create<KubeObject>({
    apiVersion: KEPTN_API_VERSION,
    kind: 'Analysis',
    metadata: { name, namespace: query.namespace, labels: { 'app.kubernetes.io/managed-by': 'davy' } },
    spec: { analysisDefinition: { name: query.definition }, timeframe: { recent: query.recent }, args: query.args },
  });
  try {
    const deadline = Date.now() + (options.analysisTimeoutMs ?? 10_000);
    for (;;) {
      await sleep(options.pollMs ?? 1_000, signal);
      if (signal?.aborted) return failure(`${NAME}: cancelled while waiting for Analysis ${query.namespace}/${name}`);
      const current = await kube.get<AnalysisObject>(ref);
      if (!current) return failure(`${NAME}: Analysis ${query.namespace}/${name} disappeared before it completed`);
      if (current.status?.state === 'Completed' && typeof current.status.pass === 'boolean') return ok(current.status.pass ? 1 : 0);
      if (Date.now() >= deadline) {
        const state = typeof current.status?.state === 'string' ? current.status.state : 'no state';
        return failure(`${NAME}: Analysis ${query.namespace}/${name} of ${query.definition} did not complete in time (${state}); is the Keptn metrics operator running?`);
      }
    }
  } finally {
    await kube.delete(ref).catch(() => false);
  }
}

async function online(kube: KeptnClient): Promise<OnlineResult> {
  try {
    await kube.list(KEPTN_API_VERSION, 'KeptnMetric', 'default');
    return { online: true };
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return { online: false, message: `${NAME}: the Keptn CRDs (${KEPTN_API_VERSION}) are not installed` };
    return { online: false, message: `${NAME}: ${describeError(error)}` };
  }
}

const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });

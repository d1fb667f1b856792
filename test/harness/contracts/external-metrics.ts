// Kubernetes' external metrics API (external.metrics.k8s.io/v1beta1) as an adapter serves it behind
// the API server (k8s.io/metrics, ExternalMetricValueList): GET
// /apis/external.metrics.k8s.io/v1beta1/namespaces/<ns>/<metric>?labelSelector=, a Bearer token,
// metav1.Status bodies for errors. The labelSelector must parse (this server knows `k=v` lists).
import { ContractServer, type ContractAnswer, type ContractRequest, type ContractState } from './server.js';

export const EXTERNAL_METRICS_TOKEN = 'eyJhbGciOiJSUzI1NiJ9.davy-tests';
const BASE = '/apis/external.metrics.k8s.io/v1beta1/namespaces/';

const status = (code: number, reason: string, message: string): ContractAnswer => ({
  status: code,
  body: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code },
});

function handle(req: ContractRequest, state: ContractState): ContractAnswer {
  if (req.method !== 'GET') return status(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource`);
  if (req.headers.authorization !== `Bearer ${EXTERNAL_METRICS_TOKEN}`) return status(401, 'Unauthorized', 'Unauthorized');
  if (!req.url.pathname.startsWith(BASE)) return status(404, 'NotFound', 'the server could not find the requested resource');
  const [namespace, metric, ...rest] = req.url.pathname.slice(BASE.length).split('/').map(decodeURIComponent);
  if (!namespace || !metric || rest.length > 0) return status(404, 'NotFound', 'the server could not find the requested resource');
  const selector = req.url.searchParams.get('labelSelector') ?? '';
  const labels = selector === '' ? {} : Object.fromEntries(selector.split(',').map((p) => p.split('=')));
  if (Object.entries(labels).some(([k, v]) => !k || v === undefined)) return status(400, 'BadRequest', `unable to parse requirement: ${selector}`);
  if (state.scenario === 'outage') return status(503, 'ServiceUnavailable', 'the server is currently unable to handle the request');
  const item = (value: string) => ({ metricName: metric, metricLabels: labels, timestamp: new Date().toISOString(), value });
  const list = (items: unknown[]) => ({ status: 200, body: { kind: 'ExternalMetricValueList', apiVersion: 'external.metrics.k8s.io/v1beta1', metadata: {}, items } });
  switch (state.scenario) {
    case 'empty':
      return list([]);
    case 'several':
      return list([item('1'), item('2')]);
    default:
      // Quantities as adapters write them: milli-units for fractions.
      return list([item(`${Math.round(state.value * 1000)}m`)]);
  }
}

export const externalMetricsContract = (): ContractServer => new ContractServer(handle);

// The keptn metric provider against the real API server with Keptn's own CRDs
// (test/fixtures/crds/keptn-metrics.yaml): KeptnMetrics read as the operator leaves them, and
// Analyses created by the provider and completed by a stand-in for Keptn's metrics operator, which
// cannot run here (it queries real metric backends). The stand-in checks each Analysis' spec and
// writes its status through the status subresource, as the operator does.
import { expect } from 'chai';
import { e2e } from './hooks.js';
import { testNamespace } from '../harness/cluster.js';
import type { KubeObject } from '../../src/kube/client.js';
import { KEPTN_API_VERSION, keptnProvider } from '../../src/metrics/providers/keptn.js';

type Analysis = KubeObject & { spec: { analysisDefinition: { name: string }; timeframe: { recent: string }; args?: Record<string, string> }; status?: unknown };

describe('metric provider keptn against the API server with the Keptn CRDs', function () {
  this.timeout(60_000);
  const ns = testNamespace('keptn');
  /** What the stand-in operator concludes per AnalysisDefinition; absent: it never completes. */
  const verdicts: Record<string, boolean> = { 'passes': true, 'fails': false };
  const seen: Analysis[] = [];
  let operator: NodeJS.Timeout | undefined;

  const provider = () => keptnProvider(e2e().cluster.kube, { pollMs: 100, analysisTimeoutMs: 3_000 })({});
  const metric = (name: string, value?: string): KubeObject => ({
    apiVersion: KEPTN_API_VERSION,
    kind: 'KeptnMetric',
    metadata: { name, namespace: ns },
    spec: { provider: { name: 'prometheus' }, query: 'sum(rate(http_requests_total[1m]))', fetchIntervalSeconds: 10 },
    ...(value === undefined ? {} : { status: { value, rawValue: Buffer.from(value).toString('base64'), lastUpdated: new Date().toISOString() } }),
  });

  before(async () => {
    const { cluster } = e2e();
    await cluster.createNamespace(ns);
    for (const m of [metric('error-rate', '42.5'), metric('not-yet')]) {
      const created = await cluster.kube.create(m);
      // The operator writes values through the status subresource; create ignores status.
      if (m.status) await cluster.kube.replaceStatus({ ...created, status: m.status });
    }
    const operate = async (): Promise<void> => {
      const { items } = await cluster.kube.list<Analysis>(KEPTN_API_VERSION, 'Analysis', ns);
      for (const analysis of items.filter((a) => !a.status)) {
        const pass = verdicts[analysis.spec.analysisDefinition.name];
        if (!seen.some((s) => s.metadata.name === analysis.metadata.name)) seen.push(analysis);
        if (pass === undefined) continue;
        const now = new Date();
        const from = new Date(now.getTime() - 60_000);
        await cluster.kube.replaceStatus({ ...analysis, status: { state: 'Completed', pass, timeframe: { from: from.toISOString(), to: now.toISOString() } } });
      }
    };
    const loop = (): void => {
      operator = setTimeout(() => void operate().catch(() => undefined).finally(loop), 100);
    };
    loop();
  });

  after(async () => {
    clearTimeout(operator);
    operator = undefined;
    await e2e().cluster.deleteNamespace(ns);
  });

  it('when a KeptnMetric has a value, then it is the value', async () => {
    expect(await provider().query(`keptnmetric/${ns}/error-rate`)).to.deep.equal({ kind: 'ok', value: 42.5 });
  });

  it('when a KeptnMetric has no value yet, then it is no data; when there is none, an error naming it', async () => {
    expect(await provider().query(`keptnmetric/${ns}/not-yet`)).to.deep.equal({ kind: 'noData', reason: `KeptnMetric ${ns}/not-yet has no value yet` });
    expect(await provider().query(`KeptnMetrics/${ns}/missing`)).to.deep.equal({ kind: 'error', message: `keptn: KeptnMetric ${ns}/missing not found` });
  });

  it('when an Analysis passes, then the value is 1, its spec carries the timeframe and arguments, and it is deleted', async () => {
    expect(await provider().query(`analysis/${ns}/passes/5m/workload=podinfo;Region=EU`)).to.deep.equal({ kind: 'ok', value: 1 });
    const analysis = seen.find((a) => a.spec.analysisDefinition.name === 'passes');
    expect(analysis?.spec).to.deep.include({ timeframe: { recent: '5m' }, args: { workload: 'podinfo', Region: 'EU' } });
    expect(await e2e().cluster.kube.get({ apiVersion: KEPTN_API_VERSION, kind: 'Analysis', namespace: ns, name: analysis!.metadata.name! })).to.equal(undefined);
  });

  it('when an Analysis fails, then the value is 0 (the timeframe defaulting to 1m)', async () => {
    expect(await provider().query(`analysis/${ns}/fails`)).to.deep.equal({ kind: 'ok', value: 0 });
    expect(seen.find((a) => a.spec.analysisDefinition.name === 'fails')?.spec.timeframe).to.deep.equal({ recent: '1m' });
  });

  it('when no operator completes the Analysis in time, then it is an error, and the Analysis is deleted', async () => {
    const result = await provider().query(`analysis/${ns}/nobody-evaluates`);
    expect(result).to.have.property('message').that.matches(/^keptn: Analysis .* of nobody-evaluates did not complete in time .*metrics operator running/);
    const { items } = await e2e().cluster.kube.list(KEPTN_API_VERSION, 'Analysis', ns);
    expect(items.map((a) => a.metadata.name)).to.deep.equal([]);
  });

  it('when the query is not a Keptn selector, then it says which form it takes', async () => {
    expect(await provider().query('sum(rate(x[1m]))')).to.have.property('message').that.matches(/^keptn: the query must be keptnmetric\/<namespace>\/<name> or analysis/);
  });

  it('when the stepper\'s identity asks, then deploy/stepper/rbac.yaml lets it do exactly what the provider does', async () => {
    const as = ['--as', 'system:serviceaccount:davy-system:davy-stepper', '-n', ns];
    for (const [verb, resource, allowed] of [['get', 'keptnmetrics', 'yes'], ['create', 'analyses', 'yes'], ['get', 'analyses', 'yes'], ['delete', 'analyses', 'yes'], ['update', 'keptnmetrics', 'no']] as const) {
      const answer = await e2e().cluster.kubectl(['auth', 'can-i', verb, `${resource}.metrics.keptn.sh`, ...as]);
      expect(answer.stdout.trim(), `${verb} ${resource}`).to.equal(allowed);
    }
  });

  it('when asked whether it is online, then the CRDs being served counts', async () => {
    expect(await provider().isOnline()).to.deep.equal({ online: true });
  });
});

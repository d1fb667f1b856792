// The checks a pass runs for plan(): inline queries, MetricTemplates with their Secrets (read from
// the pass's LISTs), and what an unreachable Prometheus means.
import { expect } from 'chai';
import { passUntil, phaseIs, setImage, stateOf, editCanary, events, world, type World } from './world.js';

async function analysing(w: World): Promise<void> {
  await passUntil(w, phaseIs('Initialized'), 20);
  await setImage(w, 'ghcr.io/stefanprodan/podinfo:6.0.1');
}

describe('runner: analysis checks', () => {
  it('when the inline 404s query of the tutorial reads 6.2%, then the canary halts on it and rolls back', async () => {
    const w = world();
    await editCanary(w, (c) => {
      c.spec.analysis!.metrics = [
        ...(c.spec.analysis!.metrics ?? []),
        { name: '404s percentage', threshold: 3, query: 'sum(rate(osm_request_total{destination_name="podinfo",response_code="404"}[1m])) / sum(rate(osm_request_total{destination_name="podinfo"}[1m])) * 100' },
      ];
    });
    await analysing(w);
    w.metric.answer = (query) => (query.includes('response_code="404"') ? { kind: 'ok', value: 6.2 } : undefined);
    await passUntil(w, phaseIs('Failed'), 100);
    expect(events(w)).to.include('Halt podinfo.test advancement 404s percentage 6.20 > 3');
    const check = stateOf(w).checks.find((c) => c.name === '404s percentage')!;
    // Flagger's name for the target in a query means the workload under test: the copy.
    expect(check.query).to.include('destination_name="podinfo-canary"');
    expect(check).to.include({ value: 6.2, max: 3, verdict: 'failed' });
  });

  it('when a metric uses a MetricTemplate with a secretRef, then the template and the decoded Secret come from the pass\'s lists', async () => {
    const w = world();
    w.kube.seed(
      {
        apiVersion: 'flagger.app/v1beta1', kind: 'MetricTemplate', metadata: { name: 'latency', namespace: 'test' },
        spec: { provider: { type: 'prometheus', address: 'http://prometheus.auth:9090', secretRef: { name: 'prom-auth' } }, query: 'histogram_quantile(0.99, rate(x{app="{{ target }}"}[1m]))' },
      },
      { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'prom-auth', namespace: 'test' }, type: 'Opaque', data: { username: Buffer.from('u').toString('base64'), password: Buffer.from('p').toString('base64') } },
    );
    await editCanary(w, (c) => {
      c.spec.analysis!.metrics = [{ name: 'latency', templateRef: { name: 'latency' }, thresholdRange: { max: 500 } }];
    });
    await analysing(w);
    await passUntil(w, (x) => stateOf(x).checks.some((c) => c.name === 'latency'), 50);
    const check = stateOf(w).checks.find((c) => c.name === 'latency')!;
    expect(check).to.include({ verdict: 'ok', value: 100, query: 'histogram_quantile(0.99, rate(x{app="podinfo-canary"}[1m]))' });
    expect(w.metric.configs).to.deep.include({ address: 'http://prometheus.auth:9090', secretData: { username: 'u', password: 'p' }, intervalMs: 60_000, timeoutMs: 10_000 });
  });

  it('when Prometheus cannot be reached, then each analysis step is a failed check with the reason recorded', async () => {
    const w = world();
    await analysing(w);
    await passUntil(w, (x) => stateOf(x).analysisStarted, 50);
    w.metric.answer = () => ({ kind: 'error', message: 'connect ECONNREFUSED 10.0.0.1:9090' });
    await passUntil(w, (x) => stateOf(x).failedChecks >= 2, 20);
    const failed = stateOf(w).checks.filter((c) => c.verdict === 'error');
    expect(failed[0]!.message).to.include('ECONNREFUSED');
    // A builtin metric's failure is worded as Flagger's, once: no second "Metric query failed" prefix.
    expect(events(w)).to.include('Prometheus query failed for request-success-rate: connect ECONNREFUSED 10.0.0.1:9090');
  });
});

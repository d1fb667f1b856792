// The whole chain, once: kwok makes pods Ready for a Deployment created through KubeClient, and
// Prometheus scrapes the shaped exporter and answers PromQL over HTTP.
import { expect } from 'chai';
import { e2e } from './hooks.js';
import { testNamespace } from '../harness/cluster.js';
import { eventually } from '../harness/process.js';
import { promQuery } from '../harness/prometheus.js';
import type { KubeObject } from '../../src/kube/client.js';

describe('smoke: the local control plane, kwok and Prometheus', () => {
  const ns = testNamespace('smoke');

  before(async () => e2e().cluster.createNamespace(ns));
  after(async () => e2e().cluster.deleteNamespace(ns));

  it('when a Deployment is created through KubeClient, then kwok makes its pods Ready and it reports them available', async () => {
    const { kube } = e2e().cluster;
    await kube.create({
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: ns },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'web' } },
        template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx:1.27' }] } },
      },
    });
    const available = await eventually('2 available replicas', async () => {
      const d = await kube.get<KubeObject & { status?: { availableReplicas?: number } }>({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: ns, name: 'web' });
      return d?.status?.availableReplicas === 2 ? 2 : undefined;
    }, 60_000);
    expect(available).to.equal(2);
    const pods = await kube.list<KubeObject & { status?: { phase?: string } }>('v1', 'Pod', ns, { labelSelector: 'app=web' });
    expect(pods.items.map((p) => p.status?.phase)).to.deep.equal(['Running', 'Running']);
  });

  it('when the exporter is shaped, then a PromQL query over HTTP returns the shaped success rate', async () => {
    const { exporter, prometheus } = e2e();
    exporter.shapeOsm(ns, 'web', { requestsPerSecond: 20, successRate: 0.9, latencyMs: 40 });
    const query = `100 * sum(rate(osm_request_total{destination_namespace="${ns}",destination_name="web",response_code!~"5.*"}[10s])) / sum(rate(osm_request_total{destination_namespace="${ns}",destination_name="web"}[10s]))`;
    const value = await eventually('a success rate from Prometheus', async () => {
      const result = await promQuery(prometheus.url, query);
      const v = Number(result[0]?.value[1]);
      return Number.isFinite(v) ? v : undefined;
    }, 30_000, 500);
    expect(value).to.be.closeTo(90, 0.5);
  });
});

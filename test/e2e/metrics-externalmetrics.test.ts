// The externalmetrics provider through the real API server's aggregation layer: a small external
// metrics adapter (HTTPS, on 127.0.0.1, the contract of test/harness/contracts/external-metrics.ts)
// is registered with an APIService for external.metrics.k8s.io/v1beta1 behind an ExternalName
// Service (the aggregator resolves it to the adapter's host and port), and the provider asks the
// API server with the stepper's own client (NodeKubeClient.getPath), as in-cluster Flagger does.
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { readFile } from 'node:fs/promises';
import { expect } from 'chai';
import { e2e } from './hooks.js';
import { eventually } from '../harness/process.js';
import type { KubeObject } from '../../src/kube/client.js';
import { externalMetricsProvider } from '../../src/metrics/providers/externalmetrics.js';
import { generateCerts, removeDir, type CertDir } from '../integration/support.js';

const GROUP_VERSION = 'external.metrics.k8s.io/v1beta1';
const APISERVICE = { apiVersion: 'apiregistration.k8s.io/v1', kind: 'APIService', metadata: { name: 'v1beta1.external.metrics.k8s.io' } };

describe('metric provider externalmetrics through the API server (an APIService)', function () {
  this.timeout(90_000);
  let certs: CertDir | undefined;
  let adapter: Server | undefined;
  const asked: string[] = [];

  before(async () => {
    certs = await generateCerts();
    // The adapter: discovery for the aggregator's availability check, and one metric.
    adapter = createServer({ cert: await readFile(certs.cert), key: await readFile(certs.key) }, (req, res) => {
      const url = new URL(req.url ?? '/', 'https://adapter');
      const json = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      if (url.pathname === `/apis/${GROUP_VERSION}`) return json(200, { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: GROUP_VERSION, resources: [{ name: '*', namespaced: true, kind: 'ExternalMetricValueList', verbs: ['get'] }] });
      asked.push(`${url.pathname}${url.search}`);
      const items = url.pathname.endsWith('/namespaces/test/queue_depth') && url.searchParams.get('labelSelector') === 'app=podinfo'
        ? [{ metricName: 'queue_depth', metricLabels: { app: 'podinfo' }, timestamp: new Date().toISOString(), value: '1500m' }]
        : [];
      json(200, { kind: 'ExternalMetricValueList', apiVersion: GROUP_VERSION, metadata: {}, items });
    });
    await new Promise<void>((resolve) => adapter!.listen(0, '127.0.0.1', resolve));
    const port = (adapter.address() as AddressInfo).port;
    const { cluster } = e2e();
    await cluster.kubectlOk(['apply', '-f', '-'], JSON.stringify({
      apiVersion: 'v1', kind: 'List',
      items: [
        { apiVersion: 'v1', kind: 'Service', metadata: { name: 'davy-external-metrics', namespace: 'default' }, spec: { type: 'ExternalName', externalName: 'localhost', ports: [{ port, protocol: 'TCP' }] } },
        { ...APISERVICE, spec: { group: 'external.metrics.k8s.io', version: 'v1beta1', service: { namespace: 'default', name: 'davy-external-metrics', port }, insecureSkipTLSVerify: true, groupPriorityMinimum: 100, versionPriority: 100 } },
      ],
    }));
    await eventually('the APIService to be Available', async () => {
      const found = await cluster.kube.get<KubeObject & { status?: { conditions?: { type: string; status: string }[] } }>({ ...APISERVICE, name: APISERVICE.metadata.name });
      return found?.status?.conditions?.some((c) => c.type === 'Available' && c.status === 'True') ? true : undefined;
    }, 60_000, 500);
  });

  after(async () => {
    const { cluster } = e2e();
    await cluster.kubectl(['delete', 'apiservice', APISERVICE.metadata.name, '--ignore-not-found']);
    await cluster.kubectl(['delete', 'service', '-n', 'default', 'davy-external-metrics', '--ignore-not-found']);
    adapter?.closeAllConnections();
    await new Promise((resolve) => (adapter ? adapter.close(resolve) : resolve(undefined)));
    if (certs) await removeDir(certs.dir);
  });

  const provider = () => externalMetricsProvider(e2e().cluster.kube)({});

  it('when the adapter has the metric, then the value comes through the API server, selector included', async () => {
    expect(await provider().query('test/queue_depth?labelSelector=app%3Dpodinfo')).to.deep.equal({ kind: 'ok', value: 1.5 });
    expect(asked).to.include('/apis/external.metrics.k8s.io/v1beta1/namespaces/test/queue_depth?labelSelector=app%3Dpodinfo');
  });

  it('when the adapter answers an empty list, then it is no data', async () => {
    expect(await provider().query('queue_depth')).to.deep.equal({ kind: 'noData', reason: 'no value of external metric queue_depth in default' });
  });

  it('when the stepper\'s identity asks, then deploy/stepper/rbac.yaml lets it read external metrics', async () => {
    // kubectl auth can-i maps resources through discovery, which lists metrics as "*": ask the API directly.
    const review = (resource: string) => JSON.stringify({
      apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview',
      spec: { user: 'system:serviceaccount:davy-system:davy-stepper', groups: ['system:serviceaccounts', 'system:serviceaccounts:davy-system', 'system:authenticated'], resourceAttributes: { group: resource.split('.').slice(1).join('.'), resource: resource.split('.')[0], verb: 'get', namespace: 'test' } },
    });
    const allowed = async (resource: string) => (JSON.parse(await e2e().cluster.kubectlOk(['create', '-o', 'json', '-f', '-'], review(resource))) as { status: { allowed: boolean } }).status.allowed;
    expect(await allowed('queue_depth.external.metrics.k8s.io')).to.equal(true);
    expect(await allowed('pods.custom.metrics.k8s.io')).to.equal(false);
  });

  it('when asked whether it is online, then the API server serving the group counts', async () => {
    expect(await provider().isOnline()).to.deep.equal({ online: true });
  });
});

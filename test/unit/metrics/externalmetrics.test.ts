// The externalmetrics provider: the query form, Kubernetes quantities, and the external metrics
// API through provider.address with a token against a contract server
// (test/harness/contracts/external-metrics.ts). Through the stepper's own API client it runs
// against the real API server in test/e2e/metrics-externalmetrics.test.ts.
import { expect } from 'chai';
import { externalMetricsProvider, parseExternalQuery, parseQuantity } from '../../../src/metrics/providers/externalmetrics.js';
import { EXTERNAL_METRICS_TOKEN, externalMetricsContract } from '../../harness/contracts/external-metrics.js';
import { useContract } from '../../harness/contracts/server.js';

describe('metric provider externalmetrics: query and quantities', () => {
  it('when the query names a metric, then the namespace defaults to default and the selector is decoded', () => {
    expect(parseExternalQuery('queue_depth')).to.deep.equal({ namespace: 'default', metric: 'queue_depth' });
    expect(parseExternalQuery('/queue_depth')).to.deep.equal({ namespace: 'default', metric: 'queue_depth' });
    expect(parseExternalQuery('test/queue_depth?labelSelector=app%3Dpodinfo%2Ctrack%3Dcanary')).to.deep.equal({ namespace: 'test', metric: 'queue_depth', labelSelector: 'app=podinfo,track=canary' });
    expect(parseExternalQuery('a/b/c')).to.match(/too many slashes/);
    expect(parseExternalQuery('test/')).to.match(/the metric name is empty/);
  });

  it('when a value is a quantity, then it is read as Kubernetes does', () => {
    const cases: [string, number | undefined][] = [['250m', 0.25], ['12', 12], ['1.5k', 1500], ['2Ki', 2048], ['1e3', 1000], ['-3', -3], ['5n', 5e-9], ['12x', undefined], ['', undefined]];
    for (const [text, value] of cases) expect(parseQuantity(text), text).to.equal(value);
  });
});

describe('metric provider externalmetrics against its contract server (provider.address)', () => {
  const server = externalMetricsContract();
  const address = useContract(server);
  const provider = (token = EXTERNAL_METRICS_TOKEN, timeoutMs?: number) => externalMetricsProvider(undefined)({ address: address(), secretData: { token }, ...(timeoutMs ? { timeoutMs } : {}) });
  const QUERY = 'test/queue_depth?labelSelector=app%3Dpodinfo';

  it('when the metric has a value, then it is the value, asked at the namespaced path with the selector', async () => {
    expect(await provider().query(QUERY)).to.deep.equal({ kind: 'ok', value: 99.5 });
    expect(server.log.map((l) => l.url)).to.deep.equal(['/apis/external.metrics.k8s.io/v1beta1/namespaces/test/queue_depth?labelSelector=app%3Dpodinfo']);
  });

  it('when the list is empty, then it is no data; when it has several items, an error asking to narrow it', async () => {
    server.state.scenario = 'empty';
    expect(await provider().query(QUERY)).to.deep.equal({ kind: 'noData', reason: 'no value of external metric queue_depth in test for app=podinfo' });
    server.state.scenario = 'several';
    expect(await provider().query(QUERY)).to.deep.equal({ kind: 'error', message: 'externalmetrics: the query returned 2 series; aggregate it to one series' });
  });

  it('when the token is wrong, the adapter is down, or it does not answer, then each is an error saying so', async () => {
    expect(await provider('wrong').query(QUERY)).to.deep.equal({ kind: 'error', message: 'externalmetrics: the credentials were refused (HTTP 401): Unauthorized' });
    server.state.scenario = 'outage';
    expect(await provider().query(QUERY)).to.have.property('message').that.matches(/^externalmetrics: HTTP 503 .*: the server is currently unable to handle the request/);
    server.state.scenario = 'hang';
    expect(await provider(EXTERNAL_METRICS_TOKEN, 100).query(QUERY)).to.have.property('message').that.matches(/timed out after 100 ms/);
  });

  it('when asked whether it is online, then an answer for a metric that need not exist counts; a refusal does not', async () => {
    server.state.scenario = 'empty';
    expect(await provider().isOnline()).to.deep.equal({ online: true });
    expect((await provider('wrong').isOnline()).online).to.equal(false);
  });

  it('when there is neither an address nor an API client, then checks say so', async () => {
    expect(await externalMetricsProvider(undefined)({}).query('x')).to.deep.equal({ kind: 'error', message: 'externalmetrics: no provider.address and no API client to reach the API server with' });
  });
});

// The Prometheus provider against a local server that answers in the documented HTTP API format
// (https://prometheus.io/docs/prometheus/latest/querying/api/): envelopes, result types, errors.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { prometheusProvider } from '../../../src/metrics/providers/prometheus.js';
import type { MetricResult } from '../../../src/metrics/provider.js';

interface Seen {
  path: string;
  query: string | null;
  headers: http.IncomingHttpHeaders;
}

type Answer = { status?: number; body: string; contentType?: string } | 'hang' | 'destroy';

class FakePrometheus {
  readonly seen: Seen[] = [];
  answer: Answer = { body: '' };
  private readonly server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    this.seen.push({ path: url.pathname, query: url.searchParams.get('query'), headers: req.headers });
    const answer = this.answer;
    if (answer === 'hang') return;
    if (answer === 'destroy') {
      req.socket.destroy();
      return;
    }
    res.writeHead(answer.status ?? 200, { 'content-type': answer.contentType ?? 'application/json' }).end(answer.body);
  });

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

const success = (resultType: string, result: unknown): string => JSON.stringify({ status: 'success', data: { resultType, result } });
const sample = (value: string, metric: Record<string, string> = {}) => ({ metric, value: [1_700_000_000.123, value] });

describe('prometheus provider: answers to results', () => {
  const fake = new FakePrometheus();
  let address = '';
  before(async () => {
    address = await fake.start();
  });
  after(() => fake.stop());
  beforeEach(() => {
    fake.seen.length = 0;
  });

  const run = (answer: Answer, text = 'up'): Promise<MetricResult> => {
    fake.answer = answer;
    return prometheusProvider({ address }).query(text);
  };

  it('when the vector has one sample, then the result is its value', async () => {
    expect(await run({ body: success('vector', [sample('99.5', { app: 'x' })]) })).to.deep.equal({ kind: 'ok', value: 99.5 });
  });

  it('when the answer is a scalar, then the result is its value', async () => {
    expect(await run({ body: success('scalar', [1_700_000_000, '42']) })).to.deep.equal({ kind: 'ok', value: 42 });
  });

  it('when the vector is empty, then there is no data, with the reason', async () => {
    const result = await run({ body: success('vector', []) });
    expect(result).to.have.property('kind', 'noData');
    expect(result).to.have.property('reason').that.includes('empty vector');
  });

  it('when the value is NaN or an infinity, then there is no data', async () => {
    for (const value of ['NaN', '+Inf', '-Inf']) {
      const result = await run({ body: success('vector', [sample(value)]) });
      expect(result, value).to.have.property('kind', 'noData');
      expect(result, value).to.have.property('reason').that.includes(value);
    }
    expect(await run({ body: success('scalar', [1, 'NaN']) })).to.have.property('kind', 'noData');
  });

  it('when the vector has several series, then it is an error naming how many', async () => {
    const result = await run({ body: success('vector', [sample('1', { pod: 'a' }), sample('2', { pod: 'b' }), sample('3', { pod: 'c' })]) });
    expect(result).to.have.property('kind', 'error');
    expect(result).to.have.property('message').that.includes('query returned 3 series');
  });

  it('when the answer is a matrix or a string, then it is an error', async () => {
    expect(await run({ body: success('matrix', [{ metric: {}, values: [[1, '1']] }]) })).to.have.property('message').that.includes('matrix');
    expect(await run({ body: success('string', [1, 'hello']) })).to.have.property('message').that.includes('string');
  });

  it('when the status is error, then the error type and message are passed on', async () => {
    const body = JSON.stringify({ status: 'error', errorType: 'bad_data', error: 'invalid parameter "query": 1:5: parse error' });
    const result = await run({ status: 400, body });
    expect(result).to.deep.equal({ kind: 'error', message: 'prometheus: bad_data: invalid parameter "query": 1:5: parse error' });
  });

  it('when the answer is not JSON, then it is an error quoting the start of the body', async () => {
    const result = await run({ body: '<html>login</html>', contentType: 'text/html' });
    expect(result).to.have.property('kind', 'error');
    expect(result).to.have.property('message').that.includes('non-JSON').and.includes('<html>login');
  });

  it('when the server answers 500 without JSON, then it is an error with the status', async () => {
    const result = await run({ status: 500, body: 'internal error', contentType: 'text/plain' });
    expect(result).to.have.property('message').that.includes('HTTP 500').and.includes('internal error');
  });

  it('when the connection is dropped, then it is an error, not an exception', async () => {
    expect(await run('destroy')).to.have.property('kind', 'error');
  });

  it('when the server does not answer in time, then it is a timeout error', async () => {
    fake.answer = 'hang';
    const result = await prometheusProvider({ address, timeoutMs: 100 }).query('up');
    expect(result).to.have.property('message').that.includes('timed out after 100 ms');
  });

  it('when the caller aborts, then the query ends as a cancelled error', async () => {
    fake.answer = 'hang';
    const controller = new AbortController();
    const pending = prometheusProvider({ address }).query('up', controller.signal);
    controller.abort();
    expect(await pending).to.have.property('message').that.includes('cancelled');
  });
});

describe('prometheus provider: requests', () => {
  const fake = new FakePrometheus();
  let address = '';
  before(async () => {
    address = await fake.start();
    fake.answer = { body: success('vector', [sample('1')]) };
  });
  after(() => fake.stop());
  beforeEach(() => {
    fake.seen.length = 0;
  });

  it('when the query spans lines, then it is sent as an instant query with whitespace collapsed', async () => {
    await prometheusProvider({ address }).query('sum(\n    rate(x{a="b"}[1m])\n  )\n');
    expect(fake.seen[0]).to.deep.include({ path: '/api/v1/query', query: 'sum( rate(x{a="b"}[1m]) )' });
  });

  it('when the address has a path prefix, then the prefix is kept', async () => {
    await prometheusProvider({ address: `${address}/prometheus/` }).query('up');
    expect(fake.seen[0]?.path).to.equal('/prometheus/api/v1/query');
  });

  it('when the secret has a token, then it is sent as a bearer token, with the custom headers', async () => {
    await prometheusProvider({ address, secretData: { token: 's3cret' }, headers: { 'X-Scope-OrgID': ['tenant-a'] } }).query('up');
    expect(fake.seen[0]?.headers).to.include({ authorization: 'Bearer s3cret', 'x-scope-orgid': 'tenant-a' });
  });

  it('when the secret has username and password, then basic auth is sent', async () => {
    await prometheusProvider({ address, secretData: { username: 'u', password: 'p' } }).query('up');
    expect(fake.seen[0]?.headers.authorization).to.equal(`Basic ${Buffer.from('u:p').toString('base64')}`);
  });

  it('when the secret has neither, then every query is an error and nothing is sent', async () => {
    const result = await prometheusProvider({ address, secretData: { user: 'u' } }).query('up');
    expect(result).to.have.property('message').that.includes('token, or username and password');
    expect(fake.seen).to.have.length(0);
  });

  it('when Prometheus answers vector(1), then it is online', async () => {
    expect(await prometheusProvider({ address }).isOnline()).to.deep.equal({ online: true });
    expect(fake.seen[0]?.query).to.equal('vector(1)');
  });

  it('when the address is missing or invalid, then the provider answers errors', async () => {
    expect(await prometheusProvider({}).query('up')).to.have.property('message').that.includes('address is required');
    expect(await prometheusProvider({ address: 'not a url' }).isOnline()).to.have.property('online', false);
  });
});

describe('prometheus provider: connection refused', () => {
  it('when nothing listens at the address, then the result is an error naming the failure', async () => {
    const server = http.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const result = await prometheusProvider({ address: `http://127.0.0.1:${port}` }).query('up');
    expect(result).to.have.property('kind', 'error');
    expect(result).to.have.property('message').that.includes('ECONNREFUSED');
    const online = await prometheusProvider({ address: `http://127.0.0.1:${port}` }).isOnline();
    expect(online).to.have.property('online', false);
  });
});

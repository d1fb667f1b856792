// A contract server: a local stand-in, on 127.0.0.1, for a metrics SaaS that cannot run here. Each
// service's file implements the part of its documented API a provider uses, closely enough to
// reject a wrong request (method, path, required headers and query parameters, credentials,
// signatures) with the service's own error shape; `scenario` picks what a valid query answers.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** What a valid query gets: a value, nothing, NaN (or null), several series, an outage, no answer. */
export type Scenario = 'value' | 'empty' | 'nan' | 'several' | 'outage' | 'hang';

export interface ContractRequest {
  method: string;
  url: URL;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface ContractAnswer {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

export interface ContractState {
  scenario: Scenario;
  /** The value a `value` scenario answers. */
  value: number;
}

export type ContractHandler = (req: ContractRequest, state: ContractState) => ContractAnswer;

export class ContractServer {
  readonly state: ContractState = { scenario: 'value', value: 99.5 };
  /** Every request, with the answer's status, for assertions and failure messages. */
  readonly log: { method: string; url: string; status: number; headers: http.IncomingHttpHeaders; body: string }[] = [];
  private server?: http.Server;

  constructor(private readonly handler: ContractHandler) {}

  async start(): Promise<string> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const url = new URL(req.url ?? '/', 'http://contract');
        const answer = this.handler({ method: req.method ?? '', url, headers: req.headers, body }, this.state);
        this.log.push({ method: req.method ?? '', url: req.url ?? '', status: answer.status, headers: req.headers, body });
        if (this.state.scenario === 'hang' && answer.status === 200) return; // never answers
        const text = typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body);
        res.writeHead(answer.status, { 'content-type': typeof answer.body === 'string' ? 'text/plain' : 'application/json', ...(answer.headers ?? {}) }).end(text);
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

/** Unix seconds or milliseconds in a query parameter: present, an integer, and `from` before `to`. */
export function windowProblem(url: URL, unit: 's' | 'ms'): string | undefined {
  const from = url.searchParams.get('from');
  const to = url.searchParams.get('to');
  if (from === null || to === null) return 'from and to are required';
  if (!/^\d+$/.test(from) || !/^\d+$/.test(to)) return `from and to must be integers (${unit})`;
  const [f, t] = [Number(from), Number(to)];
  if (f >= t) return 'from must be before to';
  // A seconds timestamp read as milliseconds lands in 1970: a unit mix-up is rejected.
  const nowIn = unit === 's' ? Date.now() / 1000 : Date.now();
  if (Math.abs(t - nowIn) > (unit === 's' ? 86_400 : 86_400_000)) return `to is not a current Unix time in ${unit === 's' ? 'seconds' : 'milliseconds'}`;
  return undefined;
}

/**
 * Mocha hooks for a describe block: starts `server` before its tests, stops it after, and resets
 * the scenario and the log before each. Returns the server's address, once started.
 */
export function useContract(server: ContractServer): () => string {
  let address = '';
  before(async () => (address = await server.start()));
  after(() => server.stop());
  beforeEach(() => {
    server.state.scenario = 'value';
    server.log.splice(0);
  });
  return () => address;
}

// Outbound HTTP for Davy's adapters: webhooks, metric providers and (later) notifiers. It is
// node:http(s) rather than fetch because Flagger's `disableTLS` and `insecureSkipVerify` need
// per-request TLS options that Node's global fetch does not take without undici's Agent.
// It lives with the webhook caller, its first user, until a shared home exists.
//
// Contract: one attempt, bounded by `timeoutMs` and the caller's signal, over the whole exchange
// (connect, send, read the body). It never throws: every outcome is a value.

import http from 'node:http';
import https from 'node:https';

export interface OutboundRequest {
  method: 'GET' | 'POST';
  url: string;
  headers?: Record<string, string | string[]>;
  body?: string;
  timeoutMs: number;
  /** Skip TLS certificate verification (Flagger's webhook `disableTLS`, template `insecureSkipVerify`). */
  insecureSkipVerify?: boolean;
  signal?: AbortSignal;
  /** Bytes of body kept; the rest is read and dropped. Default 4 MiB. */
  maxBodyBytes?: number;
}

export type OutboundResponse =
  | { kind: 'response'; status: number; statusText: string; headers: http.IncomingHttpHeaders; body: string; truncated: boolean }
  | { kind: 'failure'; reason: 'timeout' | 'aborted' | 'network' | 'invalid'; message: string };

const DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024;

/** The URL without user:password, for messages and logs. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = '';
    parsed.password = '';
    return parsed.toString();
  } catch {
    return url;
  }
}

/** A message for any thrown value; Node's AggregateError (IPv4 and IPv6 refused) has an empty one. */
export function describeError(error: unknown): string {
  if (error instanceof AggregateError && !error.message) {
    const inner = error.errors.map(describeError).filter((m) => m.length > 0);
    return [...new Set(inner)].join('; ') || 'connection failed';
  }
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    return error.message || code || error.name;
  }
  return String(error);
}

export async function sendRequest(request: OutboundRequest): Promise<OutboundResponse> {
  const where = `${request.method} ${redactUrl(request.url)}`;
  let url: URL;
  try {
    url = new URL(request.url);
  } catch {
    return { kind: 'failure', reason: 'invalid', message: `${where}: not a valid URL` };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return { kind: 'failure', reason: 'invalid', message: `${where}: unsupported scheme ${url.protocol}` };
  }
  if (request.signal?.aborted) return { kind: 'failure', reason: 'aborted', message: `${where}: cancelled` };
  const timeout = AbortSignal.timeout(request.timeoutMs);
  const signal = request.signal ? AbortSignal.any([request.signal, timeout]) : timeout;
  try {
    return await exchange(url, request, signal);
  } catch (error) {
    if (timeout.aborted) {
      return { kind: 'failure', reason: 'timeout', message: `${where}: timed out after ${request.timeoutMs} ms` };
    }
    if (request.signal?.aborted) return { kind: 'failure', reason: 'aborted', message: `${where}: cancelled` };
    return { kind: 'failure', reason: 'network', message: `${where}: ${describeError(error)}` };
  }
}

function exchange(url: URL, request: OutboundRequest, signal: AbortSignal): Promise<OutboundResponse> {
  const transport = url.protocol === 'https:' ? https : http;
  const limit = request.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const body = request.body === undefined ? undefined : Buffer.from(request.body, 'utf8');
  const headers: http.OutgoingHttpHeaders = { ...(request.headers ?? {}) };
  if (body) headers['content-length'] = body.length;
  return new Promise<OutboundResponse>((resolve, reject) => {
    const req = transport.request(url, {
      method: request.method,
      headers,
      signal,
      ...(url.protocol === 'https:' ? { rejectUnauthorized: request.insecureSkipVerify !== true } : {}),
    }, (res) => {
      const chunks: Buffer[] = [];
      let kept = 0;
      let truncated = false;
      res.on('data', (chunk: Buffer) => {
        if (kept >= limit) {
          truncated = true;
          return;
        }
        const part = chunk.subarray(0, limit - kept);
        truncated ||= part.length < chunk.length;
        chunks.push(part);
        kept += part.length;
      });
      res.on('error', reject);
      res.on('aborted', () => reject(new Error('connection closed before the response ended')));
      res.on('end', () => resolve({
        kind: 'response',
        status: res.statusCode ?? 0,
        statusText: res.statusMessage ?? '',
        headers: res.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        truncated,
      }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

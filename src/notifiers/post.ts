// One JSON POST to a chat service, as every notifier sends it (Flagger's postMessage): a 5 s
// budget over the whole exchange, a 2xx answer or an error quoting the service's reply, and the
// AlertProvider's `proxy` honoured. Plain http targets go through the proxy in absolute form
// (`POST http://host/path`); https targets through a CONNECT tunnel, with TLS end to end, so the
// proxy never sees the payload or the token. It never throws: every outcome is a NotifyResult.

import http from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import tls from 'node:tls';
import { describeError, redactUrl, sendRequest } from '../webhooks/http.js';
import { NOTIFY_TIMEOUT_MS, type NotifierConfig, type NotifyResult } from './notifier.js';

export interface PostOptions {
  headers?: Record<string, string>;
  proxy?: string;
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Extra CA certificates for https targets (tests; production uses the system roots). */
  ca?: string;
}

/** The options every notifier posts with: the provider's proxy and timeout, the caller's signal. */
export function postOptionsOf(config: NotifierConfig, signal?: AbortSignal, headers?: Record<string, string>): PostOptions {
  return {
    ...(headers ? { headers } : {}),
    ...(config.proxy ? { proxy: config.proxy } : {}),
    ...(config.timeoutMs ? { timeoutMs: config.timeoutMs } : {}),
    ...(signal ? { signal } : {}),
  };
}

/** Characters of a service's error answer quoted in the failure. */
const QUOTED_ANSWER_CHARS = 200;

export async function postJson(address: string, payload: unknown, options: PostOptions = {}): Promise<NotifyResult> {
  const body = JSON.stringify(payload);
  const headers = { 'content-type': 'application/json', ...(options.headers ?? {}) };
  const timeoutMs = options.timeoutMs ?? NOTIFY_TIMEOUT_MS;
  const where = `POST ${redactUrl(address)}`;
  if (!options.proxy && !options.ca) {
    const response = await sendRequest({ method: 'POST', url: address, headers, body, timeoutMs, ...(options.signal ? { signal: options.signal } : {}) });
    if (response.kind === 'failure') return { ok: false, message: `sending notification failed: ${response.message}` };
    return answered(where, response.status, response.body);
  }
  const timeout = AbortSignal.timeout(timeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  try {
    const { status, text } = await viaProxy(new URL(address), body, headers, options, signal);
    return answered(where, status, text);
  } catch (error) {
    const why = timeout.aborted ? `timed out after ${timeoutMs} ms` : describeError(error);
    return { ok: false, message: `sending notification failed: ${where}${options.proxy ? ` via proxy ${redactUrl(options.proxy)}` : ''}: ${why}` };
  }
}

function answered(where: string, status: number, text: string): NotifyResult {
  if (status >= 200 && status < 300) return { ok: true };
  const quoted = text.trim().slice(0, QUOTED_ANSWER_CHARS);
  return { ok: false, message: `sending notification failed: ${where}: HTTP ${status}${quoted ? `: ${quoted}` : ''}` };
}

interface Answer {
  status: number;
  text: string;
}

async function viaProxy(target: URL, body: string, headers: Record<string, string>, options: PostOptions, signal: AbortSignal): Promise<Answer> {
  const proxy = options.proxy ? new URL(options.proxy) : undefined;
  if (proxy && proxy.protocol !== 'http:') throw new Error(`proxy ${redactUrl(options.proxy ?? '')}: only http:// proxies are supported`);
  const auth: Record<string, string> = proxy?.username ? { 'proxy-authorization': `Basic ${Buffer.from(`${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`).toString('base64')}` } : {};
  const sized = { ...headers, 'content-length': String(Buffer.byteLength(body)) };
  if (target.protocol === 'http:') {
    if (!proxy) return exchange(http.request(target, { method: 'POST', headers: sized, signal }), body);
    // Absolute form: the proxy forwards to the host the URL names.
    const request = http.request({ host: proxy.hostname, port: proxy.port || 80, method: 'POST', path: target.toString(), headers: { ...sized, host: target.host, ...auth }, signal });
    return exchange(request, body);
  }
  const socket = proxy ? await tunnel(proxy, target, auth, signal) : undefined;
  const request = https.request(target, {
    method: 'POST',
    headers: sized,
    signal,
    ...(options.ca ? { ca: options.ca } : {}),
    ...(socket ? { agent: false, createConnection: () => tls.connect({ socket, servername: target.hostname, ...(options.ca ? { ca: options.ca } : {}) }) } : {}),
  });
  return exchange(request, body);
}

/** A CONNECT tunnel to the target's host and port; the proxy must answer 200. */
function tunnel(proxy: URL, target: URL, auth: Record<string, string>, signal: AbortSignal): Promise<Socket> {
  const authority = `${target.hostname}:${target.port || 443}`;
  return new Promise((resolve, reject) => {
    const request = http.request({ host: proxy.hostname, port: proxy.port || 80, method: 'CONNECT', path: authority, headers: { host: authority, ...auth }, signal });
    request.on('connect', (response, socket) => {
      if (response.statusCode === 200) resolve(socket);
      else {
        socket.destroy();
        reject(new Error(`the proxy refused CONNECT ${authority}: HTTP ${response.statusCode ?? 0}`));
      }
    });
    request.on('error', reject);
    request.end();
  });
}

function exchange(request: http.ClientRequest, body: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    request.on('response', (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('error', reject);
      response.on('end', () => resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
    });
    request.on('error', reject);
    request.end(body);
  });
}

// The KubeClient adapter. @kubernetes/client-node supplies what it is good at (kubeconfig loading,
// in-cluster service-account credentials, TLS and auth options); the requests themselves are
// plain HTTPS on a keep-alive agent, so every verb (status subresource, apply patches, dry-run)
// is available, each request is counted, and API errors map to the typed errors of the port.
import https from 'node:https';
import { fromKubeConfig, loadCredentials, type CredentialSource, type KubeConfigLike } from './credentials.js';
import {
  ApiError, apiError, NotFoundError, TooManyRequestsError,
  type ApiPathReader, type KubeClient, type KubeObject, type KubeWatcher, type WatchEvent, type WatchOptions, type ListOptions, type ObjectList, type ObjectRef, type Patch, type WriteOptions,
} from './client.js';
import { knownResource, resourceFromDiscovery, resourcePath, apiBase, type Resource } from './resources.js';
import { watchPath } from './watch.js';

export interface NodeKubeClientOptions {
  /** A kubeconfig file; in-cluster credentials or ~/.kube/config when absent. */
  kubeconfig?: string;
  /** Called once per API request, e.g. to count requests in a metric. */
  onRequest?: (verb: string, kind: string) => void;
  /** Per-request timeout (default 30 s). */
  timeoutMs?: number;
  /** A watch with no byte for this long ends, to be resumed by its caller (default WATCH_IDLE_MS, 30 s). */
  watchIdleMs?: number;
  /** Retries of a request answered 429 with Retry-After (default 3); waits are capped at 10 s each. */
  maxRetriesOn429?: number;
  /** Waits `ms` (tests shorten it); setTimeout by default. */
  sleep?: (ms: number) => Promise<void>;
}

const MAX_RETRY_AFTER_MS = 10_000;

/**
 * The wait a 429 asks for, from Retry-After in seconds (what the apiserver's priority and
 * fairness sends) or as an HTTP date; undefined when there is none. A 429 is answered before the
 * request is processed, so retrying any verb, writes included, is safe.
 */
export function retryAfterMs(header: string | undefined, now = Date.now()): number | undefined {
  if (header === undefined || header.trim() === '') return undefined;
  const seconds = Number(header);
  const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(header) - now;
  return Number.isNaN(ms) ? undefined : Math.min(Math.max(ms, 0), MAX_RETRY_AFTER_MS);
}

interface Connection {
  server: URL;
  options: https.RequestOptions;
  expires: number;
}

const isKubeConfig = (value: KubeConfigLike | CredentialSource): value is KubeConfigLike => 'applyToHTTPSOptions' in value;

const CREDENTIAL_TTL_MS = 60_000; // re-read token files (projected service-account tokens rotate)

export class NodeKubeClient implements KubeClient, KubeWatcher, ApiPathReader {
  private readonly agent = new https.Agent({ keepAlive: true, maxSockets: 16 });
  /**
   * Reads have sockets of their own: when many canaries promote at once their writes fill the
   * pool, and a namespace that comes due meanwhile would list its objects (and so take its steps)
   * only after them (BENCHMARKS.md, "Step lateness").
   */
  private readonly readAgent = new https.Agent({ keepAlive: true, maxSockets: 16 });
  private connection?: Connection;
  private readonly discovered = new Map<string, Promise<Resource>>();

  private readonly source: CredentialSource;

  /** From client-node's KubeConfig (the CLI's status commands, which read contexts), or a credential source. */
  constructor(config: KubeConfigLike | CredentialSource, private readonly options: NodeKubeClientOptions = {}) {
    this.source = isKubeConfig(config) ? fromKubeConfig(config) : config;
  }

  /** In-cluster or kubeconfig credentials, without loading client-node for the common cases (credentials.ts). */
  static fromKubeconfig(options: NodeKubeClientOptions = {}): NodeKubeClient {
    return new NodeKubeClient(loadCredentials(options.kubeconfig), options);
  }

  /** ApiPathReader: a GET of an aggregated API's path with this client's credentials. */
  getPath<T = unknown>(path: string, query: Record<string, string> = {}): Promise<T> {
    return this.request<T>('GET', 'path', path, new URLSearchParams(query));
  }

  /** Closes idle keep-alive sockets so a short-lived process can exit promptly. */
  close(): void {
    this.agent.destroy();
    this.readAgent.destroy();
  }

  async get<T extends KubeObject = KubeObject>(ref: ObjectRef): Promise<T | undefined> {
    const resource = await this.resource(ref.apiVersion, ref.kind);
    try {
      return await this.request<T>('GET', ref.kind, resourcePath(resource, ref.namespace, ref.name));
    } catch (error) {
      if (error instanceof NotFoundError) return undefined;
      throw error;
    }
  }

  async list<T extends KubeObject = KubeObject>(apiVersion: string, kind: string, namespace?: string, options: ListOptions = {}): Promise<ObjectList<T>> {
    const resource = await this.resource(apiVersion, kind);
    const query = new URLSearchParams();
    if (options.labelSelector) query.set('labelSelector', options.labelSelector);
    if (options.fieldSelector) query.set('fieldSelector', options.fieldSelector);
    if (options.limit) query.set('limit', String(options.limit));
    if (options.continue) query.set('continue', options.continue);
    const body = await this.request<{ items?: T[]; metadata?: { resourceVersion?: string; continue?: string } }>(
      'LIST', kind, resourcePath(resource, namespace), query);
    // List items carry no apiVersion/kind; restore them so callers can pass items back as refs.
    const items = (body.items ?? []).map((item) => ({ ...item, apiVersion, kind }));
    const more = body.metadata?.continue;
    return { items, resourceVersion: body.metadata?.resourceVersion ?? '', ...(more ? { continue: more } : {}) };
  }

  async create<T extends KubeObject>(object: T, options: WriteOptions = {}): Promise<T> {
    const resource = await this.resource(object.apiVersion, object.kind);
    return this.request<T>('POST', object.kind, resourcePath(resource, object.metadata.namespace), writeQuery(options), object);
  }

  async replace<T extends KubeObject>(object: T, options: WriteOptions = {}): Promise<T> {
    const resource = await this.resource(object.apiVersion, object.kind);
    const path = resourcePath(resource, object.metadata.namespace, requireName(object));
    return this.request<T>('PUT', object.kind, path, writeQuery(options), object);
  }

  async replaceStatus<T extends KubeObject>(object: T, options: WriteOptions = {}): Promise<T> {
    const resource = await this.resource(object.apiVersion, object.kind);
    const path = resourcePath(resource, object.metadata.namespace, requireName(object), 'status');
    return this.request<T>('PUT', object.kind, path, writeQuery(options), object);
  }

  async patch<T extends KubeObject = KubeObject>(ref: ObjectRef, patch: Patch, options: WriteOptions = {}): Promise<T> {
    const resource = await this.resource(ref.apiVersion, ref.kind);
    const query = writeQuery(options);
    let body: unknown;
    let contentType: string;
    switch (patch.type) {
      case 'json': body = patch.ops; contentType = 'application/json-patch+json'; break;
      case 'merge': body = patch.body; contentType = 'application/merge-patch+json'; break;
      case 'apply':
        body = patch.body; contentType = 'application/apply-patch+yaml';
        if (!query.has('fieldManager')) query.set('fieldManager', 'davy');
        if (patch.force) query.set('force', 'true');
        break;
    }
    return this.request<T>('PATCH', ref.kind, resourcePath(resource, ref.namespace, ref.name), query, body, contentType);
  }

  async delete(ref: ObjectRef, options: { propagationPolicy?: 'Foreground' | 'Background' | 'Orphan'; dryRun?: boolean } = {}): Promise<boolean> {
    const resource = await this.resource(ref.apiVersion, ref.kind);
    const query = new URLSearchParams();
    if (options.dryRun) query.set('dryRun', 'All');
    if (options.propagationPolicy) query.set('propagationPolicy', options.propagationPolicy);
    try {
      await this.request('DELETE', ref.kind, resourcePath(resource, ref.namespace, ref.name), query);
      return true;
    } catch (error) {
      if (error instanceof NotFoundError) return false;
      throw error;
    }
  }

  /** KubeWatcher: one watch on a connection of its own (watch.ts). */
  async watch(
    apiVersion: string, kind: string, namespace: string | undefined, options: WatchOptions,
    onEvent: (event: WatchEvent) => void, signal: AbortSignal,
  ): Promise<{ ended: Promise<void> }> {
    const resource = await this.resource(apiVersion, kind);
    const { server, options: tls } = await this.connect();
    this.options.onRequest?.('WATCH', kind);
    return watchPath({ server, options: tls }, resourcePath(resource, namespace), options, onEvent, signal, this.options.watchIdleMs);
  }

  private resource(apiVersion: string, kind: string): Promise<Resource> {
    const known = knownResource(apiVersion, kind);
    if (known) return Promise.resolve(known);
    const key = `${apiVersion}/${kind}`;
    let pending = this.discovered.get(key);
    if (!pending) {
      pending = this.request('GET', 'discovery', apiBase(apiVersion)).then((doc) => {
        const found = resourceFromDiscovery(apiVersion, kind, doc);
        if (!found) throw new NotFoundError(`the server has no resource for kind ${kind} in ${apiVersion}`, 404, 'NotFound');
        return found;
      });
      pending.catch(() => this.discovered.delete(key));
      this.discovered.set(key, pending);
    }
    return pending;
  }

  private async connect(): Promise<Connection> {
    if (this.connection && this.connection.expires > Date.now()) return this.connection;
    const { server, options } = await this.source.credentials();
    this.connection = { server, options, expires: Date.now() + CREDENTIAL_TTL_MS };
    return this.connection;
  }

  /**
   * One API call; a 429 with Retry-After is retried after the wait it asks for, a few times. A read
   * whose connection was reset before any answer (a kept-alive socket the server closed as it was
   * reused) is sent again once: reads are idempotent, writes are not retried.
   */
  private async request<T>(verb: string, kind: string, path: string, query?: URLSearchParams, body?: unknown, contentType = 'application/json'): Promise<T> {
    const retries = this.options.maxRetriesOn429 ?? 3;
    const sleep = this.options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
    let resent = false;
    for (let attempt = 0; ; attempt += 1) {
      try {
        return await this.send<T>(verb, kind, path, query, body, contentType);
      } catch (error) {
        if ((verb === 'GET' || verb === 'LIST') && !resent && connectionReset(error)) {
          resent = true;
          continue;
        }
        const wait = error instanceof TooManyRequestsError ? (error as TooManyRequestsError & { retryAfterMs?: number }).retryAfterMs : undefined;
        if (wait === undefined || attempt >= retries) throw error;
        await sleep(wait);
      }
    }
  }

  private async send<T>(verb: string, kind: string, path: string, query?: URLSearchParams, body?: unknown, contentType = 'application/json'): Promise<T> {
    const { server, options } = await this.connect();
    const method = verb === 'LIST' ? 'GET' : verb;
    const search = query && [...query.keys()].length ? `?${query.toString()}` : '';
    const payload = body === undefined ? undefined : JSON.stringify(body);
    this.options.onRequest?.(verb, kind);
    return new Promise<T>((resolve, reject) => {
      const req = https.request({
        ...options,
        agent: method === 'GET' ? this.readAgent : this.agent,
        protocol: server.protocol,
        hostname: server.hostname,
        port: server.port,
        method,
        path: `${server.pathname.replace(/\/$/, '')}${path}${search}`,
        timeout: this.options.timeoutMs ?? 30_000,
        headers: {
          ...(options.headers as Record<string, string> | undefined),
          accept: 'application/json',
          ...(payload === undefined ? {} : { 'content-type': contentType, 'content-length': Buffer.byteLength(payload) }),
        },
      }, (res) => {
        // Decoded as it arrives (the decoder keeps a character split between chunks whole): the
        // socket's buffers are let go at once instead of being held, then copied whole, until the
        // answer ends. A LIST of a namespace is megabytes; the stepper's peak RSS is 0.95x this way.
        const parts: string[] = [];
        res.setEncoding('utf8');
        res.on('data', (part: string) => parts.push(part));
        res.on('error', reject);
        res.on('end', () => {
          const text = parts.join('');
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) {
            try {
              resolve((text ? JSON.parse(text) : {}) as T);
            } catch (error) {
              reject(new ApiError(`invalid JSON from the API server for ${method} ${path}: ${String(error)}`, status, 'InvalidResponse'));
            }
          } else {
            const error = apiError(status, text, `${method} ${path}`);
            const header: string | string[] | undefined = res.headers['retry-after'];
            const wait = status === 429 ? retryAfterMs(typeof header === 'string' ? header : header?.[0]) : undefined;
            reject(wait === undefined ? error : Object.assign(error, { retryAfterMs: wait }));
          }
        });
      });
      req.on('timeout', () => req.destroy(new Error(`${method} ${path} timed out`)));
      req.on('error', reject);
      req.end(payload);
    });
  }
}

/** The socket was reset before any answer came: ECONNRESET, or Node's "socket hang up". */
function connectionReset(error: unknown): boolean {
  const { code, message } = error as { code?: string; message?: string };
  return code === 'ECONNRESET' || message === 'socket hang up';
}

function writeQuery(options: WriteOptions): URLSearchParams {
  const query = new URLSearchParams();
  if (options.dryRun) query.set('dryRun', 'All');
  if (options.fieldManager) query.set('fieldManager', options.fieldManager);
  return query;
}

function requireName(object: KubeObject): string {
  if (!object.metadata.name) throw new Error(`${object.kind} has no metadata.name`);
  return object.metadata.name;
}

// The KubeWatcher adapter: client-node's Watch (the stream, its line parsing and its timeout on
// silence) over Davy's own credentials (credentials.ts), so watching does not load client-node's
// KubeConfig and generated API. Imported only by a stepper that watches (NodeKubeClient.watch).
import { Watch } from '@kubernetes/client-node/dist/watch.js';
import { Agent } from 'undici';
import { apiError, type KubeObject, type WatchEvent, type WatchOptions } from './client.js';
import type { Credentials } from './credentials.js';

/** What client-node's Watch asks of its config: the server, and the request's auth and TLS. */
interface WatchRequestContext {
  setHeaderParam(key: string, value: string): void;
  setDispatcher(dispatcher: Agent): void;
}

const EVENT_TYPES = new Set<WatchEvent['type']>(['ADDED', 'MODIFIED', 'DELETED', 'BOOKMARK', 'ERROR']);

/**
 * One watch of `path` from `options.resourceVersion`. Resolves once the server answered 200 (with
 * the stream's end), rejects with an ApiError when it refused. A silent stream ends after client-node's
 * 30 s without a byte: the caller resumes from the last resourceVersion it was given.
 */
export async function watchPath(
  credentials: Credentials, path: string, options: WatchOptions, onEvent: (event: WatchEvent) => void, signal: AbortSignal,
): Promise<{ ended: Promise<void> }> {
  const { server, options: tls } = credentials;
  const dispatcher = new Agent({
    connect: {
      ...(tls.ca ? { ca: tls.ca } : {}),
      ...(tls.cert ? { cert: tls.cert } : {}),
      ...(tls.key ? { key: tls.key } : {}),
      ...(tls.rejectUnauthorized === undefined ? {} : { rejectUnauthorized: tls.rejectUnauthorized }),
      ...(tls.servername ? { servername: tls.servername } : {}),
    },
  });
  const config = {
    getCurrentCluster: () => ({ server: server.toString().replace(/\/$/, '') }),
    applySecurityAuthentication: (ctx: WatchRequestContext) => {
      for (const [key, value] of Object.entries((tls.headers ?? {}) as Record<string, string>)) ctx.setHeaderParam(key, value);
      ctx.setDispatcher(dispatcher);
      return Promise.resolve();
    },
  };
  let settle: (error?: Error) => void = () => undefined;
  const ended = new Promise<void>((resolve, reject) => {
    settle = (error) => (error ? reject(error) : resolve());
  });
  let early: { error: Error | undefined } | undefined;
  let started = false;
  const done = (error: unknown): void => {
    void dispatcher.close();
    // client-node ends a stream silent for 30 s with a TimeoutError: an end like the server's own,
    // as is the caller's abort.
    const clean = !error || signal.aborted || (error instanceof Error && error.name === 'TimeoutError');
    const end = clean ? undefined : asApiError(error, path);
    if (started) settle(end);
    else early = { error: end };
  };
  const query = {
    resourceVersion: options.resourceVersion,
    allowWatchBookmarks: true,
    ...(options.labelSelector ? { labelSelector: options.labelSelector } : {}),
  };
  // Typed against client-node's KubeConfig; it uses only the two members given here.
  const watch = new Watch(config as unknown as ConstructorParameters<typeof Watch>[0]);
  const controller = await watch.watch(path, query, (type: string, object: unknown) => {
    if (EVENT_TYPES.has(type as WatchEvent['type']) && object && typeof object === 'object') {
      onEvent({ type: type as WatchEvent['type'], object: object as KubeObject });
    }
  }, done);
  if (early?.error) throw early.error;
  started = true;
  if (early) settle();
  if (signal.aborted) controller.abort();
  else signal.addEventListener('abort', () => controller.abort(), { once: true });
  return { ended };
}

/** An HTTP refusal as the port's typed error; anything else (a reset, a DNS failure) as it came. */
function asApiError(error: unknown, path: string): Error {
  const status = (error as { statusCode?: unknown }).statusCode;
  if (typeof status === 'number') return apiError(status, '', `watch ${path}`);
  return error instanceof Error ? error : new Error(`watch ${path}: ${String(error)}`);
}

// The KubeWatcher adapter: a watch is one GET with `watch=true` whose answer is a stream of JSON
// lines, one watch.Event each, over node:https with the client's own credentials.
//
// Not client-node's Watch, although the issue that asked for watches preferred it: that class
// fetches through the undici package, and loading undici cost a watching stepper 15 MiB of its peak
// RSS over 1,000 idle canaries (112 -> 127 MiB, BENCHMARKS.md, "Watches"), past the stepper's
// 120 MiB target and, at N=200 beside Flagger, past "Flagger's RSS + 50%". What it did is kept:
// a stream silent for 30 s ends (the caller resumes from the last version it was given), a line
// that is not JSON is a broken stream, and an abort ends it quietly. Its refusals carried no
// message; these carry the API server's Status.
import https from 'node:https';
import { apiError, type KubeObject, type WatchEvent, type WatchOptions } from './client.js';
import type { Credentials } from './credentials.js';

/** A stream with no byte for this long ends (bookmarks come about once a minute; the caller resumes). */
export const WATCH_IDLE_MS = 30_000;

const EVENT_TYPES = new Set<string>(['ADDED', 'MODIFIED', 'DELETED', 'BOOKMARK', 'ERROR']);

/**
 * One watch of the collection at `path`. Resolves once the API server answered 200, with the
 * stream's end: resolved when the server ends it, it stays silent for `idleMs`, or `signal` aborts;
 * rejected when it breaks. A refusal rejects with the port's ApiError, the server's message in it.
 */
export function watchPath(
  { server, options: tls }: Credentials, path: string, options: WatchOptions,
  onEvent: (event: WatchEvent) => void, signal: AbortSignal, idleMs = WATCH_IDLE_MS,
): Promise<{ ended: Promise<void> }> {
  const query = new URLSearchParams({ watch: 'true', allowWatchBookmarks: 'true', resourceVersion: options.resourceVersion });
  if (options.labelSelector) query.set('labelSelector', options.labelSelector);
  const what = `watch ${path}`;
  return new Promise((accepted, refused) => {
    let quiet = false; // an end the caller asked for, or a silence: not a failure
    let settle: (error?: Error) => void = () => undefined;
    const ended = new Promise<void>((resolve, reject) => {
      settle = (error) => (error && !quiet ? reject(error) : resolve());
    });
    // A watch refused before any answer (the connection cut: an API server restarting, a proxy)
    // reports it through `refused`, and nobody is handed `ended`: unhandled, its rejection would
    // end the process. Those who are handed it still see the rejection.
    ended.catch(() => undefined);
    const req = https.request({
      ...tls,
      // Its own connection: a watch holds it for minutes, and the pools are for requests.
      agent: false,
      protocol: server.protocol,
      hostname: server.hostname,
      port: server.port,
      method: 'GET',
      path: `${server.pathname.replace(/\/$/, '')}${path}?${query.toString()}`,
      headers: { ...(tls.headers as Record<string, string> | undefined), accept: 'application/json' },
    }, (res) => {
      res.setEncoding('utf8');
      if (res.statusCode !== 200) {
        let text = '';
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => refused(apiError(res.statusCode ?? 0, text, what)));
        res.on('error', refused);
        return;
      }
      accepted({ ended });
      let buffered = '';
      res.on('data', (chunk: string) => {
        buffered += chunk;
        let newline: number;
        while ((newline = buffered.indexOf('\n')) >= 0) {
          const line = buffered.slice(0, newline).trim();
          buffered = buffered.slice(newline + 1);
          if (line === '') continue;
          const event = parseEvent(line);
          if (!event) return void req.destroy(new Error(`${what}: not a watch event: ${line.slice(0, 200)}`));
          onEvent(event);
        }
      });
      res.on('end', () => settle());
      res.on('error', (error) => settle(error));
    });
    // Node's socket timeout is an idle timeout: every byte received restarts it.
    req.setTimeout(idleMs, () => {
      quiet = true;
      req.destroy();
    });
    req.on('error', (error) => {
      // Silent or stopped before any answer (a proxy in front of the API server may hold a watch's
      // headers until its first event): a quiet end, which the caller resumes, not a refusal.
      if (quiet) accepted({ ended });
      else refused(error); // no effect once accepted
      settle(error);
    });
    req.on('close', () => {
      if (quiet) accepted({ ended });
      settle();
    });
    const abort = (): void => {
      quiet = true;
      req.destroy();
    };
    if (signal.aborted) abort();
    else signal.addEventListener('abort', abort, { once: true });
    req.on('close', () => signal.removeEventListener('abort', abort));
    req.end();
  });
}

function parseEvent(line: string): WatchEvent | undefined {
  try {
    const parsed = JSON.parse(line) as { type?: unknown; object?: unknown };
    if (typeof parsed.type !== 'string' || !EVENT_TYPES.has(parsed.type) || !parsed.object || typeof parsed.object !== 'object') return undefined;
    return { type: parsed.type as WatchEvent['type'], object: parsed.object as KubeObject };
  } catch {
    return undefined;
  }
}

// Serving the webhook: HTTPS (TLS 1.2+) for the reviews, plain HTTP for /metrics, certificate
// hot reload, and a graceful shutdown that (after an optional delay in which clients move their
// connections away) stops accepting, lets in-flight reviews finish, then closes. The composition
// root (src/cli/webhook.ts) owns configuration and signals.
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Logger } from '../telemetry/logger.js';
import { WebhookMetrics } from '../telemetry/webhook-metrics.js';
import { createApp, messageClasses, type AppDeps } from './app.js';
import { stepperIdentity } from './mutate.js';
import { reviewRecorder } from './record.js';
import { CertificateReloader, loadKeyPair, TLS_SETTINGS } from './tls-reload.js';
import type { ValidateFn } from './validate-handler.js';

export interface ServerOptions {
  port: number;
  metricsPort: number;
  /** Address to bind both listeners to; all interfaces when undefined. */
  bindAddress?: string;
  tlsCert: string;
  tlsKey: string;
  stepperIdentities: readonly string[];
  /** How long shutdown waits for in-flight reviews before closing their connections (the delay included). */
  drainTimeoutMs: number;
  /**
   * How long shutdown keeps serving first, every answer closing its connection, so that clients
   * close their keep-alive connections themselves; it ends early once none is open. Default 0.
   */
  shutdownDelayMs?: number;
  certDebounceMs?: number;
  /** Development aid: write every decoded AdmissionReview here (record.ts). */
  recordReviewsDir?: string;
}

export interface ServerDeps {
  logger: Logger;
  validate: ValidateFn;
  metrics?: WebhookMetrics;
  mutate?: AppDeps['mutate'];
}

export interface RunningWebhook {
  port: number;
  metricsPort: number;
  metrics: WebhookMetrics;
  /** The SHA-256 fingerprint of the certificate being served. */
  fingerprint(): string;
  ready(): boolean;
  /** Serves out the shutdown delay, stops accepting, waits for in-flight reviews; resolves true if it had to cut connections. */
  shutdown(reason: string): Promise<boolean>;
}

const listen = (server: HttpServer | HttpsServer, port: number, host: string | undefined): Promise<number> =>
  new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });

function metricsServer(metrics: WebhookMetrics, logger: Logger): HttpServer {
  return createHttpServer((req, res) => {
    if (req.method !== 'GET' || req.url?.split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":{"code":"NotFound","message":"GET /metrics"}}');
      return;
    }
    metrics.expose().then(
      ({ contentType, body }) => res.writeHead(200, { 'content-type': contentType }).end(body),
      (error: unknown) => {
        logger.error('metrics exposition failed', { error });
        res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":{"code":"Internal","message":"metrics exposition failed"}}');
      },
    );
  });
}

/**
 * The answer to a request Node's HTTP parser refuses (a bad request line, bad headers): a JSON
 * error like every other answer, not Node's empty 400, then the connection closes. Node gives the
 * status it would use in `error.code` (HPE_HEADER_OVERFLOW is 431, a timeout 408, ...).
 */
function malformedHttpAnswer(logger: Logger): (error: Error & { code?: string }, socket: Duplex) => void {
  const statuses: Record<string, [number, string]> = {
    HPE_HEADER_OVERFLOW: [431, 'Request Header Fields Too Large'],
    ERR_HTTP_REQUEST_TIMEOUT: [408, 'Request Timeout'],
    HPE_CHUNK_EXTENSIONS_OVERFLOW: [413, 'Payload Too Large'],
  };
  return (error, socket) => {
    logger.debug('malformed HTTP request', { error });
    if (!socket.writable || error.code === 'ECONNRESET') {
      socket.destroy();
      return;
    }
    const [status, text] = statuses[error.code ?? ''] ?? [400, 'Bad Request'];
    const body = JSON.stringify({ error: { code: 'MalformedHttp', message: `the request is not well-formed HTTP/1.1: ${error.code ?? error.message}` } });
    socket.end(`HTTP/1.1 ${status} ${text}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  };
}

/**
 * Shutdown's delay: connections are still accepted and served while readiness fails, and each
 * answer closes its connection (the request listener sees to it). A Go client (the apiserver)
 * retries no POST whose connection the server closed under it, so an idle keep-alive connection
 * the server closes as a review is sent on it fails that review; a client that closes its own
 * connection after an answer races nothing. Ends once no connection is open, or after `delayMs`.
 */
async function closedByClients(server: HttpsServer, delayMs: number): Promise<void> {
  const deadline = Date.now() + delayMs;
  const open = () => new Promise<number>((resolve) => server.getConnections((error, count) => resolve(error ? 1 : count)));
  while (Date.now() < deadline && (await open()) > 0) {
    await new Promise((resolve) => setTimeout(resolve, Math.min(50, Math.max(0, deadline - Date.now()))));
  }
}

/** Closes a server: new connections refused at once, idle keep-alive ones closed as they go idle. */
function drain(server: HttpServer | HttpsServer, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    let forced = false;
    const sweep = setInterval(() => server.closeIdleConnections(), 50);
    const deadline = setTimeout(() => {
      forced = true;
      server.closeAllConnections();
    }, timeoutMs);
    server.close(() => {
      clearInterval(sweep);
      clearTimeout(deadline);
      resolve(forced);
    });
    server.closeIdleConnections();
  });
}

export async function startWebhookServer(options: ServerOptions, deps: ServerDeps): Promise<RunningWebhook> {
  const { logger } = deps;
  const metrics = deps.metrics ?? new WebhookMetrics();
  const files = { certFile: options.tlsCert, keyFile: options.tlsKey };
  const pair = await loadKeyPair(files);
  let shuttingDown = false;
  let certificateLoaded = false;

  const app = createApp({
    logger,
    metrics,
    validate: deps.validate,
    mutate: deps.mutate,
    record: options.recordReviewsDir === undefined ? undefined : reviewRecorder(options.recordReviewsDir, logger),
    stepperIdentity: stepperIdentity(options.stepperIdentities),
    isReady: () => certificateLoaded && !shuttingDown,
  });
  // The express app is the HTTPS server's request listener; TLS, timeouts and draining stay here.
  // Requests and responses are made with the app's prototypes (app.ts, messageClasses).
  const https = createHttpsServer({ cert: pair.cert, key: pair.key, ...TLS_SETTINGS, ...messageClasses(app) }, app);
  // The apiserver gives up after timeoutSeconds (at most 30): slow or stalled clients are cut sooner.
  https.requestTimeout = 30_000;
  https.headersTimeout = 10_000;
  // The apiserver keeps its webhook connections idle for up to 90 s (Go's default). Closing them
  // sooner (Node's default is 5 s) costs a TLS handshake per quiet spell and races a review sent
  // on a connection as it closes: the client, not the server, should close idle connections.
  https.keepAliveTimeout = 120_000;
  // Once shutdown began, every answer closes its connection (closedByClients).
  https.prependListener('request', (_request, response) => {
    if (shuttingDown) response.setHeader('connection', 'close');
  });
  https.on('tlsClientError', (error) => logger.debug('TLS handshake failed', { error }));
  https.on('clientError', malformedHttpAnswer(logger));
  const plain = metricsServer(metrics, logger);

  const reloader = new CertificateReloader({ files, target: https, current: pair, logger, metrics, debounceMs: options.certDebounceMs });
  const port = await listen(https, options.port, options.bindAddress);
  let metricsPort: number;
  try {
    metricsPort = await listen(plain, options.metricsPort, options.bindAddress);
  } catch (error) {
    https.close();
    throw error;
  }
  reloader.start();
  certificateLoaded = true;
  logger.info('webhook listening', { port, metricsPort, fingerprint: pair.fingerprint, subject: pair.subject, validTo: pair.validTo, stepperIdentities: options.stepperIdentities });

  let stopping: Promise<boolean> | undefined;
  const shutdown = (reason: string): Promise<boolean> => {
    stopping ??= (async () => {
      shuttingDown = true;
      logger.info('webhook shutting down: finishing in-flight reviews', { reason, shutdownDelayMs: options.shutdownDelayMs ?? 0 });
      reloader.close();
      const started = Date.now();
      await closedByClients(https, Math.min(options.shutdownDelayMs ?? 0, options.drainTimeoutMs));
      const forced = await drain(https, Math.max(0, options.drainTimeoutMs - (Date.now() - started)));
      await drain(plain, 0);
      if (forced) logger.warn('in-flight reviews did not finish in time; connections closed', { drainTimeoutMs: options.drainTimeoutMs });
      logger.info('webhook stopped', { reason });
      return forced;
    })();
    return stopping;
  };

  return { port, metricsPort, metrics, fingerprint: () => reloader.fingerprint, ready: () => certificateLoaded && !shuttingDown, shutdown };
}

// The HTTP edge of the webhook: createApp(deps) builds the request listener; listening, TLS and
// shutdown live in server.ts. Every answer is JSON: a review that throws becomes a deny for its
// uid (fail closed), a body that is not a review a 4xx with a coded error, anything unexpected a
// JSON 500.
//
// Plain node:http rather than express: the webhook has four routes, and on a /mutate review
// express's router and body parser cost more CPU than the review itself (BENCHMARKS.md).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../telemetry/logger.js';
import type { WebhookMetrics, WebhookPath, WebhookVerdict } from '../telemetry/webhook-metrics.js';
import { readBody } from './body.js';
import { mutateOutcome, type StepperIdentity } from './mutate.js';
import { denied, errorBody, parseAdmissionReview, type AdmissionRequest, type DecodeError, type Outcome } from './review.js';
import { validateOutcome, type ValidateFn } from './validate-handler.js';

/**
 * The apiserver sends old and new objects of at most etcd's default 1.5 MiB request each, plus
 * a small envelope: 4 MiB admits every real review and refuses anything larger before parsing.
 */
export const DEFAULT_BODY_LIMIT_BYTES = 4 * 1024 * 1024;

export interface AppDeps {
  logger: Logger;
  metrics: WebhookMetrics;
  stepperIdentity: StepperIdentity;
  validate: ValidateFn;
  /** True once the serving certificate is loaded and until shutdown starts. */
  isReady: () => boolean;
  bodyLimitBytes?: number;
  /** Monotonic milliseconds, for durations (performance.now by default). */
  now?: () => number;
  /** Replaces the mutate decision; tests use it to make a handler throw. */
  mutate?: (request: AdmissionRequest) => Outcome | Promise<Outcome>;
  /** Called with every review body that decodes (the --record-reviews development aid). */
  record?: (path: WebhookPath, body: Buffer, request: AdmissionRequest) => void;
}

export type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;

type Handle = (request: AdmissionRequest) => Outcome | Promise<Outcome>;

const describe = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** The fail-closed answer for a review whose handler threw. */
function internalError(uid: string, error: unknown): Outcome {
  const message = `davy webhook: internal error while reviewing this request; refused to be safe: ${describe(error)}`;
  return { verdict: 'error', reason: 'handler-error', review: denied(uid, { code: 500, reason: 'InternalError', message }) };
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { ...headers, 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

const sendError = (res: ServerResponse, status: number, error: DecodeError, headers?: Record<string, string>): void => sendJson(res, status, errorBody(error), headers);

export function createApp(deps: AppDeps): RequestListener {
  const now = deps.now ?? (() => performance.now());
  const limit = deps.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES;
  const mutate: Handle = deps.mutate ?? ((request) => mutateOutcome(request, deps.stepperIdentity));
  const routes: Record<'/mutate' | '/validate', Handle> = {
    '/mutate': mutate,
    '/validate': (request) => validateOutcome(request, deps.validate),
  };

  return (req, res) => {
    const start = now();
    const url = req.url ?? '/';
    const query = url.indexOf('?');
    const path = query < 0 ? url : url.slice(0, query);
    const method = req.method ?? '';
    if (path === '/mutate' || path === '/validate') {
      if (method !== 'POST') {
        sendError(res, 405, { code: 'MethodNotAllowed', message: `${method} ${path}: use POST with an AdmissionReview` }, { allow: 'POST' });
        return;
      }
      review(deps, now, start, path, routes[path], req, res, limit).catch((error: unknown) => {
        deps.logger.error('request failed outside a review', { path, error });
        if (!res.headersSent) sendError(res, 500, { code: 'Internal', message: describe(error) });
        else res.end();
        finish(deps, now, start, path, 'error', { reason: 'Internal', message: describe(error) });
      });
      return;
    }
    if ((path === '/healthz' || path === '/readyz') && (method === 'GET' || method === 'HEAD')) {
      const ready = path === '/healthz' || deps.isReady();
      sendJson(res, ready ? 200 : 503, { status: path === '/healthz' ? 'ok' : ready ? 'ready' : 'not ready' });
      return;
    }
    sendError(res, 404, { code: 'NotFound', message: `${method} ${path}: not found (POST /mutate, POST /validate, GET /healthz, GET /readyz)` });
  };
}

async function review(deps: AppDeps, now: () => number, start: number, path: WebhookPath, handle: Handle, req: IncomingMessage, res: ServerResponse, limit: number): Promise<void> {
  const body = await readBody(req, limit);
  if (!body.ok) {
    sendError(res, body.status, body.error);
    finish(deps, now, start, path, 'error', { reason: body.error.code, message: body.error.message });
    return;
  }
  const decoded = parseAdmissionReview(body.body);
  if (!decoded.ok) {
    if (decoded.uid === undefined) {
      sendError(res, 400, decoded.error);
    } else {
      sendJson(res, 200, denied(decoded.uid, { code: 400, reason: 'BadRequest', message: decoded.error.message }));
    }
    finish(deps, now, start, path, 'error', { uid: decoded.uid, reason: decoded.error.code, message: decoded.error.message });
    return;
  }
  const { request } = decoded;
  deps.record?.(path, body.body, request);
  let outcome: Outcome;
  try {
    outcome = await handle(request);
  } catch (error) {
    deps.logger.error('review handler failed', { path, uid: request.uid, error });
    outcome = internalError(request.uid, error);
  }
  sendJson(res, 200, outcome.review);
  finish(deps, now, start, path, outcome.verdict, () => ({
    uid: request.uid,
    kind: request.kind.kind,
    operation: request.operation,
    namespace: request.namespace,
    name: request.name,
    user: request.userInfo.username,
    dryRun: request.dryRun,
    reason: outcome.reason,
    ...outcome.details,
  }));
}

/**
 * One metric sample and one JSON log line per review. The log fields are built only when the
 * line's level is enabled (a review at info costs nothing to log under --log-level warn).
 */
function finish(deps: AppDeps, now: () => number, start: number, path: WebhookPath, verdict: WebhookVerdict, fields: Record<string, unknown> | (() => Record<string, unknown>)): void {
  const seconds = (now() - start) / 1000;
  deps.metrics.observe(path, verdict, seconds);
  const level = verdict === 'error' ? 'warn' : 'info';
  if (!deps.logger.isLevelEnabled(level)) return;
  const details = typeof fields === 'function' ? fields() : fields;
  deps.logger.log(level, 'admission review', { path, verdict, ...details, durationMs: Math.round(seconds * 1e6) / 1e3 });
}

// The express edge of the webhook: createApp(deps) builds the routes; listening, TLS and
// shutdown live in server.ts. Every answer is JSON: a review that throws becomes a deny for its
// uid (fail closed), a body that is not a review a 4xx with a coded error, and express's own
// HTML/text error pages are never reached.
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import type { Logger } from '../telemetry/logger.js';
import type { WebhookMetrics, WebhookPath, WebhookVerdict } from '../telemetry/webhook-metrics.js';
import { mutateOutcome, type StepperIdentity } from './mutate.js';
import { denied, errorBody, parseAdmissionReview, type AdmissionRequest, type DecodeError, type DecodeErrorCode, type Outcome } from './review.js';
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
}

type Handle = (request: AdmissionRequest) => Outcome | Promise<Outcome>;

const pathLabel = (path: string): WebhookPath => (path === '/mutate' || path === '/validate' ? path : 'other');

const describe = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** The fail-closed answer for a review whose handler threw. */
function internalError(uid: string, error: unknown): Outcome {
  const message = `davy webhook: internal error while reviewing this request; refused to be safe: ${describe(error)}`;
  return { verdict: 'error', reason: 'handler-error', review: denied(uid, { code: 500, reason: 'InternalError', message }) };
}

export function createApp(deps: AppDeps): Express {
  const now = deps.now ?? (() => performance.now());
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  app.set('query parser', false);

  app.use((_req: Request, res: Response, next: NextFunction) => {
    res.locals.start = now();
    next();
  });
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', (_req, res) => {
    const ready = deps.isReady();
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not ready' });
  });

  // Any content type: the apiserver sends application/json, and a wrong one is still answered in JSON.
  const body = express.raw({ type: () => true, limit: deps.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES });
  const mutate: Handle = deps.mutate ?? ((request) => mutateOutcome(request, deps.stepperIdentity));
  app.post('/mutate', body, reviewRoute('/mutate', mutate, deps, now));
  app.post('/validate', body, reviewRoute('/validate', (request) => validateOutcome(request, deps.validate), deps, now));
  app.all(['/mutate', '/validate'], (req, res) => {
    res.set('Allow', 'POST');
    sendError(res, 405, { code: 'MethodNotAllowed', message: `${req.method} ${req.path}: use POST with an AdmissionReview` });
  });
  app.use((req: Request, res: Response) => {
    sendError(res, 404, { code: 'NotFound', message: `${req.method} ${req.path}: not found (POST /mutate, POST /validate, GET /healthz, GET /readyz)` });
  });
  app.use(errorHandler(deps, now));
  return app;
}

function sendError(res: Response, status: number, error: DecodeError): void {
  res.status(status).json(errorBody(error));
}

function reviewRoute(path: WebhookPath, handle: Handle, deps: AppDeps, now: () => number) {
  return async (req: Request, res: Response): Promise<void> => {
    const raw: unknown = req.body;
    const decoded = parseAdmissionReview(Buffer.isBuffer(raw) ? raw : Buffer.alloc(0));
    if (!decoded.ok) {
      if (decoded.uid === undefined) {
        sendError(res, 400, decoded.error);
      } else {
        res.json(denied(decoded.uid, { code: 400, reason: 'BadRequest', message: decoded.error.message }));
      }
      finish(deps, now, res, path, 'error', { uid: decoded.uid, reason: decoded.error.code, message: decoded.error.message });
      return;
    }
    const { request } = decoded;
    let outcome: Outcome;
    try {
      outcome = await handle(request);
    } catch (error) {
      deps.logger.error('review handler failed', { path, uid: request.uid, error });
      outcome = internalError(request.uid, error);
    }
    res.json(outcome.review);
    finish(deps, now, res, path, outcome.verdict, {
      uid: request.uid,
      kind: request.kind.kind,
      operation: request.operation,
      namespace: request.namespace,
      name: request.name,
      user: request.userInfo.username,
      dryRun: request.dryRun,
      reason: outcome.reason,
      ...outcome.details,
    });
  };
}

/** One metric sample and one JSON log line per review. */
function finish(deps: AppDeps, now: () => number, res: Response, path: WebhookPath, verdict: WebhookVerdict, fields: Record<string, unknown>): void {
  const start = typeof res.locals.start === 'number' ? res.locals.start : now();
  const seconds = (now() - start) / 1000;
  deps.metrics.observe(path, verdict, seconds);
  const level = verdict === 'error' ? 'warn' : 'info';
  deps.logger.log(level, 'admission review', { path, verdict, ...fields, durationMs: Math.round(seconds * 1e6) / 1e3 });
}

const BODY_ERRORS: Record<string, { status: number; code: DecodeErrorCode }> = {
  'entity.too.large': { status: 413, code: 'BodyTooLarge' },
  'encoding.unsupported': { status: 415, code: 'UnsupportedEncoding' },
  'charset.unsupported': { status: 415, code: 'UnsupportedEncoding' },
};

/** Errors from the body parser (and anything else that escaped): JSON, never express's HTML page. */
function errorHandler(deps: AppDeps, now: () => number) {
  return (error: unknown, req: Request, res: Response, _next: NextFunction): void => {
    const type = typeof error === 'object' && error !== null && 'type' in error ? String(error.type) : '';
    const status = typeof error === 'object' && error !== null && 'status' in error && typeof error.status === 'number' ? error.status : 500;
    const known = BODY_ERRORS[type];
    const answer = known ?? (status >= 400 && status < 500 ? { status, code: 'UnreadableBody' as const } : { status: 500, code: 'Internal' as const });
    const message = known?.code === 'BodyTooLarge' ? `the body exceeds ${deps.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES} bytes` : describe(error);
    if (answer.code === 'Internal') deps.logger.error('request failed outside a review', { path: req.path, error });
    if (res.headersSent) {
      res.end();
    } else {
      sendError(res, answer.status, { code: answer.code, message });
    }
    finish(deps, now, res, pathLabel(req.path), 'error', { reason: answer.code, message });
  };
}

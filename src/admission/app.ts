// The express edge of the webhook: createApp(deps) builds the routes; listening, TLS and
// shutdown live in server.ts. Every answer is JSON: a review that throws becomes a deny for its
// uid (fail closed), a body that is not a review a 4xx with a coded error, and anything else that
// goes wrong a JSON 500 from the last middleware, so express's HTML/text error page never answers.
//
// Kept lean for /mutate's sake (BENCHMARKS.md): no ETag, no x-powered-by, no query parser, no
// express.json; the body is read by body.ts's bounded reader and parsed once by
// parseAdmissionReview, answers are written with their length in one call, and the server
// builds requests and responses that already have the app's prototypes (messageClasses).
import { IncomingMessage, ServerResponse } from 'node:http';
import express, { type ErrorRequestHandler, type Express, type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import type { Logger } from '../telemetry/logger.js';
import type { WebhookMetrics, WebhookPath, WebhookVerdict } from '../telemetry/webhook-metrics.js';
import { readBody } from './body.js';
import { InFlightBudget } from './in-flight.js';
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
  /** The bound on review bodies in flight (in-flight.ts); one per server. */
  inFlight?: InFlightBudget;
  /** Monotonic milliseconds, for durations (performance.now by default). */
  now?: () => number;
  /** Replaces the mutate decision; tests use it to make a handler throw. */
  mutate?: (request: AdmissionRequest) => Outcome | Promise<Outcome>;
  /** Called with every review body that decodes (the --record-reviews development aid). */
  record?: (path: WebhookPath, body: Buffer, request: AdmissionRequest) => void;
}

type Handle = (request: AdmissionRequest) => Outcome | Promise<Outcome>;

const ROUTES = 'POST /mutate, POST /validate, GET /healthz, GET /readyz';

const describe = (error: unknown): string => (error instanceof Error ? error.message : String(error));

const pathLabel = (path: string): WebhookPath => (path === '/mutate' || path === '/validate' ? path : 'other');

/** The fail-closed answer for a review whose handler threw. */
function internalError(uid: string, error: unknown): Outcome {
  const message = `davy webhook: internal error while reviewing this request; refused to be safe: ${describe(error)}`;
  return { verdict: 'error', reason: 'handler-error', review: denied(uid, { code: 500, reason: 'InternalError', message }) };
}

/**
 * A JSON answer in one write. Not res.json, which per answer parses and rebuilds the
 * Content-Type and may copy the text into a Buffer: work an AdmissionReview answer does not need.
 */
function sendJson(res: Response, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { ...headers, 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

const sendError = (res: Response, status: number, error: DecodeError, headers?: Record<string, string>): void => sendJson(res, status, errorBody(error), headers);

export function createApp(deps: AppDeps): Express {
  const now = deps.now ?? (() => performance.now());
  const limit = deps.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES;
  const budget = deps.inFlight ?? new InFlightBudget();
  const mutate: Handle = deps.mutate ?? ((request) => mutateOutcome(request, deps.stepperIdentity));
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', false);
  // Exact paths, as the WebhookConfigurations name them: `/Mutate` or `/mutate/` is a 404, not
  // an alias. Both settings must be made before the first route creates the router.
  app.set('case sensitive routing', true);
  app.set('strict routing', true);

  app.route('/mutate').post(reviewRoute('/mutate', mutate, deps, now, limit, budget)).all(methodNotAllowed('/mutate'));
  app.route('/validate').post(reviewRoute('/validate', (request) => validateOutcome(request, deps.validate, deps.stepperIdentity), deps, now, limit, budget)).all(methodNotAllowed('/validate'));
  // GET routes answer HEAD too (without a body).
  app.get('/healthz', (_req, res) => sendJson(res, 200, { status: 'ok' }));
  app.get('/readyz', (_req, res) => {
    const ready = deps.isReady();
    sendJson(res, ready ? 200 : 503, { status: ready ? 'ready' : 'not ready' });
  });
  app.use((req: Request, res: Response) => {
    sendError(res, 404, { code: 'NotFound', message: `${req.method} ${req.path}: not found (${ROUTES})` });
  });
  app.use(errorHandler(deps, now));
  return app;
}

/**
 * The request and response constructors for the server that runs `app`: their objects are born
 * with the app's prototypes (app.request, app.response). Express sets those prototypes on every
 * request with Object.setPrototypeOf, which leaves Node's HTTP code running slow, generic
 * property lookups on every object so changed; when the prototype is already the app's, the
 * call changes nothing. That saves 85-100 µs of CPU per /mutate review (BENCHMARKS.md).
 */
export function messageClasses(app: Express): { IncomingMessage: typeof IncomingMessage; ServerResponse: typeof ServerResponse } {
  return { IncomingMessage: bornWith(IncomingMessage, app.request), ServerResponse: bornWith(ServerResponse, app.response) };
}

/** A constructor of `base`'s objects whose prototype is `prototype` (which must inherit from base's). */
function bornWith<C extends abstract new (...args: never[]) => object>(base: C, prototype: object): C {
  function Born(...args: unknown[]): object {
    return Reflect.construct(base, args, Born) as object;
  }
  Born.prototype = prototype;
  return Born as unknown as C;
}

/** When a review route began (set by reviewRoute, read by errorHandler), or now. */
const startOf = (res: Response, now: () => number): number => (typeof res.locals.start === 'number' ? res.locals.start : now());

function methodNotAllowed(path: WebhookPath): RequestHandler {
  return (req, res) => sendError(res, 405, { code: 'MethodNotAllowed', message: `${req.method} ${path}: use POST with an AdmissionReview` }, { allow: 'POST' });
}

/**
 * POST /mutate or /validate. A rejection (a bug outside the handler's try) reaches express's
 * error chain, which ends in errorHandler below.
 */
function reviewRoute(path: WebhookPath, handle: Handle, deps: AppDeps, now: () => number, limit: number, budget: InFlightBudget): RequestHandler {
  return async (req: Request, res: Response): Promise<void> => {
    // No middleware runs before the routes: the clock starts here, as the headers are routed and
    // before the body is read.
    const start = now();
    res.locals.start = start;
    // A body over the limit is refused while streaming and never held, so it reserves nothing;
    // one without a length may grow to the limit, so it reserves that.
    const declared = Number(req.headers['content-length']);
    const reservation = await budget.acquire(Number.isNaN(declared) ? limit : declared > limit ? 0 : declared);
    if ('refused' in reservation) {
      // The connection closes after the answer, so the refused body is never read: discarding it
      // would still pass every byte through TLS and the heap, the very work the bound caps. A
      // client still sending may see the connection reset instead of the 429; to the apiserver
      // both are the same failed call.
      sendError(res, 429, { code: 'Overloaded', message: reservation.refused }, { 'retry-after': '1', connection: 'close' });
      finish(deps, now, start, path, 'error', { reason: 'Overloaded', message: reservation.refused });
      return;
    }
    try {
      await answerReview(req, res, path, handle, deps, now, limit, start);
    } finally {
      reservation.release();
    }
  };
}

/** Reads, decodes and answers one review (its reservation is the caller's). */
async function answerReview(req: Request, res: Response, path: WebhookPath, handle: Handle, deps: AppDeps, now: () => number, limit: number, start: number): Promise<void> {
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

/** Anything that escaped a route: a JSON 500 (or the end of an answer already begun), never express's page. */
function errorHandler(deps: AppDeps, now: () => number): ErrorRequestHandler {
  return (error: unknown, req: Request, res: Response, _next: NextFunction): void => {
    const path = pathLabel(req.path);
    deps.logger.error('request failed outside a review', { path: req.path, error });
    if (res.headersSent) res.end();
    else sendError(res, 500, { code: 'Internal', message: describe(error) });
    finish(deps, now, startOf(res, now), path, 'error', { reason: 'Internal', message: describe(error) });
  };
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

// Where a /mutate review's CPU goes, in-process and without HTTP or TLS: decoding the ~22 KB
// AdmissionReview, the decision (one revision hash plus the JSON comparison of the templates),
// the answer, and the JSON log line. Complements bench/mutate.bench.ts's end-to-end figures.
// Run: npx tsx bench/mutate-breakdown.bench.ts
import { readFile } from 'node:fs/promises';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { jsonEqual } from '../src/admission/json-patch.js';
import { decideMutation, mutateOutcome, stepperIdentity } from '../src/admission/mutate.js';
import { parseAdmissionReview, type JsonObject } from '../src/admission/review.js';
import { canonicalJson, templateRevision } from '../src/api/revision.js';
import { createLogger } from '../src/telemetry/logger.js';

const ITERATIONS = 3000;
const text = JSON.stringify(JSON.parse(await readFile(fileURLToPath(new URL('../test/fixtures/admission/deployment-realistic-10kb.json', import.meta.url)), 'utf8')));
const body = Buffer.from(text);
const decoded = parseAdmissionReview(body);
if (!decoded.ok) throw new Error(decoded.error.message);
const { request } = decoded;
const template = (request.object!.spec as JsonObject).template;
const oldTemplate = (request.oldObject!.spec as JsonObject).template;
const identity = stepperIdentity(['system:serviceaccount:davy-system:davy-stepper']);
const logger = createLogger({ stream: new Writable({ write: (_c, _e, done) => done() }) });
const outcome = mutateOutcome(request, identity);

/** Median of five batches, in microseconds per call. */
function measure(run: () => unknown): number {
  for (let i = 0; i < ITERATIONS; i++) run();
  const batches: number[] = [];
  for (let b = 0; b < 5; b++) {
    const start = performance.now();
    for (let i = 0; i < ITERATIONS; i++) run();
    batches.push(((performance.now() - start) / ITERATIONS) * 1000);
  }
  return batches.sort((x, y) => x - y)[2]!;
}

/** Everything the server does for a review between reading the body and writing the answer. */
function whole(): number {
  const decodedAgain = parseAdmissionReview(body);
  if (!decodedAgain.ok) throw new Error(decodedAgain.error.message);
  const { request: r } = decodedAgain;
  const answer = mutateOutcome(r, identity);
  logger.info('admission review', { path: '/mutate', verdict: answer.verdict, uid: r.uid, kind: r.kind.kind, operation: r.operation, namespace: r.namespace, name: r.name, user: r.userInfo.username, dryRun: r.dryRun, reason: answer.reason, ...answer.details, durationMs: 0.5 });
  return JSON.stringify(answer.review).length;
}

const rows: [string, number][] = [
  ['whole review in-process: decode + decision + answer + log line', measure(whole)],
  ['decode: JSON.parse of the review + checks', measure(() => parseAdmissionReview(body))],
  ['decision (new revision: one hash, templates compared)', measure(() => decideMutation(request, identity))],
  ['  of which templateRevision (canonical JSON + SHA-256)', measure(() => templateRevision(template))],
  ['  of which canonicalJson alone', measure(() => canonicalJson(template))],
  ['  of which jsonEqual of the old and new templates', measure(() => jsonEqual(template, oldTemplate))],
  ['  for scale: JSON.stringify of the same template', measure(() => JSON.stringify(template))],
  ['answer: JSON.stringify of the AdmissionReview response', measure(() => JSON.stringify(outcome.review))],
  ['log: one JSON line through winston', measure(() => logger.info('admission review', { path: '/mutate', verdict: outcome.verdict, reason: outcome.reason, uid: request.uid, kind: 'Deployment', ...outcome.details, durationMs: 0.5 }))],
];
process.stdout.write(`Body ${body.length} bytes, template ${canonicalJson(template).length} bytes canonical, Node ${process.version}\n\n| step | µs per review |\n| --- | --- |\n`);
for (const [name, micros] of rows) process.stdout.write(`| ${name} | ${micros.toFixed(1)} |\n`);

// Thousands of random bodies at both review endpoints over real HTTPS: random JSON, truncated
// reviews, AdmissionReview-shaped objects with random fields. Every answer must be JSON, none a
// 5xx, every 200 an AdmissionReview for the uid that was sent, and the server must survive.
import { Agent } from 'node:https';
import { expect } from 'chai';
import fc from 'fast-check';
import type { RunningWebhook } from '../../src/admission/server.js';
import { fixtureText } from '../fixtures/admission/index.js';
import { generateCerts, removeDir, send, startTestWebhook, type CertDir } from './support.js';

const SEED = Number(process.env.DAVY_FUZZ_SEED ?? Date.now() % 2 ** 31);
const KINDS = 5;
/** 4,000 bodies in `make test`; `make fuzz` sends 100,000 (DAVY_FUZZ_REVIEWS). */
const PER_KIND = Math.ceil(Number(process.env.DAVY_FUZZ_REVIEWS ?? 4000) / KINDS);

const anything = fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.constant(undefined));
const gvk = fc.oneof(fc.record({ group: fc.constantFrom('apps', 'flagger.app', ''), version: fc.constantFrom('v1', 'v1beta1'), kind: fc.constantFrom('Deployment', 'DaemonSet', 'Canary', 'Pod') }), anything);
const objectLike = fc.oneof(
  anything,
  fc.record({
    metadata: fc.oneof(fc.record({ name: fc.string(), labels: fc.dictionary(fc.constantFrom('davy.dev/canary', 'app', 'davy.dev/x'), fc.oneof(fc.string(), fc.integer())), annotations: fc.dictionary(fc.constantFrom('davy.dev/stable-revision', 'davy.dev/held', 'davy.dev/saved-update-strategy', 'a'), fc.string()) }, { requiredKeys: [] }), anything),
    spec: fc.oneof(fc.record({ template: anything, paused: anything, updateStrategy: anything, provider: anything }, { requiredKeys: [] }), anything),
  }, { requiredKeys: [] }),
);

/** AdmissionReview-shaped: the right envelope most of the time, every request field random. */
const mostly = <T>(value: T) => fc.oneof({ weight: 5, arbitrary: fc.constant(value) }, { weight: 1, arbitrary: anything });
const reviewShaped = fc.record({
  apiVersion: mostly('admission.k8s.io/v1'),
  kind: mostly('AdmissionReview'),
  request: fc.oneof(
    { weight: 5, arbitrary: fc.record({
      uid: fc.oneof({ weight: 5, arbitrary: fc.uuid() }, { weight: 1, arbitrary: anything }),
      kind: gvk,
      operation: fc.oneof(fc.constantFrom('CREATE', 'UPDATE', 'DELETE', 'CONNECT'), anything),
      userInfo: fc.oneof(fc.record({ username: fc.oneof(fc.string(), anything), groups: fc.oneof(fc.array(fc.string()), anything) }), anything),
      object: objectLike,
      oldObject: objectLike,
      dryRun: anything,
      subResource: fc.oneof(fc.constant(undefined), fc.string()),
    }, { requiredKeys: ['uid'] }) },
    { weight: 1, arbitrary: anything },
  ),
});

const fixture = fixtureText('deployment-realistic-10kb');
const truncated = fc.integer({ min: 0, max: fixture.length - 1 }).map((n) => fixture.slice(0, n));
const bytes = fc.uint8Array({ maxLength: 512 }).map((a) => Buffer.from(a));

/** Real reviews with a few fields replaced by random values: this is what reaches the decision. */
const MUTABLE: string[][] = [
  ['request', 'object', 'spec', 'paused'],
  ['request', 'object', 'spec', 'updateStrategy'],
  ['request', 'object', 'spec', 'template'],
  ['request', 'object', 'metadata', 'annotations'],
  ['request', 'object', 'metadata', 'labels', 'davy.dev/canary'],
  ['request', 'oldObject', 'metadata', 'annotations', 'davy.dev/held'],
  ['request', 'oldObject', 'metadata', 'annotations', 'davy.dev/saved-update-strategy'],
  ['request', 'oldObject', 'metadata', 'annotations', 'davy.dev/stable-revision'],
  ['request', 'oldObject', 'spec'],
  ['request', 'userInfo'],
  ['request', 'object', 'spec', 'analysis'],
];
const FIXTURES = ['deployment-set-image', 'deployment-revert-while-held', 'daemonset-revert-while-held', 'deployment-scale-while-held', 'canary-create', 'canary-annotation-update'] as const;
const setPath = (root: Record<string, unknown>, path: string[], value: unknown): void => {
  let node: unknown = root;
  for (const key of path.slice(0, -1)) {
    if (typeof node !== 'object' || node === null) return;
    node = (node as Record<string, unknown>)[key];
  }
  if (typeof node === 'object' && node !== null) (node as Record<string, unknown>)[path[path.length - 1]!] = value;
};
const edited = fc.record({ name: fc.constantFrom(...FIXTURES), edits: fc.array(fc.tuple(fc.constantFrom(...MUTABLE), anything), { minLength: 1, maxLength: 3 }) }).map(({ name, edits }) => {
  const review = JSON.parse(fixtureText(name)) as Record<string, unknown>;
  for (const [path, value] of edits) setPath(review, path, value);
  return JSON.stringify(review);
});

/** The uid a 200 answer must echo: request.uid when the body parses and carries one. */
function sentUid(body: string | Buffer): string | undefined {
  try {
    const uid: unknown = JSON.parse(body.toString()).request.uid;
    return typeof uid === 'string' ? uid : undefined;
  } catch {
    return undefined;
  }
}

function bodies(): { body: string | Buffer; uid?: string }[] {
  const sample = <T>(arb: fc.Arbitrary<T>, offset: number) => fc.sample(arb, { numRuns: PER_KIND, seed: SEED + offset });
  const all: (string | Buffer)[] = [
    ...sample(fc.jsonValue({ maxDepth: 4 }), 0).map((v) => JSON.stringify(v) ?? 'null'),
    ...sample(truncated, 1),
    ...sample(reviewShaped, 2).map((v) => JSON.stringify(v)),
    ...sample(bytes, 3),
    ...sample(edited, 4),
  ];
  return all.map((body) => ({ body, uid: sentUid(body) }));
}

describe('webhook fuzz', function () {
  this.timeout(process.env.DAVY_FUZZ_REVIEWS ? 3_600_000 : 120_000);
  let certs: CertDir;
  let webhook: RunningWebhook;
  before(async () => {
    certs = await generateCerts();
    webhook = await startTestWebhook(certs);
  });
  after(async () => {
    await webhook.shutdown('test over');
    await removeDir(certs.dir);
  });

  it(`when ${KINDS * PER_KIND} random bodies hit /mutate and /validate, then every answer is JSON, none is a 5xx, and the server survives (seed ${SEED})`, async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 8 });
    const cases = bodies();
    const problems: string[] = [];
    let reviewed = 0;
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < cases.length) {
        const index = next++;
        const { body, uid } = cases[index]!;
        const path = index % 2 === 0 ? '/mutate' : '/validate';
        const reply = await send(webhook.port, certs.ca, path, body, { agent });
        const bad =
          reply.status >= 500 ||
          !reply.contentType.startsWith('application/json') ||
          reply.json === undefined ||
          (reply.status === 200 && (reply.json as { response?: { uid?: unknown } }).response?.uid !== uid);
        if (reply.status === 200) reviewed += 1;
        if (bad) problems.push(`#${index} ${path} -> ${reply.status} ${reply.contentType} ${reply.text.slice(0, 200)}`);
      }
    };
    try {
      await Promise.all(Array.from({ length: 8 }, worker));
    } finally {
      agent.destroy();
    }
    expect(problems.slice(0, 5), `seed ${SEED}: ${problems.length} bad answers`).to.deep.equal([]);
    expect(reviewed, 'bodies that reached a handler').to.be.greaterThan(PER_KIND);
    expect((await send(webhook.port, certs.ca, '/healthz', undefined, { method: 'GET' })).status).to.equal(200);
    expect((await send(webhook.port, certs.ca, '/mutate', fixture)).status).to.equal(200);
  });
});

// Properties of the mutation over random old/new workload pairs and users: the patch applies,
// applying it twice equals applying it once, it never touches spec.template, and reinvocation on
// the patched object yields no patch.
import { expect } from 'chai';
import fc from 'fast-check';
import fastJsonPatch, { type Operation } from 'fast-json-patch';
import { decideMutation, stepperIdentity } from '../../../src/admission/mutate.js';
import type { AdmissionRequest, JsonObject } from '../../../src/admission/review.js';
import { templateRevision } from '../../../src/api/revision.js';
import { applyJsonPatch } from '../../fixtures/admission/index.js';

const STEPPER = 'system:serviceaccount:davy-system:davy-stepper';
const identity = stepperIdentity([STEPPER]);
const IMAGES = ['podinfo:6.0.0', 'podinfo:6.0.1', 'podinfo:6.0.2'];

const template = (image: string, restartedAt: string | undefined) => ({
  metadata: { labels: { app: 'podinfo' }, ...(restartedAt ? { annotations: { 'kubectl.kubernetes.io/restartedAt': restartedAt } } : {}) },
  spec: { containers: [{ name: 'app', image, imagePullPolicy: 'IfNotPresent' }], restartPolicy: 'Always' },
});

const templateArb = fc.record({ image: fc.constantFrom(...IMAGES), restartedAt: fc.option(fc.constantFrom('t1', 't2'), { nil: undefined }) }).map(({ image, restartedAt }) => template(image, restartedAt));
const strategyArb = fc.constantFrom({ type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1 } }, { type: 'OnDelete' }, { type: 'Recreate' }, undefined);
const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });

/** davy.dev annotations a workload may carry; the stable revision is often one the templates hit. */
const davyAnnotationsArb = (stableCandidates: string[]) =>
  fc.record({
    'davy.dev/stable-revision': maybe(fc.constantFrom(...stableCandidates, 'deadbeefdeadbeef')),
    'davy.dev/held': maybe(fc.constantFrom('true', 'user-paused', 'odd')),
    'davy.dev/pending-revision': maybe(fc.constantFrom(...stableCandidates)),
    'davy.dev/saved-update-strategy': maybe(fc.constantFrom('{"type":"RollingUpdate"}', '{"type":"OnDelete"}', 'garbage')),
    'davy.dev/extra': maybe(fc.constant('x')),
  });

const compact = (record: Record<string, string | undefined>): Record<string, string> =>
  Object.fromEntries(Object.entries(record).filter((e): e is [string, string] => e[1] !== undefined));

const candidates = IMAGES.flatMap((image) => [undefined, 't1', 't2'].map((r) => templateRevision(template(image, r))));

const workloadArb = (kind: 'Deployment' | 'DaemonSet') =>
  fc.record({
    canaryLabel: fc.boolean(),
    davyLabels: fc.record({ 'davy.dev/owned-by': maybe(fc.constant('other')) }),
    annotations: davyAnnotationsArb(candidates),
    userAnnotation: maybe(fc.constantFrom('a', 'b')),
    hasAnnotationsMap: fc.boolean(),
    paused: maybe(fc.boolean()),
    replicas: fc.integer({ min: 0, max: 5 }),
    strategy: strategyArb,
    template: templateArb,
  }).map((w): JsonObject => {
    const annotations = { ...compact(w.annotations), ...(w.userAnnotation ? { note: w.userAnnotation } : {}) };
    const labels = { app: 'podinfo', ...(w.canaryLabel ? { 'davy.dev/canary': 'podinfo' } : {}), ...compact(w.davyLabels) };
    const spec: JsonObject = { selector: { matchLabels: { app: 'podinfo' } }, template: w.template };
    if (kind === 'Deployment') {
      spec.replicas = w.replicas;
      if (w.paused !== undefined) spec.paused = w.paused;
      if (w.strategy && w.strategy.type !== 'OnDelete') spec.strategy = w.strategy;
    } else if (w.strategy && w.strategy.type !== 'Recreate') {
      spec.updateStrategy = w.strategy;
    }
    const metadata: JsonObject = { name: 'podinfo', namespace: 'test', labels };
    if (w.hasAnnotationsMap || Object.keys(annotations).length > 0) metadata.annotations = annotations;
    return { apiVersion: 'apps/v1', kind, metadata, spec };
  });

const requestArb = fc
  .constantFrom('Deployment' as const, 'DaemonSet' as const)
  .chain((kind) =>
    fc.record({
      kind: fc.constant(kind),
      oldObject: workloadArb(kind),
      object: workloadArb(kind),
      keepOldTemplate: fc.boolean(),
      keepOldMetadata: fc.boolean(),
      username: fc.constantFrom(STEPPER, 'kubernetes-admin', 'system:serviceaccount:flux-system:kustomize-controller'),
      dryRun: fc.boolean(),
    }),
  )
  .map((r): AdmissionRequest => {
    const object = structuredClone(r.object);
    // Often the new object shares the old template or metadata, as most real updates do.
    if (r.keepOldTemplate) (object.spec as JsonObject).template = structuredClone((r.oldObject.spec as JsonObject).template);
    if (r.keepOldMetadata) object.metadata = structuredClone(r.oldObject.metadata);
    return {
      uid: 'u',
      kind: { group: 'apps', version: 'v1', kind: r.kind },
      name: 'podinfo',
      namespace: 'test',
      operation: 'UPDATE',
      userInfo: { username: r.username, groups: ['system:authenticated'] },
      object,
      oldObject: r.oldObject,
      dryRun: r.dryRun,
    };
  });

const applyLoosely = (document: unknown, patch: Operation[]): unknown => fastJsonPatch.applyPatch(structuredClone(document), patch, false, false).newDocument;

describe('mutate: properties over random old/new pairs', () => {
  it('when any update is decided, then the patch applies strictly, twice equals once, and spec.template is never touched', () => {
    fc.assert(
      fc.property(requestArb, (request) => {
        const { patch } = decideMutation(request, identity);
        expect(patch.every((op) => !op.path.startsWith('/spec/template'))).to.equal(true);
        const once = applyJsonPatch(request.object, patch);
        expect(applyLoosely(once, patch as Operation[])).to.deep.equal(once);
        expect((once as JsonObject).spec).to.have.deep.property('template', (request.object!.spec as JsonObject).template);
      }),
      { numRuns: 2000 },
    );
  });

  it('when the webhook is reinvoked on the object it patched, then the patch is empty', () => {
    fc.assert(
      fc.property(requestArb, (request) => {
        const first = decideMutation(request, identity);
        const again = decideMutation({ ...request, object: applyJsonPatch(request.object, first.patch) }, identity);
        expect(again.patch).to.deep.equal([]);
        expect(again.verdict).to.equal('allowed');
      }),
      { numRuns: 2000 },
    );
  });

  it('when someone other than the stepper updates a bootstrapped workload, then its davy.dev labels end as they were', () => {
    fc.assert(
      fc.property(requestArb, (request) => {
        const decision = decideMutation(request, identity);
        fc.pre(decision.rule !== undefined && decision.rule !== 1);
        const davyLabels = (o: unknown) => Object.fromEntries(Object.entries(((o as JsonObject).metadata as JsonObject).labels as Record<string, string>).filter(([k]) => k.startsWith('davy.dev/')));
        expect(davyLabels(applyJsonPatch(request.object, decision.patch))).to.deep.equal(davyLabels(request.oldObject));
      }),
      { numRuns: 1000 },
    );
  });
});

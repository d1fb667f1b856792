// Crash safety: the same rollout, once per write the runner makes, with that write failing (the
// API refused it) or with the runner dying right after it (the write landed, nothing after it in
// that pass ran). Every run must end in the same state, with no weight set twice.
import { expect } from 'chai';
import { ANNOTATION_COPY_REVISION, ANNOTATION_HELD, ANNOTATION_PENDING_REVISION, ANNOTATION_STABLE_REVISION, LABEL_CANARY } from '../../../src/api/keys.js';
import { ApiError } from '../../../src/kube/client.js';
import {
  canaryOf, changes, deployment, editCanary, events, get, pass, passUntil, phaseIs, setImage, splitWeight, splitWrites, stateOf, tap, workloadFacts, world,
  type World, type WriteVerb,
} from './world.js';

type Mode = 'refused' | 'died-after';

interface Run {
  writes: string[];
  weights: number[];
  facts: unknown;
  advances: string[];
}

/** What a finished rollout leaves behind, without times and resourceVersions. */
function facts(w: World): unknown {
  const state = stateOf(w);
  const target = get(w, 'Deployment', 'podinfo')!;
  const copy = deployment(w, 'podinfo-canary');
  const pick = (map: Record<string, string> | undefined, ...keys: string[]) => Object.fromEntries(keys.map((k) => [k, map?.[k]]));
  return {
    state: { phase: state.phase, revision: state.revision, stableRevision: state.stableRevision, routes: state.routes, copy: state.copy, outbox: state.outbox.length },
    target: { ...workloadFacts(w), label: target.metadata.labels?.[LABEL_CANARY], ...pick(target.metadata.annotations, ANNOTATION_STABLE_REVISION, ANNOTATION_HELD, ANNOTATION_PENDING_REVISION) },
    copy: { replicas: copy?.spec?.replicas, revision: copy?.metadata.annotations?.[ANNOTATION_COPY_REVISION] },
    pods: w.pods.get('test/podinfo'),
    weight: splitWeight(w),
    objects: w.kube.objects().filter((o) => o.kind !== 'Event').map((o) => `${o.kind}/${o.metadata.name ?? ''}`).sort(),
    canary: { finalizers: canaryOf(w)!.metadata.finalizers, status: canaryOf(w)!.status?.phase },
  };
}

/** The rollout of a short ladder (25, 50); `fail` makes the runner's n-th write fail in `mode`. */
async function rollout(fail?: { at: number; mode: Mode }): Promise<Run> {
  const w = world();
  await editCanary(w, (c) => {
    c.spec.analysis = { ...c.spec.analysis, stepWeight: 25, maxWeight: 50 };
  });
  const writes: string[] = [];
  const weights: number[] = [];
  const record = splitWrites(weights);
  const boom = (verb: WriteVerb) => new ApiError(`injected: ${verb} #${writes.length}`, 500, 'InternalError');
  w.deps = {
    ...w.deps,
    kube: tap(w.kube, {
      before: (verb, ref) => {
        writes.push(`${verb} ${ref.kind}/${ref.name}`);
        return fail?.mode === 'refused' && writes.length === fail.at ? boom(verb) : undefined;
      },
      after: (verb, object) => {
        record(verb, object);
        return fail?.mode === 'died-after' && writes.length === fail.at ? boom(verb) : undefined;
      },
    }),
  };
  await passUntil(w, phaseIs('Initialized'), 30);
  await setImage(w, 'ghcr.io/stefanprodan/podinfo:6.0.1');
  await passUntil(w, phaseIs('Succeeded'), 100);
  // A write that failed in the last step's pass is repaired by the next one.
  await pass(w);
  const advances = events(w).filter((m) => m.startsWith('Advance podinfo.test canary weight'));
  return { writes, weights, facts: facts(w), advances };
}

describe('runner: crash safety', function () {
  this.timeout(60_000);

  it('when each write of a rollout in turn is refused or is the last thing a dying runner did, then every run ends in the same state and no weight is set twice', async () => {
    const clean = await rollout();
    expect(changes(clean.weights)).to.deep.equal([0, 25, 50, 0]);
    expect(clean.writes.length).to.be.greaterThan(10);
    for (const mode of ['refused', 'died-after'] as const) {
      for (let at = 1; at <= clean.writes.length; at += 1) {
        // Events are at most once by contract: losing one is allowed, so they are not injection points.
        if (clean.writes[at - 1]!.startsWith('create Event/')) continue;
        const run = await rollout({ at, mode });
        const where = `${mode} at write ${at} (${clean.writes[at - 1]})`;
        expect(run.facts, where).to.deep.equal(clean.facts);
        // The first 0 comes from creating the TrafficSplit; a repeat of 0 or a weight twice would show here.
        expect(changes(run.weights), where).to.deep.equal([0, 25, 50, 0]);
        expect(run.advances.length, where).to.equal(new Set(run.advances).size);
      }
    }
  });
});

// Writes per rollout (issue 15, item 5): the side-by-side bench's canary (provider kubernetes,
// blue/green by 3 iterations of 10 s, no metrics, no alerts), from the new image to Succeeded and
// one pass more, counted by verb and kind, with the writes the webhooks' rules match (a Canary
// write, /validate; a write to the labelled workload, /mutate; status writes and Events neither).
// deploy/'s matchConditions then skip the stepper's identity, so none of these reaches the webhook.
// A count, not a timing: it fails when a change adds a write.
import { expect } from 'chai';
import { LABEL_CANARY } from '../../../src/api/keys.js';
import { editCanary, pass, passUntil, phaseIs, setImage, tap, world, type World } from './world.js';

/** The bench's Canary on MemoryKube, and a tally of the runner's writes by `verb Kind`. */
async function benchCanary(): Promise<{ w: World; writes: Map<string, number>; admission: { validate: number; mutate: number } }> {
  const w = world('podinfo-canary-keda-bluegreen');
  await editCanary(w, (c) => {
    delete c.spec.autoscalerRef;
    c.spec.service = { port: 80, targetPort: 9898 };
    c.spec.analysis = { interval: '10s', threshold: 2, iterations: 3 };
  });
  const writes = new Map<string, number>();
  const admission = { validate: 0, mutate: 0 };
  w.deps = {
    ...w.deps,
    kube: tap(w.kube, {
      after: (verb, object, ref) => {
        const key = `${verb} ${ref.kind}`;
        writes.set(key, (writes.get(key) ?? 0) + 1);
        if (verb === 'replace' && ref.kind === 'Canary') admission.validate += 1;
        const labelled = object?.metadata.labels?.[LABEL_CANARY] !== undefined;
        if ((verb === 'replace' || verb === 'patch') && ref.kind === 'Deployment' && labelled) admission.mutate += 1;
        return undefined;
      },
    }),
  };
  return { w, writes, admission };
}

describe('runner: the writes of one blue/green rollout', () => {
  it('when the bench canary rolls out a new image, then the runner writes 7 states, 7 statuses, the copy twice, the workload twice, the apex Service twice and 9 Events', async () => {
    const { w, writes, admission } = await benchCanary();
    await passUntil(w, phaseIs('Initialized'), 30);
    writes.clear();
    Object.assign(admission, { validate: 0, mutate: 0 });
    await setImage(w, 'ghcr.io/stefanprodan/podinfo:6.0.1');
    await passUntil(w, phaseIs('Succeeded'), 100);
    await pass(w);
    // Per step: the state (a Canary PUT, first), then the status (/status), each step changing what
    // `kubectl get canary` shows (phase, iterations, weight): new revision, iterations 1..3,
    // Promoting, Finalising, Succeeded. The copy: new template at full size (one PUT), scaled to 0.
    // The workload: hold released, stable revision recorded. The apex Service: to the copy and back.
    const budget = {
      'replace Canary': 7, 'replaceStatus Canary': 7, 'replace Deployment': 1, 'patch Deployment': 3, 'create Event': 9, 'replace Service': 2,
    };
    for (const [key, n] of writes) expect(n, key).to.be.at.most(budget[key as keyof typeof budget] ?? 0);
    expect([...writes.values()].reduce((a, b) => a + b, 0)).to.be.at.most(29);
    expect(admission).to.deep.equal({ validate: 7, mutate: 2 });
  });
});

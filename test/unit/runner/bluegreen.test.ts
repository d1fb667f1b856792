// The KEDA blue/green tutorial on the kubernetes provider: iterations instead of weights, the apex
// Service's selector switched at promotion, and the ScaledObject copy paused whenever the copy idles.
import { expect } from 'chai';
import { ANNOTATION_KEDA_PAUSED_REPLICAS } from '../../../src/api/keys.js';
import type { ScaledObject, Service } from '../../../src/workloads/types.js';
import { events, get, passUntil, phaseIs, setImage, stateOf, workloadFacts, world, type World } from './world.js';

const paused = (w: World): string | undefined => get<ScaledObject>(w, 'ScaledObject', 'podinfo-so-canary')?.metadata.annotations?.[ANNOTATION_KEDA_PAUSED_REPLICAS];
const apexSelects = (w: World): string | undefined => get<Service>(w, 'Service', 'podinfo-svc')?.spec?.selector?.app;

describe('runner: blue/green with KEDA on the kubernetes provider', () => {
  it('when a new image is analysed, then iterations 1/5..5/5 run, the apex switches to the copy at promotion and back, and the ScaledObject copy wakes only meanwhile', async () => {
    const w = world('podinfo-canary-keda-bluegreen', 'podinfo-deployment', 'podinfo-scaledobject');
    await passUntil(w, phaseIs('Initialized'), 20);
    const so = get<ScaledObject>(w, 'ScaledObject', 'podinfo-so-canary')!;
    expect(so.spec?.scaleTargetRef?.name).to.equal('podinfo-canary');
    expect(so.spec?.triggers?.[0]?.metadata?.query).to.equal('sum(rate(http_requests_total{ app="podinfo-canary" }[30s]))');
    expect(paused(w)).to.equal('0');
    expect(apexSelects(w)).to.equal('podinfo');

    await setImage(w, 'ghcr.io/stefanprodan/podinfo:6.0.1');
    const seen = { awake: false, switched: false };
    await passUntil(w, phaseIs('Succeeded'), 200, (x) => {
      if (stateOf(x).phase === 'Progressing' && paused(x) === undefined) seen.awake = true;
      if (apexSelects(x) === 'podinfo-canary') seen.switched = true;
    });

    expect(events(w).filter((m) => m.includes('canary iteration'))).to.deep.equal([1, 2, 3, 4, 5].map((i) => `Advance podinfo.test canary iteration ${i}/5`));
    expect(seen).to.deep.equal({ awake: true, switched: true });
    expect(apexSelects(w)).to.equal('podinfo');
    expect(paused(w)).to.equal('0');
    expect(workloadFacts(w, 'podinfo-canary').replicas).to.equal(0);
    expect(workloadFacts(w)).to.include({ image: 'ghcr.io/stefanprodan/podinfo:6.0.1', paused: undefined });
  });
});

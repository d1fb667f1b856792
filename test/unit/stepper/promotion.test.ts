import { expect } from 'chai';
import { canary, events, eventsFrom, fixture, released, toEnd } from './driver.js';

const slow = { timing: { copyReadyMs: 40_000, rolloutMs: 40_000 } };
const range = (from: number, to: number, step: number) => Array.from({ length: (to - from) / step + 1 }, (_, i) => from + i * step);

describe('stepper promotion scenarios', () => {
  it('when the OSM tutorial canary gets a new revision, then it promotes through 5..50 with the tutorial event stream', () => {
    const d = toEnd(released(fixture('podinfo-canary-osm.yaml'), slow));
    expect(d.state.phase).to.equal('Succeeded');
    expect(eventsFrom(d, 'New revision')).to.deep.equal([
      'New revision detected! Scaling up podinfo.test',
      'Waiting for podinfo-canary.test rollout to finish: 0 of 2 updated replicas are available',
      'Starting canary analysis for podinfo.test',
      'Pre-rollout check acceptance-test passed',
      ...range(5, 50, 5).map((w) => `Advance podinfo.test canary weight ${w}`),
      'Releasing the hold on podinfo.test: rolling out revision rev-2',
      'Waiting for podinfo.test rollout to finish: 1 of 2 updated replicas are available',
      'Routing all traffic to primary',
      'Promotion completed! Scaling down podinfo.test',
    ]);
  });

  it('when the OSM canary is promoted, then the workload runs the new revision, recorded as stable, and the copy is at zero', () => {
    const d = toEnd(released(fixture('podinfo-canary-osm.yaml'), slow));
    expect(d.cluster.target).to.include({ pods: 'rev-2', stableAnnotation: 'rev-2', held: false });
    expect(d.cluster.target.pendingAnnotation).to.equal(undefined);
    expect(d.cluster.copy.replicas).to.equal(0);
    expect(d.cluster.routes).to.deep.equal({ primary: 100, canary: 0, mirror: false });
    expect(d.state).to.include({ stableRevision: 'rev-2', revision: 'rev-2', copy: 'zero' });
    expect(d.state.lastPromotion?.revision).to.equal('rev-2');
  });

  it('when the OSM canary is promoted, then its pods change only once the hold is released', () => {
    const d = released(fixture('podinfo-canary-osm.yaml'), slow);
    d.runUntil((s) => s.phase === 'Promoting');
    expect(d.cluster.target.pods).to.equal('rev-1');
    toEnd(d);
    expect(d.cluster.target.pods).to.equal('rev-2');
  });

  it('when the Istio reviews canary has no provider, then the default mesh provider runs 10..50 with those routes at every step', () => {
    const d = toEnd(released(fixture('reviews-canary-istio.yaml')));
    expect(d.state.phase).to.equal('Succeeded');
    expect(events(d).filter((e) => e.startsWith('Advance'))).to.deep.equal(range(10, 50, 10).map((w) => `Advance reviews.default canary weight ${w}`));
    const weights = d.timeline.map((e) => e.routes.canary).filter((w, i, all) => i === 0 || w !== all[i - 1]);
    expect(weights).to.deep.equal([0, 10, 20, 30, 40, 50, 0]);
    const advances = d.timeline.filter((e) => e.events.some((m) => m.startsWith('Advance'))).map((e) => e.at);
    expect(advances.slice(1).map((at, i) => at - (advances[i] ?? 0))).to.deep.equal([60_000, 60_000, 60_000, 60_000]);
  });

  it('when the stepper runs with --mesh-provider kubernetes, then a canary without provider runs blue/green, 10 iterations', () => {
    const d = toEnd(released(fixture('reviews-canary-istio.yaml'), { stepOptions: { meshProvider: 'kubernetes' } }));
    expect(d.state.phase).to.equal('Succeeded');
    expect(events(d).filter((e) => e.startsWith('Advance')).at(-1)).to.equal('Advance reviews.default canary iteration 10/10');
    expect(events(d)).to.include('Routing all traffic to canary');
  });

  it('when the KEDA blue/green canary runs, then iterations 1/5..5/5, all traffic switches to the copy, then back after the rollout', () => {
    const d = toEnd(released(fixture('podinfo-canary-keda-bluegreen.yaml'), slow));
    expect(d.state.phase).to.equal('Succeeded');
    const stream = eventsFrom(d, 'Starting canary analysis');
    expect(stream.filter((e) => e.startsWith('Advance'))).to.deep.equal([1, 2, 3, 4, 5].map((i) => `Advance podinfo.test canary iteration ${i}/5`));
    expect(stream).to.include.members(['Routing all traffic to canary', 'Routing all traffic to primary', 'Promotion completed! Scaling down podinfo.test']);
    const promoting = d.timeline.filter((e) => e.phase === 'Promoting');
    expect(promoting.every((e) => e.routes.canary === 100)).to.equal(true);
    expect(d.timeline.filter((e) => e.phase === 'Progressing').every((e) => e.routes.canary === 0)).to.equal(true);
  });

  it('when an A/B canary runs on istio, then matched traffic goes to the copy for each iteration and status weight stays 0', () => {
    const d = released(canary({ iterations: 3, stepWeight: undefined, maxWeight: undefined, match: [{ headers: { 'x-canary': { exact: 'insider' } } }] }, { provider: 'istio' }));
    toEnd(d);
    expect(d.state.phase).to.equal('Succeeded');
    expect(events(d).filter((e) => e.startsWith('Advance'))).to.deep.equal([1, 2, 3].map((i) => `Advance podinfo.test canary iteration ${i}/3`));
    const iterating = d.timeline.filter((e) => e.phase === 'Progressing' && e.iterations > 0);
    expect(iterating.every((e) => e.routes.canary === 100 && e.routes.primary === 0)).to.equal(true);
  });

  it('when an Istio canary mirrors, then a mirror-only step comes first without a traffic-increase gate, then the weights', () => {
    const gate = { name: 'gate', type: 'confirm-traffic-increase' as const, url: 'http://gate/' };
    const asked: number[] = [];
    const d = released(canary({ mirror: true, webhooks: [gate] }, { provider: 'istio' }), {
      hook: (check, m) => {
        if (check.type === 'confirm-traffic-increase') asked.push(m.state.routes.canary + (m.state.routes.mirror ? 0.5 : 0));
        return undefined;
      },
    });
    toEnd(d);
    const routes = d.timeline.filter((e) => e.phase === 'Progressing').map((e) => `${e.routes.canary}${e.routes.mirror ? 'm' : ''}`);
    expect(routes.filter((r, i) => r !== routes[i - 1])).to.deep.equal(['0', '0m', '10', '20', '30']);
    expect(asked).to.deep.equal([0.5, 10, 20]);
    expect(events(d)).to.include('Advance podinfo.test canary weight 0: mirroring traffic to podinfo-canary.test');
  });

  it('when a blue/green canary mirrors on istio, then every iteration mirrors and promotion stops mirroring', () => {
    const d = toEnd(released(canary({ iterations: 2, mirror: true, stepWeight: undefined, maxWeight: undefined }, { provider: 'istio' })));
    expect(d.timeline.filter((e) => e.phase === 'Progressing' && e.iterations > 0).every((e) => e.routes.mirror)).to.equal(true);
    expect(events(d)).to.include('Stop traffic mirroring and route all traffic to canary');
  });

  it('when stepWeights are given, then the weights follow the list', () => {
    const d = toEnd(released(canary({ stepWeight: undefined, maxWeight: undefined, stepWeights: [1, 5, 25, 60] })));
    expect(events(d).filter((e) => e.startsWith('Advance'))).to.deep.equal([1, 5, 25, 60].map((w) => `Advance podinfo.test canary weight ${w}`));
  });

  it('when stepWeightPromotion is set, then traffic moves back to primary gradually after the rollout', () => {
    const d = toEnd(released(canary({ maxWeight: 50, stepWeight: 25, stepWeightPromotion: 20 })));
    const stream = eventsFrom(d, 'Releasing the hold');
    expect(stream).to.deep.equal([
      'Releasing the hold on podinfo.test: rolling out revision rev-2',
      'Advance podinfo.test primary weight 70',
      'Advance podinfo.test primary weight 90',
      'Routing all traffic to primary',
      'Promotion completed! Scaling down podinfo.test',
    ]);
    expect(d.state.stableRevision).to.equal('rev-2');
  });

  it('when skipAnalysis is set, then the revision is promoted without scaling the copy, and post-rollout hooks run', () => {
    const post = { name: 'notify', type: 'post-rollout' as const, url: 'http://hooks/' };
    const d = released(canary({ webhooks: [post] }, { skipAnalysis: true }));
    const copySizes = new Set<number>();
    d.runUntil((s, c) => {
      copySizes.add(c.copy.replicas);
      return s.phase === 'Succeeded';
    });
    d.advance();
    expect(copySizes).to.deep.equal(new Set([0]));
    expect(eventsFrom(d, 'New revision')).to.deep.equal([
      'New revision detected! Promoting podinfo.test without analysis (skipAnalysis)',
      'Releasing the hold on podinfo.test: rolling out revision rev-2',
      'Promotion completed! Canary analysis was skipped for podinfo.test',
      'Post-rollout check notify passed',
    ]);
    expect(d.cluster.log.hooks).to.deep.equal([{ at: d.cluster.log.hooks[0]?.at, hook: 'notify', phase: 'Succeeded', id: 'r1-Succeeded-notify' }]);
    expect(d.state.outbox).to.deep.equal([]);
  });

  it('when a promotion succeeds, then an info alert says so once', () => {
    const d = toEnd(released(canary()));
    d.advance();
    expect(d.cluster.log.alerts.map((a) => a.message)).to.deep.equal([
      'New Deployment detected, initialization completed.',
      'New revision detected, progressing canary analysis.',
      'Canary analysis completed successfully, promotion finished.',
    ]);
  });

  it('when no alert of the canary and no global notifier would receive an alert, then none is queued, so none costs a state write to acknowledge', () => {
    const d = toEnd(released(canary(), { stepOptions: { notifier: false } }));
    expect(d.cluster.log.alerts).to.deep.equal([]);
    expect(d.state.outbox).to.deep.equal([]);
  });

  it("when the canary's only alert takes errors, then info alerts are not queued and the error alert of a rollback is", () => {
    const pager = [{ name: 'pager', severity: 'error' as const, providerRef: { name: 'pd' } }];
    const promoted = toEnd(released(canary({ alerts: pager })));
    promoted.advance();
    expect(promoted.cluster.log.alerts).to.deep.equal([]);
    const failing = released(canary({ alerts: pager }, { progressDeadlineSeconds: 30 }));
    failing.cluster.copy.stuck = true;
    toEnd(failing);
    failing.advance();
    expect(failing.cluster.log.alerts.map((a) => a.severity)).to.deep.equal(['error']);
  });
});

// The CloudEvents sink (`davy step --cloudevents-sink`): the payload builder on its own (every
// occurrence a valid CloudEvent 1.0, ids stable for one entry and distinct between entries, the
// step's values in `data`), then the runner posting to a local receiver that refuses anything
// CloudEvents' spec and HTTP binding would: the promotion's sequence, a lost answer retried under
// the same id, a failed post holding the later events back so order holds, the address policy.
import { expect } from 'chai';
import type { KubeObject } from '../../../src/kube/client.js';
import { cloudEventOf, STRUCTURED_CONTENT_TYPE, TYPE_PREFIX } from '../../../src/runner/cloudevents.js';
import { OCCURRENCES, type CloudEventEntry } from '../../../src/stepper/index.js';
import { StepperMetrics } from '../../../src/telemetry/stepper-metrics.js';
import { CloudEventsReceiver, invalidity } from '../../harness/cloudevents-receiver.js';
import { canaryOf, pass, passUntil, phaseIs, setImage, stateOf, world, type World } from './world.js';

const NEW_IMAGE = 'ghcr.io/stefanprodan/podinfo:6.0.1';
const CANARY = { metadata: { name: 'podinfo', namespace: 'test', uid: '0b7f6c1e-1d2c-4c51-9d43-6f2f1f7f1a11' } };

const entry = (overrides: Partial<CloudEventEntry> = {}): CloudEventEntry => ({
  id: 'r2-c9',
  kind: 'cloudEvent',
  occurrence: 'advanced',
  at: '2026-01-01T00:00:40.000Z',
  phase: 'Progressing',
  revision: '5d41402abc4b2a76',
  stableRevision: '7d793037a0760186',
  routes: { primary: 80, canary: 20, mirror: false },
  iterations: 0,
  failedChecks: 1,
  checks: [
    { kind: 'metric', name: 'request-success-rate', value: 98.5, min: 99, verdict: 'failed' },
    { kind: 'metric', name: 'request-duration', value: 120, max: 500, verdict: 'ok' },
    { kind: 'hook', name: 'acceptance-test', hookType: 'rollout', verdict: 'ok' },
  ],
  ...overrides,
});

/** The promotion's types for the OSM fixture: stepWeight 5 up to 50. */
const PROMOTION = [
  'initializing', 'initialized', 'progressing',
  ...Array.from({ length: 10 }, () => 'advanced'),
  'promotion.started', 'promotion.finalising', 'promoted',
].map((t) => `${TYPE_PREFIX}${t}`);

async function sinking(receiver: CloudEventsReceiver): Promise<World> {
  const w = world();
  w.deps.metrics = new StepperMetrics({ defaultMetrics: false });
  w.deps.cloudEventsSink = `${receiver.url}/events`;
  const canary = canaryOf(w)!;
  canary.metadata.uid = CANARY.metadata.uid;
  await w.kube.replace(canary as unknown as KubeObject);
  return w;
}

async function posts(w: World, outcome: 'sent' | 'failed'): Promise<number> {
  const metric = await w.deps.metrics!.registry.getSingleMetric('davy_stepper_alerts_total')?.get();
  return (metric?.values ?? []).filter((v) => v.labels.provider === 'cloudevents' && v.labels.outcome === outcome).reduce((s, v) => s + v.value, 0);
}

/** The events once each, as a receiver de-duplicating on source + id keeps them. */
function deduplicated(receiver: CloudEventsReceiver): CloudEventsReceiver['received'] {
  const seen = new Set<string>();
  return receiver.received.filter((r) => {
    const key = `${r.event.source} ${r.event.id}`;
    return !seen.has(key) && Boolean(seen.add(key));
  });
}

describe('runner: CloudEvents', function () {
  this.timeout(30_000);

  describe('the payload builder', () => {
    it('when each occurrence is rendered, then it is a valid structured CloudEvent 1.0 of type dev.davy.canary.<occurrence>', () => {
      for (const occurrence of OCCURRENCES) {
        const event = cloudEventOf(CANARY, entry({ occurrence }));
        expect(invalidity(STRUCTURED_CONTENT_TYPE, JSON.stringify(event)), occurrence).to.equal(undefined);
        expect(event).to.include({
          specversion: '1.0',
          type: `dev.davy.canary.${occurrence}`,
          source: '/apis/flagger.app/v1beta1/namespaces/test/canaries/podinfo',
          subject: 'test/podinfo',
          time: '2026-01-01T00:00:40.000Z',
          datacontenttype: 'application/json',
        });
      }
    });

    it('when one entry is rendered twice (a retry), then the events are equal; another entry, time or Canary gives another id', () => {
      const first = cloudEventOf(CANARY, entry());
      expect(cloudEventOf(structuredClone(CANARY), entry())).to.deep.equal(first);
      const ids = [
        first.id,
        cloudEventOf(CANARY, entry({ id: 'r2-c10' })).id,
        cloudEventOf(CANARY, entry({ at: '2026-01-01T00:00:50.000Z' })).id,
        cloudEventOf({ metadata: { ...CANARY.metadata, uid: 'another-uid' } }, entry()).id,
      ];
      expect(new Set(ids).size).to.equal(ids.length);
    });

    it('when a step ran checks, then data carries the revision, the weights, the phase and each check\'s value, thresholds and verdict', () => {
      const { data } = cloudEventOf(CANARY, entry({ occurrence: 'rolledback', phase: 'Failed', from: 'Progressing', reason: 'FailedChecksThreshold', message: '5 failed checks (threshold 5)' }));
      expect(data).to.deep.equal({
        name: 'podinfo',
        namespace: 'test',
        phase: 'Failed',
        previousPhase: 'Progressing',
        reason: 'FailedChecksThreshold',
        message: '5 failed checks (threshold 5)',
        revision: '5d41402abc4b2a76',
        stableRevision: '7d793037a0760186',
        canaryWeight: 20,
        primaryWeight: 80,
        mirror: false,
        iterations: 0,
        failedChecks: 1,
        checks: [
          { kind: 'metric', name: 'request-success-rate', value: 98.5, thresholdRange: { min: 99 }, verdict: 'failed' },
          { kind: 'metric', name: 'request-duration', value: 120, thresholdRange: { max: 500 }, verdict: 'ok' },
          { kind: 'hook', name: 'acceptance-test', hookType: 'rollout', verdict: 'ok' },
        ],
      });
    });

    it('when a canary is new (no phase before), then previousPhase is left out rather than empty', () => {
      expect(cloudEventOf(CANARY, entry({ occurrence: 'initializing', phase: 'Initializing', from: '' })).data).to.not.have.property('previousPhase');
    });
  });

  describe('delivery', () => {
    const receiver = new CloudEventsReceiver();
    before(() => receiver.start());
    after(() => receiver.stop());
    beforeEach(() => {
      receiver.received.splice(0);
      receiver.refused.splice(0);
      receiver.failNext(0);
    });

    it('when a revision is promoted, then the sink receives each transition and weight step once, in order, in structured mode', async () => {
      const w = await sinking(receiver);
      await passUntil(w, phaseIs('Initialized'), 20);
      await setImage(w, NEW_IMAGE);
      await passUntil(w, phaseIs('Succeeded'));
      await pass(w); // the last step's events go out with its actions; this pass acknowledges them
      expect(receiver.refused).to.deep.equal([]);
      expect(receiver.types()).to.deep.equal(PROMOTION);
      expect(receiver.received.every((r) => r.headers['content-type'] === STRUCTURED_CONTENT_TYPE)).to.equal(true);
      expect(new Set(receiver.received.map((r) => r.event.id)).size).to.equal(receiver.received.length);
      const weights = receiver.received.filter((r) => r.event.type.endsWith('.advanced')).map((r) => (r.event.data as { canaryWeight: number }).canaryWeight);
      expect(weights).to.deep.equal([5, 10, 15, 20, 25, 30, 35, 40, 45, 50]);
      const promoted = receiver.received.at(-1)!.event;
      expect(promoted.subject).to.equal('test/podinfo');
      expect(promoted.data).to.include({ phase: 'Succeeded', previousPhase: 'Finalising', reason: 'PromotionComplete' });
      expect(stateOf(w).outbox.filter((e) => e.kind === 'cloudEvent')).to.deep.equal([]);
      expect(await posts(w, 'sent')).to.equal(PROMOTION.length);
      expect(await posts(w, 'failed')).to.equal(0);
    });

    it('when the checks fail, then the sink hears the halts and the rollback with the failed value against its threshold', async () => {
      const w = await sinking(receiver);
      w.metric.answer = () => ({ kind: 'ok', value: 50 });
      await passUntil(w, phaseIs('Initialized'), 20);
      await setImage(w, NEW_IMAGE);
      await passUntil(w, phaseIs('Failed'));
      await pass(w);
      const types = receiver.types().map((t) => t.slice(TYPE_PREFIX.length));
      expect(types.slice(0, 4)).to.deep.equal(['initializing', 'initialized', 'progressing', 'advanced']);
      expect(types.slice(4)).to.deep.equal(['halted', 'halted', 'halted', 'halted', 'rolledback']);
      const rollback = receiver.received.at(-1)!.event.data as {
        failedChecks: number; canaryWeight: number; checks: { name: string; value: number; thresholdRange: { min: number }; verdict: string }[];
      };
      expect(rollback.failedChecks).to.equal(5);
      expect(rollback.canaryWeight).to.equal(0);
      expect(rollback.checks.find((c) => c.name === 'request-success-rate')).to.deep.include({ value: 50, thresholdRange: { min: 99 }, verdict: 'failed' });
    });

    it('when the sink stores an event but its answer is lost, then the failure is counted, the next pass posts the same id, and later events wait their turn', async () => {
      const w = await sinking(receiver);
      await passUntil(w, phaseIs('Initialized'), 20);
      receiver.received.splice(0);
      receiver.failNext(1, { stored: true });
      await setImage(w, NEW_IMAGE);
      await pass(w); // the step to Progressing: its event is stored, answered 500
      expect(receiver.types()).to.deep.equal([`${TYPE_PREFIX}progressing`]);
      expect(await posts(w, 'failed')).to.equal(1);
      expect(stateOf(w).outbox.some((e) => e.kind === 'cloudEvent')).to.equal(true);
      await passUntil(w, phaseIs('Succeeded'));
      await pass(w);
      const [first, retry] = receiver.received;
      expect(retry!.event).to.deep.equal(first!.event);
      expect(deduplicated(receiver).map((r) => r.event.type)).to.deep.equal(PROMOTION.slice(2));
    });

    it('when the sink is down, then each pass tries only the oldest event (order holds, one timeout a pass), and all arrive in order once it is back', async () => {
      const w = await sinking(receiver);
      await passUntil(w, phaseIs('Initialized'), 20);
      receiver.received.splice(0);
      receiver.failNext(1000, { stored: true });
      await setImage(w, NEW_IMAGE);
      await passUntil(w, (x) => stateOf(x).outbox.filter((e) => e.kind === 'cloudEvent').length >= 3, 30);
      expect(receiver.received.length).to.be.greaterThan(1);
      expect(new Set(receiver.received.map((r) => r.event.id)).size, 'only the oldest was tried').to.equal(1);
      expect(await posts(w, 'failed')).to.equal(receiver.received.length);
      receiver.failNext(0);
      await passUntil(w, phaseIs('Succeeded'));
      await pass(w);
      expect(deduplicated(receiver).map((r) => r.event.type)).to.deep.equal(PROMOTION.slice(2));
    });

    it('when the address policy refuses the sink, then nothing is posted, each attempt is counted, and the events stay for a later pass', async () => {
      const w = await sinking(receiver);
      w.deps.addressGuard = () => Promise.resolve('host 127.0.0.1 is not allowed by the stepper\'s --allowed-hosts (cluster)');
      await passUntil(w, phaseIs('Initialized'), 20);
      await pass(w);
      expect(receiver.received).to.deep.equal([]);
      expect(await posts(w, 'failed')).to.be.greaterThan(1);
      expect(stateOf(w).outbox.filter((e) => e.kind === 'cloudEvent').length).to.equal(2);
      delete w.deps.addressGuard;
      await pass(w);
      expect(receiver.types()).to.deep.equal(PROMOTION.slice(0, 2));
    });

    it('when the stepper runs without a sink, then no CloudEvent is queued in the state', async () => {
      const w = await sinking(receiver);
      delete w.deps.cloudEventsSink;
      await passUntil(w, phaseIs('Initialized'), 20);
      await setImage(w, NEW_IMAGE);
      await passUntil(w, phaseIs('Progressing'), 20);
      expect(stateOf(w).outbox.filter((e) => e.kind === 'cloudEvent')).to.deep.equal([]);
      expect(receiver.received).to.deep.equal([]);
    });
  });
});

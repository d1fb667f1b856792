// The CloudEvents sink end to end: the OSM tutorial in its own namespace, a stepper running with
// deploy/'s RBAC and `--cloudevents-sink` pointed at a local receiver that refuses anything
// CloudEvents 1.0 and its HTTP binding's structured mode would (test/harness/cloudevents-receiver.ts).
// A promotion and then a rollback must post one event per transition and weight step, in order,
// each carrying the revision, the weight, the phase and the checks of its step.
import { expect } from 'chai';
import { Scenario, promoteThenRollBack } from './scenario.js';
import { eventually } from '../harness/process.js';
import { CloudEventsReceiver, type ReceivedEvent } from '../harness/cloudevents-receiver.js';

const NS = 'cloudevents-e2e';
const PREFIX = 'dev.davy.canary.';

interface Data {
  name: string;
  namespace: string;
  phase: string;
  previousPhase?: string;
  reason?: string;
  revision?: string;
  stableRevision?: string;
  canaryWeight: number;
  primaryWeight: number;
  failedChecks: number;
  checks: {
    kind: string; name: string; value?: number; thresholdRange?: { min?: number; max?: number }; verdict: string;
  }[];
}

/** Each event once, as a receiver de-duplicating on source + id keeps them (a retry may repeat one). */
function once(receiver: CloudEventsReceiver): ReceivedEvent['event'][] {
  const seen = new Set<string>();
  return receiver.received.map((r) => r.event).filter((e) => !seen.has(`${e.source} ${e.id}`) && Boolean(seen.add(`${e.source} ${e.id}`)));
}

const data = (event: ReceivedEvent['event']): Data => event.data as Data;

describe('cloudevents: a promotion and a rollback post one CloudEvent per transition to the sink', function () {
  this.timeout(420_000);
  const sink = new CloudEventsReceiver();
  let scenario: Scenario;
  before(() => sink.start());
  after(async () => {
    await scenario?.teardown();
    await sink.stop();
  });

  it('when a new image is promoted and the next one fails its checks, then the sink receives the expected sequence of valid CloudEvents', async () => {
    scenario = new Scenario(NS, 'podinfo');
    await promoteThenRollBack(scenario, { stepperArgs: ['--cloudevents-sink', `${sink.url}/davy`] });
    await eventually('the rollback event', () => Promise.resolve(once(sink).some((e) => e.type === `${PREFIX}rolledback`) ? true : undefined), 30_000, 500);

    expect(sink.refused, 'no event was refused').to.deep.equal([]);
    const events = once(sink);
    expect(events.map((e) => e.type.slice(PREFIX.length))).to.deep.equal([
      'initializing', 'initialized',
      'progressing', 'advanced', 'promotion.started', 'promotion.finalising', 'promoted',
      'progressing', 'advanced', 'rolledback',
    ]);
    const uid = (await scenario.canary()).metadata.uid!;
    for (const event of events) {
      expect(event).to.include({ specversion: '1.0', source: `/apis/flagger.app/v1beta1/namespaces/${NS}/canaries/podinfo`, subject: `${NS}/podinfo`, datacontenttype: 'application/json' });
      expect(event.id.startsWith(`${uid}.`), event.id).to.equal(true);
      expect(data(event)).to.include({ name: 'podinfo', namespace: NS });
    }
    for (const received of sink.received) expect(received.headers['content-type']).to.equal('application/cloudevents+json; charset=UTF-8');
    expect(new Set(events.map((e) => e.id)).size, 'ids are distinct').to.equal(events.length);
    expect(events.map((e) => Date.parse(String(e.time))), 'times in order').to.deep.equal(events.map((e) => Date.parse(String(e.time))).sort((a, b) => a - b));

    const [, , progressing, advanced, , , promoted, , , rolledback] = events;
    expect(data(progressing!)).to.include({ phase: 'Progressing', previousPhase: 'Initialized', reason: 'NewRevision' });
    expect(data(advanced!)).to.include({ phase: 'Progressing', canaryWeight: 10, primaryWeight: 90 });
    expect(data(promoted!)).to.include({ phase: 'Succeeded', reason: 'PromotionComplete', canaryWeight: 0 });
    expect(data(promoted!).stableRevision).to.equal(data(promoted!).revision);
    expect(data(rolledback!)).to.include({ phase: 'Failed', previousPhase: 'Progressing', reason: 'FailedChecksThreshold', failedChecks: 1, canaryWeight: 0 });
    expect(data(rolledback!).revision).to.not.equal(data(promoted!).revision);
    const rate = data(rolledback!).checks.find((c) => c.name === 'request-success-rate');
    expect(rate, JSON.stringify(data(rolledback!).checks)).to.deep.include({ kind: 'metric', thresholdRange: { min: 99 }, verdict: 'failed' });
    expect(rate!.value).to.be.closeTo(60, 1);
    const promotedChecks = data(events[4]!).checks;
    expect(promotedChecks.find((c) => c.name === 'request-success-rate')).to.deep.include({ verdict: 'ok' });
  });
});

// Alerts through the runner: the OSM tutorial with `analysis.alerts` naming AlertProviders whose
// hooks are a local receiver that checks each service's payload. What each provider hears, in
// order, after a rollout and a rollback; severity filtering; and a failed post retried on the next
// pass without a second copy to the providers that already took it.
import { expect } from 'chai';
import { Writable } from 'node:stream';
import { parseAddressPolicy, type AddressPolicy } from '../../../src/api/address-policy.js';
import { addressGuard, serviceExistsIn } from '../../../src/runner/address-guard.js';
import { createLogger } from '../../../src/telemetry/logger.js';
import { ANNOTATION_ALERTS_SENT, ANNOTATION_STATE } from '../../../src/api/keys.js';
import { parseState } from '../../../src/stepper/index.js';
import type { KubeObject } from '../../../src/kube/client.js';
import { StepperMetrics } from '../../../src/telemetry/stepper-metrics.js';
import { ChatReceiver, type ReceivedPost } from '../../harness/chat-receiver.js';
import { canaryOf, pass, passUntil, phaseIs, setImage, stateOf, world, type World } from './world.js';

const NEW_IMAGE = 'ghcr.io/stefanprodan/podinfo:6.0.1';

const provider = (name: string, spec: Record<string, unknown>): KubeObject =>
  ({ apiVersion: 'flagger.app/v1beta1', kind: 'AlertProvider', metadata: { name, namespace: 'test' }, spec });

const secret = (name: string, data: Record<string, string>): KubeObject =>
  ({ apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: 'test' }, data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')])) });

function parsed(text: string): AddressPolicy {
  const result = parseAddressPolicy(text, undefined, '--alert-hosts');
  if (!result.ok) throw new Error(result.error);
  return result.policy;
}

/** What a service heard, as its message texts, in order. */
function heard(receiver: ChatReceiver, service: ReceivedPost['service']): string[] {
  return receiver.received.filter((p) => p.service === service).map((p) => {
    if (service === 'msteams') return String((p.body.sections as { activityTitle: string }[])[0]!.activityTitle);
    if (service === 'gchat') return String((p.body.cards as { sections: { widgets: { textParagraph: { text: string } }[] }[] }[])[0]!.sections[0]!.widgets[0]!.textParagraph.text).replace(/<[^>]+>/g, '');
    return String((p.body.attachments as { text: string }[])[0]!.text);
  });
}

async function alertingWorld(receiver: ChatReceiver): Promise<World> {
  const w = world();
  w.deps.metrics = new StepperMetrics({ defaultMetrics: false });
  w.kube.seed(
    provider('on-call', { type: 'slack', channel: 'deploys', secretRef: { name: 'slack-hook' } }),
    secret('slack-hook', { address: `${receiver.url}/slack/T/B/x` }),
    provider('chat', { type: 'gchat', address: `${receiver.url}/gchat/v1/spaces/S/messages?key=k&token=t` }),
    provider('incidents', { type: 'msteams', address: `${receiver.url}/teams/hook` }),
  );
  const canary = canaryOf(w)!;
  canary.spec.analysis!.alerts = [
    { name: 'on-call', severity: 'info', providerRef: { name: 'on-call' } },
    { name: 'chat', severity: 'info', providerRef: { name: 'chat', namespace: 'test' } },
    { name: 'incidents', severity: 'error', providerRef: { name: 'incidents' } },
  ];
  await w.kube.replace(canary as unknown as KubeObject);
  await passUntil(w, phaseIs('Initialized'), 20);
  return w;
}

async function alertsTotal(w: World, outcome: string): Promise<number> {
  const metric = await w.deps.metrics!.registry.getSingleMetric('davy_stepper_alerts_total')?.get();
  return (metric?.values ?? []).filter((v) => v.labels.outcome === outcome).reduce((sum, v) => sum + v.value, 0);
}

describe('runner: alerts', function () {
  this.timeout(30_000);
  const receiver = new ChatReceiver();
  before(() => receiver.start());
  after(() => receiver.stop());
  beforeEach(() => {
    receiver.received.splice(0);
    receiver.refused.splice(0);
  });

  it('when a canary initializes and then promotes, then the info providers hear every alert once, with Flagger\'s wording and metadata, and the error provider nothing', async () => {
    const w = await alertingWorld(receiver);
    await setImage(w, NEW_IMAGE);
    await passUntil(w, phaseIs('Succeeded'));
    const sequence = ['New Deployment detected, initialization completed.', 'New revision detected, progressing canary analysis.', 'Canary analysis completed successfully, promotion finished.'];
    expect(heard(receiver, 'slack'), JSON.stringify(receiver.refused)).to.deep.equal(sequence);
    expect(heard(receiver, 'gchat')).to.deep.equal(sequence);
    expect(heard(receiver, 'msteams')).to.deep.equal([]);
    const first = receiver.received.find((p) => p.service === 'slack')!.body as { channel: string; attachments: { author_name: string; fields: { title: string; value: string }[] }[] };
    expect(first.channel).to.equal('deploys');
    expect(first.attachments[0]!.author_name).to.equal('podinfo.test');
    expect(first.attachments[0]!.fields.map((f) => `${f.title}: ${f.value}`)).to.deep.equal([
      'Target: Deployment/podinfo.test', 'Failed checks threshold: 5', 'Progress deadline: 60s', 'Traffic routing: Weight step: 5 max: 50',
    ]);
    expect(stateOf(w).outbox).to.deep.equal([]);
    expect(await alertsTotal(w, 'failed')).to.equal(0);
  });

  it('when the checks fail until the threshold, then the rollback alert reaches the error provider too', async () => {
    const w = await alertingWorld(receiver);
    w.metric.answer = () => ({ kind: 'ok', value: 50 });
    await setImage(w, NEW_IMAGE);
    await passUntil(w, phaseIs('Failed'));
    expect(heard(receiver, 'msteams')).to.deep.equal(['Failed checks threshold reached 5']);
    expect(heard(receiver, 'slack').at(-1)).to.equal('Failed checks threshold reached 5');
    const card = receiver.received.find((p) => p.service === 'msteams')!.body;
    expect(card.themeColor).to.equal('FF0000');
  });

  it('when one provider is down, then the others hear the alert once, the failure is counted, and the next pass delivers it to the one that missed it', async () => {
    const w = await alertingWorld(receiver);
    receiver.received.splice(0);
    receiver.failNext(1); // slack, the first alert, answers 500 once
    await setImage(w, NEW_IMAGE);
    await passUntil(w, (x) => stateOf(x).phase === 'Progressing' && stateOf(x).outbox.length > 0 && heard(receiver, 'gchat').length > 0, 20);
    expect(heard(receiver, 'slack')).to.deep.equal([]);
    expect(heard(receiver, 'gchat')).to.deep.equal(['New revision detected, progressing canary analysis.']);
    expect(await alertsTotal(w, 'failed')).to.equal(1);
    expect(JSON.parse(canaryOf(w)!.metadata.annotations![ANNOTATION_ALERTS_SENT]!)).to.deep.equal({ [stateOf(w).outbox[0]!.id]: ['chat'] });
    await pass(w);
    expect(heard(receiver, 'slack')).to.deep.equal(['New revision detected, progressing canary analysis.']);
    expect(heard(receiver, 'gchat')).to.deep.equal(['New revision detected, progressing canary analysis.']);
    expect(stateOf(w).outbox).to.deep.equal([]);
  });

  it('when an alert names a missing AlertProvider, then the others still hear it and the step goes on', async () => {
    const w = await alertingWorld(receiver);
    const canary = canaryOf(w)!;
    canary.spec.analysis!.alerts = [{ name: 'ghost', severity: 'info', providerRef: { name: 'nope' } }, { name: 'chat', severity: 'info', providerRef: { name: 'chat' } }];
    await w.kube.replace(canary as unknown as KubeObject);
    await setImage(w, NEW_IMAGE);
    await passUntil(w, phaseIs('Succeeded'));
    expect(heard(receiver, 'gchat').at(-1)).to.equal('Canary analysis completed successfully, promotion finished.');
    expect(stateOf(w).outbox.length).to.be.greaterThan(0);
  });

  it('when --alert-hosts refuses a provider\'s address or its proxy, then nothing is posted there, the others hear the alert, and the failure is logged and counted', async () => {
    const w = await alertingWorld(receiver);
    const lines: string[] = [];
    w.deps.logger = createLogger({ stream: new Writable({ write: (chunk: Buffer, _e, done) => (lines.push(chunk.toString()), done()) }) });
    w.deps.alertGuard = addressGuard(parsed('localhost,*.example.com'), serviceExistsIn(w.kube));
    const { port } = new URL(receiver.url);
    // on-call's Secret names 127.0.0.1 (refused); chat moves to localhost (allowed); incidents posts
    // to localhost through a proxy at a cloud metadata address (refused).
    await w.kube.replace(provider('chat', { type: 'gchat', address: `http://localhost:${port}/gchat/v1/spaces/S/messages?key=k&token=t` }));
    await w.kube.replace(provider('incidents', { type: 'msteams', address: `http://localhost:${port}/teams/hook`, proxy: 'http://169.254.169.254:80' }));
    const canary = canaryOf(w)!;
    canary.spec.analysis!.alerts = canary.spec.analysis!.alerts!.map((a) => ({ ...a, severity: 'info' as const }));
    await w.kube.replace(canary as unknown as KubeObject);
    receiver.received.splice(0);
    await setImage(w, NEW_IMAGE);
    await passUntil(w, phaseIs('Succeeded'));
    expect(heard(receiver, 'gchat')).to.deep.equal(['New revision detected, progressing canary analysis.', 'Canary analysis completed successfully, promotion finished.']);
    expect(receiver.received.filter((p) => p.service !== 'gchat')).to.deep.equal([]);
    expect(await alertsTotal(w, 'failed')).to.be.greaterThanOrEqual(4);
    const reasons = lines.map((l) => JSON.parse(l) as { message: string; reason?: string }).filter((l) => l.message.startsWith('alert not delivered')).map((l) => l.reason);
    expect(reasons).to.include('AlertProvider test/on-call: not posted: host 127.0.0.1 is not allowed by the stepper\'s --alert-hosts (localhost,*.example.com)');
    expect(reasons).to.include('AlertProvider test/incidents: not posted: host 169.254.169.254 is not allowed by the stepper\'s --alert-hosts (localhost,*.example.com)');
  });

  it('when a canary has no alerts, then the global notifier hears every alert, and without one none is queued', async () => {
    const rollout = async (w: World): Promise<void> => {
      await passUntil(w, phaseIs('Initialized'), 20);
      await setImage(w, NEW_IMAGE);
      await passUntil(w, phaseIs('Succeeded'));
      await pass(w);
    };
    const posted: string[] = [];
    const notified = world();
    notified.deps.notifier = {
      post: (n) => {
        posted.push(n.message);
        return Promise.resolve({ ok: true as const });
      },
    };
    await rollout(notified);
    expect(posted).to.deep.equal([
      'New Deployment detected, initialization completed.',
      'New revision detected, progressing canary analysis.',
      'Canary analysis completed successfully, promotion finished.',
    ]);
    const silent = world();
    const queued: string[] = [];
    silent.deps.kube = tapOutbox(silent, queued);
    await rollout(silent);
    expect(queued).to.deep.equal([]);
  });
});

/** A MemoryKube in front of which every Canary write's outbox is read: the kinds it held. */
function tapOutbox(w: World, into: string[]): World['deps']['kube'] {
  const inner = w.kube;
  return {
    get: (ref) => inner.get(ref),
    list: (...args) => inner.list(...args),
    create: (o, options) => inner.create(o, options),
    replace: (o, options) => {
      const text = o.metadata.annotations?.[ANNOTATION_STATE];
      if (o.kind === 'Canary' && text) into.push(...parseState(text).state.outbox.map((e) => e.kind));
      return inner.replace(o, options);
    },
    replaceStatus: (o, options) => inner.replaceStatus(o, options),
    patch: (ref, p, options) => inner.patch(ref, p, options),
    delete: (ref, options) => inner.delete(ref, options),
  };
}

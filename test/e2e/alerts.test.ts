// Alerts end to end: the OSM tutorial in its own namespace, with AlertProviders whose hooks are a
// local receiver that checks each chat service's payload (Slack through a Secret's address, Teams
// for errors only). A promotion and then a rollback must post Flagger's sequence, each alert once,
// from a stepper running with deploy/'s RBAC.
import { expect } from 'chai';
import { e2e } from './hooks.js';
import { Scenario, example } from './scenario.js';
import { eventually } from '../harness/process.js';
import { ChatReceiver, type ReceivedPost } from '../harness/chat-receiver.js';
import type { KubeObject } from '../../src/kube/client.js';

const NS = 'alerts-e2e';
const NEW_IMAGE = 'ghcr.io/stefanprodan/podinfo:6.0.1';
const OLD_IMAGE = 'ghcr.io/stefanprodan/podinfo:6.0.0';
const HEALTHY = { requestsPerSecond: 20, successRate: 1, latencyMs: 40 };

const inNamespace = (o: KubeObject): KubeObject => ({ ...o, metadata: { ...o.metadata, namespace: NS } });

/** The message of each post a service received, in order. */
function messages(receiver: ChatReceiver, service: ReceivedPost['service']): string[] {
  return receiver.received.filter((p) => p.service === service).map((p) =>
    service === 'msteams' ? String((p.body.sections as { activityTitle: string }[])[0]!.activityTitle) : String((p.body.attachments as { text: string }[])[0]!.text));
}

describe('alerts: a promotion and a rollback post Flagger\'s sequence to the chat services', function () {
  this.timeout(420_000);
  const chat = new ChatReceiver();
  let scenario: Scenario;
  before(() => chat.start());
  after(async () => {
    await scenario.teardown();
    await chat.stop();
  });

  it('when a new image is promoted and the next one fails its checks, then slack hears every alert once and teams only the rollback', async () => {
    scenario = new Scenario(NS, 'podinfo');
    await scenario.setup();
    await scenario.apply(example('podinfo-deployment.yaml').map(inNamespace));
    await scenario.apply([
      { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'slack-hook', namespace: NS }, stringData: { address: `${chat.url}/slack/T0/B0/e2e` } },
      { apiVersion: 'flagger.app/v1beta1', kind: 'AlertProvider', metadata: { name: 'on-call', namespace: NS }, spec: { type: 'slack', channel: 'deploys', secretRef: { name: 'slack-hook' } } },
      { apiVersion: 'flagger.app/v1beta1', kind: 'AlertProvider', metadata: { name: 'incidents', namespace: NS }, spec: { type: 'msteams', address: `${chat.url}/teams/e2e` } },
    ]);
    e2e().exporter.shapeOsm(NS, 'podinfo-canary', HEALTHY);
    e2e().exporter.shapeOsm(NS, 'podinfo', HEALTHY);
    const canary = scenario.shorten(inNamespace(example('podinfo-canary-osm.yaml')[0]!));
    Object.assign(canary.spec.analysis, {
      stepWeight: 10,
      maxWeight: 10,
      threshold: 1,
      alerts: [
        { name: 'on-call', severity: 'info', providerRef: { name: 'on-call' } },
        { name: 'incidents', severity: 'error', providerRef: { name: 'incidents', namespace: NS } },
      ],
    });
    await scenario.apply([canary]);
    scenario.startStepper();
    await scenario.waitPhase('Initialized', 90_000);

    await e2e().cluster.kubectlOk(['-n', NS, 'set', 'image', 'deployment/podinfo', `podinfod=${NEW_IMAGE}`]);
    await scenario.waitPhase('Succeeded', 180_000);
    e2e().exporter.shapeOsm(NS, 'podinfo-canary', { ...HEALTHY, successRate: 0.6 });
    await e2e().cluster.kubectlOk(['-n', NS, 'set', 'image', 'deployment/podinfo', `podinfod=${OLD_IMAGE}`]);
    await scenario.waitPhase('Failed', 180_000);

    const rollback = 'Failed checks threshold reached 1';
    await eventually('the rollback alert', () => Promise.resolve(messages(chat, 'msteams').includes(rollback) && messages(chat, 'slack').includes(rollback) ? true : undefined), 30_000, 500);
    expect(chat.refused, 'no payload was refused').to.deep.equal([]);
    expect(messages(chat, 'slack')).to.deep.equal([
      'New Deployment detected, initialization completed.',
      'New revision detected, progressing canary analysis.',
      'Canary analysis completed successfully, promotion finished.',
      'New revision detected, progressing canary analysis.',
      rollback,
    ]);
    expect(messages(chat, 'msteams')).to.deep.equal([rollback]);
    const first = chat.received.find((p) => p.service === 'slack')!.body as { channel: string; attachments: { author_name: string; color: string; fields: { title: string }[] }[] };
    expect(first.channel).to.equal('deploys');
    expect(first.attachments[0]).to.include({ author_name: `podinfo.${NS}`, color: 'good' });
    expect(first.attachments[0]!.fields.map((f) => f.title)).to.deep.equal(['Target', 'Failed checks threshold', 'Progress deadline', 'Traffic routing']);
    const teams = chat.received.find((p) => p.service === 'msteams')!.body;
    expect(teams).to.include({ themeColor: 'FF0000', summary: `podinfo.${NS}` });
  });
});

// Alerts end to end: the OSM tutorial in its own namespace, with AlertProviders whose hooks are a
// local receiver that checks each chat service's payload (Slack through a Secret's address, Teams
// for errors only). A promotion and then a rollback must post Flagger's sequence, each alert once,
// from a stepper running with deploy/'s RBAC.
import { expect } from 'chai';
import { Scenario, promoteThenRollBack } from './scenario.js';
import { eventually } from '../harness/process.js';
import { ChatReceiver, type ReceivedPost } from '../harness/chat-receiver.js';

const NS = 'alerts-e2e';

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
    await promoteThenRollBack(scenario, {
      extra: [
        { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'slack-hook', namespace: NS }, stringData: { address: `${chat.url}/slack/T0/B0/e2e` } },
        { apiVersion: 'flagger.app/v1beta1', kind: 'AlertProvider', metadata: { name: 'on-call', namespace: NS }, spec: { type: 'slack', channel: 'deploys', secretRef: { name: 'slack-hook' } } },
        { apiVersion: 'flagger.app/v1beta1', kind: 'AlertProvider', metadata: { name: 'incidents', namespace: NS }, spec: { type: 'msteams', address: `${chat.url}/teams/e2e` } },
      ],
      analysis: {
        alerts: [
          { name: 'on-call', severity: 'info', providerRef: { name: 'on-call' } },
          { name: 'incidents', severity: 'error', providerRef: { name: 'incidents', namespace: NS } },
        ],
      },
    });

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

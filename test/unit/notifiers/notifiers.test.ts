// Each chat notifier against a local receiver that checks its service's documented payload rules
// (test/harness/chat-receiver.ts): what arrives, its shape and colours, and what a refusal,
// an outage, a timeout and a bad configuration turn into.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { NOTIFIERS } from '../../../src/notifiers/index.js';
import type { Notification, NotifierConfig } from '../../../src/notifiers/notifier.js';
import { ChatReceiver } from '../../harness/chat-receiver.js';

const FIELDS = [
  { name: 'Target', value: 'Deployment/podinfo.test' },
  { name: 'Traffic routing', value: 'Weight step: 5 max: 50' },
];

const note = (severity: Notification['severity'], message = 'New revision detected, progressing canary analysis.'): Notification => ({
  canary: { name: 'podinfo', namespace: 'test' },
  message,
  severity,
  fields: FIELDS,
});

const config = (address: string, extra: Partial<NotifierConfig> = {}): NotifierConfig => ({ address, channel: 'general', username: 'flagger', ...extra });

describe('notifiers: payloads as each chat service takes them', () => {
  const receiver = new ChatReceiver();
  let base = '';
  before(async () => (base = await receiver.start()));
  after(() => receiver.stop());
  beforeEach(() => receiver.received.splice(0));

  const last = () => receiver.received.at(-1)!;

  it('when slack posts an info alert, then one attachment coloured good carries the canary, message and fields', async () => {
    const result = await NOTIFIERS.slack(config(`${base}/slack/T0/B0/x`, { channel: 'deploys', username: 'davy' })).post(note('info'));
    expect(result, JSON.stringify(receiver.refused)).to.deep.equal({ ok: true });
    expect(last().body).to.deep.equal({
      channel: 'deploys',
      username: 'davy',
      icon_emoji: ':rocket:',
      attachments: [{
        color: 'good',
        author_name: 'podinfo.test',
        text: 'New revision detected, progressing canary analysis.',
        mrkdwn_in: ['text'],
        fields: [{ title: 'Target', value: 'Deployment/podinfo.test', short: false }, { title: 'Traffic routing', value: 'Weight step: 5 max: 50', short: false }],
      }],
    });
  });

  it('when slack posts an error, then the attachment is coloured danger', async () => {
    await NOTIFIERS.slack(config(`${base}/slack/T0/B0/x`)).post(note('error', 'Failed checks threshold reached 2'));
    expect((last().body.attachments as { color: string }[])[0]!.color).to.equal('danger');
  });

  it('when slack has a token (chat.postMessage), then it is sent as a Bearer token and the API accepts it', async () => {
    const result = await NOTIFIERS.slack(config(`${base}/api/chat.postMessage`, { token: 'xoxb-1' })).post(note('warn'));
    expect(result).to.deep.equal({ ok: true });
    expect(last().headers.authorization).to.equal('Bearer xoxb-1');
  });

  it('when msteams posts, then a MessageCard with the theme colour by severity, the message as title and the fields as facts arrives', async () => {
    const notifier = NOTIFIERS.msteams(config(`${base}/teams/abc`));
    expect(await notifier.post(note('info'))).to.deep.equal({ ok: true });
    expect(last().body).to.deep.equal({
      '@type': 'MessageCard',
      '@context': 'http://schema.org/extensions',
      themeColor: '0076D7',
      summary: 'podinfo.test',
      sections: [{ activityTitle: 'New revision detected, progressing canary analysis.', activitySubtitle: 'podinfo.test', facts: FIELDS }],
    });
    await notifier.post(note('error', 'x'));
    expect(last().body.themeColor).to.equal('FF0000');
  });

  it('when discord posts to a webhook without /slack, then /slack is appended and the Slack payload arrives', async () => {
    const result = await NOTIFIERS.discord(config(`${base}/api/webhooks/1/tok`)).post(note('error', 'boom'));
    expect(result, JSON.stringify(receiver.refused)).to.deep.equal({ ok: true });
    expect(last().path).to.equal('/api/webhooks/1/tok/slack');
    expect((last().body.attachments as { color: string; text: string }[])[0]).to.include({ color: 'danger', text: 'boom' });
  });

  it('when rocket posts, then the Slack payload arrives with Rocket.Chat colours', async () => {
    const notifier = NOTIFIERS.rocket(config(`${base}/rocket/hooks/abc`));
    await notifier.post(note('warn'));
    expect((last().body.attachments as { color: string }[])[0]!.color).to.equal('#0076D7');
    await notifier.post(note('error'));
    expect((last().body.attachments as { color: string }[])[0]!.color).to.equal('#FF0000');
  });

  it('when gchat posts, then one card names Flagger and the canary, with the message then one section per field', async () => {
    const result = await NOTIFIERS.gchat(config(`${base}/gchat/v1/spaces/AAA/messages?key=k&token=t`)).post(note('info'));
    expect(result, JSON.stringify(receiver.refused)).to.deep.equal({ ok: true });
    expect(last().body).to.deep.equal({
      cards: [{
        header: { title: 'Flagger', subtitle: 'podinfo.test', imageUrl: 'https://flagger.app/favicon.png' },
        sections: [
          { widgets: [{ textParagraph: { text: '<font color=#848484><strong>New revision detected, progressing canary analysis.</strong></font>' } }] },
          { widgets: [{ textParagraph: { text: 'Target<br><font color=#848484><strong>Deployment/podinfo.test</strong></font>' } }] },
          { widgets: [{ textParagraph: { text: 'Traffic routing<br><font color=#848484><strong>Weight step: 5 max: 50</strong></font>' } }] },
        ],
      }],
    });
  });

  it('when the service refuses a post, then the result is a failure quoting its answer', async () => {
    const result = await NOTIFIERS.gchat(config(`${base}/gchat/v1/spaces/AAA/messages`)).post(note('info'));
    expect(result.ok).to.equal(false);
    expect(!result.ok && result.message).to.match(/HTTP 401: .*UNAUTHENTICATED/);
  });

  it('when the service has an outage, then the result is a failure with the status', async () => {
    receiver.failNext(1);
    const result = await NOTIFIERS.slack(config(`${base}/slack/x`)).post(note('info'));
    expect(!result.ok && result.message).to.match(/HTTP 500/);
    expect(receiver.received).to.have.length(0);
  });

  it('when the channel or username is empty or the address is not a URL, then every post fails with the reason and nothing is sent', async () => {
    expect(await NOTIFIERS.slack(config(`${base}/slack/x`, { channel: '' })).post(note('info'))).to.deep.equal({ ok: false, message: 'empty Slack channel' });
    expect(await NOTIFIERS.rocket(config(`${base}/rocket/hooks/x`, { username: '' })).post(note('info'))).to.deep.equal({ ok: false, message: 'empty Rocket username' });
    const bad = await NOTIFIERS.msteams(config('teams.example')).post(note('info'));
    expect(!bad.ok && bad.message).to.equal('invalid MS Teams webhook URL "teams.example"');
    expect(receiver.received).to.have.length(0);
  });
});

describe('notifiers: a service that never answers', () => {
  let server: http.Server;
  let base = '';
  before(async () => {
    server = http.createServer(() => undefined);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  it('when the post outlives its timeout, then the result is a failure that says so', async () => {
    const result = await NOTIFIERS.msteams({ ...config(`${base}/teams/x`), timeoutMs: 200 }).post(note('info'));
    expect(!result.ok && result.message).to.match(/timed out after 200 ms/);
  });
});

// `davy step`: its flags (parsed once, with the Indexed Job's index), exit codes, and /metrics.
import { expect } from 'chai';
import { Writable } from 'node:stream';
import { runStep } from '../../../src/cli/step.js';
import { parseStepConfig, type StepConfig } from '../../../src/config/step.js';
import { silentLogger } from '../../../src/telemetry/logger.js';
import { ChatReceiver, type ReceivedPost } from '../../harness/chat-receiver.js';
import { flush, settle, world } from './world.js';

const config = (argv: string[], env: NodeJS.ProcessEnv = {}): StepConfig | string => {
  const parsed = parseStepConfig(argv, env);
  if (parsed.ok) return parsed.config;
  return parsed.help ? 'help' : parsed.error;
};

function sink(): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return { stream, text: () => chunks.join('') };
}

describe('davy step: flags', () => {
  it('when no flag is given, then one pass over every namespace with istio as the mesh provider', () => {
    expect(config([])).to.deep.equal({
      mode: { kind: 'once' }, namespaces: [], meshProvider: 'istio', logLevel: 'info', pollIntervalMs: 10_000, resyncMs: 60_000, concurrency: 16,
      allowedHosts: { text: 'cluster', any: false, cluster: true, clusterDomain: 'cluster.local', exact: [], suffixes: [] },
      alertHosts: { text: '*', any: true, cluster: false, clusterDomain: 'cluster.local', exact: [], suffixes: [], flag: '--alert-hosts' },
    });
  });

  it('when --alert-hosts or DAVY_ALERT_HOSTS is given, then it is parsed, the flag winning, and a bad entry is refused', () => {
    expect(config(['--alert-hosts', 'hooks.slack.com,*.webhook.office.com'])).to.deep.include({
      alertHosts: { text: 'hooks.slack.com,*.webhook.office.com', any: false, cluster: false, clusterDomain: 'cluster.local', exact: ['hooks.slack.com'], suffixes: ['.webhook.office.com'], flag: '--alert-hosts' },
    });
    expect(config([], { DAVY_ALERT_HOSTS: 'cluster' })).to.have.nested.property('alertHosts.cluster', true);
    expect(config(['--alert-hosts', 'discord.com'], { DAVY_ALERT_HOSTS: '*' })).to.have.nested.property('alertHosts.any', false);
    expect(config(['--alert-hosts', 'https://hooks.slack.com/'])).to.equal('--alert-hosts: "https://hooks.slack.com/" is not cluster, a host name, *.domain, an IP address or *');
  });

  it('when --allowed-hosts or DAVY_ALLOWED_HOSTS is given, then it is parsed, the flag winning, and a bad entry is refused', () => {
    expect(config(['--allowed-hosts', 'cluster,*.example.com,10.0.0.7'])).to.deep.include({
      allowedHosts: { text: 'cluster,*.example.com,10.0.0.7', any: false, cluster: true, clusterDomain: 'cluster.local', exact: ['10.0.0.7'], suffixes: ['.example.com'] },
    });
    expect(config([], { DAVY_ALLOWED_HOSTS: '*' })).to.have.nested.property('allowedHosts.any', true);
    expect(config(['--allowed-hosts', 'cluster'], { DAVY_ALLOWED_HOSTS: '*' })).to.have.nested.property('allowedHosts.any', false);
    expect(config(['--allowed-hosts', 'http://x/'])).to.equal('--allowed-hosts: "http://x/" is not cluster, a host name, *.domain, an IP address or *');
    expect(config(['--allowed-hosts', ' , '])).to.match(/^--allowed-hosts: must name at least one entry/);
  });

  it('when Flagger\'s global notifier flags or their env are given, then MS Teams wins over Slack, Slack takes its channel, user and token, and a bad URL is refused unechoed', () => {
    expect(config(['--slack-url', 'https://hooks.slack.com/services/T/B/x', '--slack-channel', 'deploys', '--slack-user', 'davy', '--slack-token', 't0k'])).to.deep.include({
      globalNotifier: { type: 'slack', address: 'https://hooks.slack.com/services/T/B/x', token: 't0k', channel: 'deploys', username: 'davy' },
    });
    expect(config([], { SLACK_URL: 'https://hooks.slack.com/services/T/B/y', SLACK_PROXY_URL: 'http://proxy:3128' })).to.deep.include({
      globalNotifier: { type: 'slack', address: 'https://hooks.slack.com/services/T/B/y', proxy: 'http://proxy:3128', channel: 'general', username: 'flagger' },
    });
    expect(config(['--slack-url', 'https://hooks.slack.com/services/T/B/x', '--msteams-url', 'https://outlook.office.com/webhook/w', '--msteams-proxy-url', 'http://proxy:3128']))
      .to.have.deep.property('globalNotifier', { type: 'msteams', address: 'https://outlook.office.com/webhook/w', proxy: 'http://proxy:3128', channel: 'general', username: 'flagger' });
    expect(config(['--slack-url', 'https://a.example/x'], { SLACK_URL: 'https://b.example/y' })).to.have.nested.property('globalNotifier.address', 'https://a.example/x');
    expect(config([])).to.not.have.property('globalNotifier');
    expect(config(['--slack-url', 'hooks.slack.com/services/T/B/secret'])).to.equal('--slack-url: not an http(s) URL');
    expect(config(['--msteams-url', 'https://outlook.office.com/webhook/w', '--msteams-proxy-url', 'socks5://p:1'])).to.equal('--msteams-proxy-url: not an http(s) URL');
  });

  it('when a mode is chosen, then --for takes a duration and modes do not combine', () => {
    expect(config(['--for', '55s'])).to.deep.include({ mode: { kind: 'for', durationMs: 55_000 } });
    expect(config(['--for', '1m30s'])).to.deep.include({ mode: { kind: 'for', durationMs: 90_000 } });
    expect(config(['--watch'])).to.deep.include({ mode: { kind: 'watch' } });
    expect(config(['--watch', '--once'])).to.equal('--once and --watch cannot be combined');
    expect(config(['--for', '0s'])).to.match(/^--for: must be a positive duration/);
    expect(config(['--for', 'soon'])).to.match(/^--for: must be a positive duration/);
  });

  it('when --resync-period is given, then it is a duration of at least 1s, or 0 for no watches', () => {
    expect(config(['--resync-period', '5m'])).to.deep.include({ resyncMs: 300_000 });
    expect(config(['--resync-period', '0'])).to.deep.include({ resyncMs: 0 });
    expect(config(['--resync-period', '500ms'])).to.match(/^--resync-period: must be 0 or a duration of at least 1s/);
    expect(config(['--resync-period', 'often'])).to.match(/^--resync-period: must be 0 or a duration of at least 1s/);
  });

  it('when --shard is I/N, then it is used as given; when it is N, then the index comes from JOB_COMPLETION_INDEX', () => {
    expect(config(['--shard', '1/3'])).to.deep.include({ shard: { index: 1, count: 3 } });
    expect(config(['--shard', '3'], { JOB_COMPLETION_INDEX: '2' })).to.deep.include({ shard: { index: 2, count: 3 } });
    expect(config(['--shard', '3'])).to.equal('--shard 3: the shard index comes from JOB_COMPLETION_INDEX, which is not set');
    expect(config(['--shard', '3/3'])).to.equal('--shard: the index 3 must be below the shard count 3');
    expect(config(['--shard', '1/0'])).to.match(/^--shard: must be I\/N/);
    expect(config(['--shard', '3'], { JOB_COMPLETION_INDEX: '5' })).to.equal('--shard: the index 5 must be below the shard count 3');
  });

  it('when namespaces, providers, levels and URLs are given, then they are checked', () => {
    expect(config(['--namespace', 'a', '--namespace', 'b,c,a'])).to.deep.include({ namespaces: ['a', 'b', 'c'] });
    expect(config(['--mesh-provider', 'osm'])).to.include({ meshProvider: 'osm' });
    expect(config(['--mesh-provider', 'nginx'])).to.include({ meshProvider: 'nginx' });
    expect(config(['--mesh-provider', 'appmesh'])).to.match(/^--mesh-provider: must be one of kubernetes, istio, osm/);
    expect(config(['--ingress-annotations-prefix', 'custom.ingress.kubernetes.io'])).to.include({ ingressAnnotationsPrefix: 'custom.ingress.kubernetes.io' });
    expect(config(['--ingress-annotations-prefix', 'Not A Prefix/'])).to.match(/^--ingress-annotations-prefix: must be a DNS subdomain/);
    expect(config(['--ingress-class', 'contour-internal'])).to.include({ ingressClass: 'contour-internal' });
    expect(config(['--ingress-class', ''])).to.match(/^--ingress-class: must be a DNS subdomain/);
    expect(config([], { DAVY_LOG_LEVEL: 'debug' })).to.include({ logLevel: 'debug' });
    expect(config(['--log-level', 'warn'], { DAVY_LOG_LEVEL: 'debug' })).to.include({ logLevel: 'warn' });
    expect(config(['--log-level', 'trace'])).to.match(/^--log-level: must be one of/);
    expect(config(['--metrics-server', 'http://prometheus.monitoring:9090'])).to.include({ metricsServer: 'http://prometheus.monitoring:9090' });
    expect(config(['--metrics-server', 'prometheus'])).to.equal('--metrics-server: not a URL: "prometheus"');
    expect(config([], { EVENT_WEBHOOK_URL: 'http://sink.events/flagger' })).to.include({ eventWebhook: 'http://sink.events/flagger' });
    expect(config(['--event-webhook', 'https://hooks.example/e'], { EVENT_WEBHOOK_URL: 'http://sink.events/flagger' })).to.include({ eventWebhook: 'https://hooks.example/e' });
    expect(config(['--event-webhook', 'sink.events'])).to.equal('--event-webhook: not an http(s) URL: "sink.events"');
    expect(config(['--cloudevents-sink', 'http://broker-ingress.knative-eventing/default/davy'])).to.include({ cloudEventsSink: 'http://broker-ingress.knative-eventing/default/davy' });
    expect(config([], { DAVY_CLOUDEVENTS_SINK: 'http://sink' })).to.include({ cloudEventsSink: 'http://sink' });
    expect(config(['--cloudevents-sink', 'sink'])).to.equal('--cloudevents-sink: not an http(s) URL: "sink"');
    // The address policy applies at start to a host it refuses outright (an in-cluster name is checked per post).
    expect(config(['--cloudevents-sink', 'https://events.example.com/in'])).to.equal(
      '--cloudevents-sink: host events.example.com is not allowed by the stepper\'s --allowed-hosts (cluster)');
    expect(config(['--cloudevents-sink', 'https://events.example.com/in', '--allowed-hosts', 'cluster,*.example.com'])).to.include({ cloudEventsSink: 'https://events.example.com/in' });
    expect(config(['--metrics-port', '70000'])).to.match(/^--metrics-port: must be an integer/);
    expect(config(['--poll-interval', '500ms'])).to.match(/^--poll-interval: must be a duration of at least 1s/);
    expect(config(['--concurrency', '0'])).to.match(/^--concurrency: must be an integer from 1 to 64/);
    expect(config(['--bogus'])).to.match(/Unknown option '--bogus'/);
    expect(config(['-h'])).to.equal('help');
  });
});

describe('davy step: the command', () => {
  it('when --help is asked, then the usage goes to stdout and the exit code is 0', async () => {
    const out = sink();
    expect(await runStep(['--help'], {}, { stdout: out.stream })).to.equal(0);
    expect(out.text()).to.include('Usage: davy step').and.include('Exit codes');
  });

  it('when a flag is wrong, then the exit code is 2 and stderr says why', async () => {
    const err = sink();
    expect(await runStep(['--shard', 'x'], {}, { stderr: err.stream })).to.equal(2);
    expect(err.text()).to.include('davy step: --shard: must be I/N or N');
  });

  it('when a pass runs, then the exit code is 0; when the Canaries cannot be listed, then it is 1', async () => {
    const w = world();
    const deps = { kube: w.kube, clock: w.clock.now, logger: silentLogger(), webhooks: w.deps.webhooks };
    expect(await runStep(['--once', '--mesh-provider', 'osm'], {}, deps)).to.equal(0);
    w.kube.failNext('list', new Error('connection refused'), 'Canary');
    expect(await runStep(['--once'], {}, deps)).to.equal(1);
  });

  it('when --slack-url is given, then a canary without alerts has its alerts posted there, to the channel given', async () => {
    const receiver = new ChatReceiver();
    await receiver.start();
    try {
      const w = world();
      const deps = { kube: w.kube, clock: w.clock.now, logger: silentLogger(), webhooks: w.deps.webhooks };
      const slack = (): ReceivedPost[] => receiver.received.filter((p) => p.service === 'slack');
      // A CronJob run after another until the canary is initialized (the simulated controllers settle between runs).
      for (let run = 0; run < 20 && slack().length === 0; run += 1) {
        settle(w);
        await flush();
        expect(await runStep(['--once', '--slack-url', `${receiver.url}/slack/T/B/x`, '--slack-channel', 'deploys'], {}, deps)).to.equal(0);
        await flush();
        w.clock.ms += 10_000;
      }
      const posts = slack().map((p) => p.body as { channel: string; attachments: { text: string }[] });
      expect(posts.map((p) => [p.channel, p.attachments[0]!.text])).to.deep.equal([['deploys', 'New Deployment detected, initialization completed.']]);
    } finally {
      await receiver.stop();
    }
  });

  it('when --metrics-port is given, then /metrics serves Flagger\'s canary metrics and the stepper\'s own while it runs', async () => {
    const w = world();
    const stop = new AbortController();
    let port = 0;
    let scraped = '';
    const code = await runStep(['--watch', '--metrics-port', '0'], {}, {
      kube: w.kube,
      clock: w.clock.now,
      logger: silentLogger(),
      webhooks: w.deps.webhooks,
      stop: stop.signal,
      onMetricsListening: (p) => {
        port = p;
      },
      onPass: () => {
        void fetch(`http://127.0.0.1:${port}/metrics`)
          .then((res) => res.text())
          .then((text) => {
            scraped = text;
            stop.abort();
          });
      },
      sleep: (_ms, signal) => new Promise((resolve) => signal?.addEventListener('abort', () => resolve(), { once: true })),
    });
    await flush();
    expect(code).to.equal(0);
    expect(scraped).to.include('flagger_canary_status{name="podinfo",namespace="test"} 1');
    expect(scraped).to.include('flagger_canary_weight{workload="podinfo-primary",namespace="test"} 100');
    expect(scraped).to.include('flagger_canary_total{namespace="test"} 1');
    expect(scraped).to.include('davy_stepper_canaries_stepped_total 1');
    expect(scraped).to.include('davy_stepper_pass_duration_seconds_count{scope="whole"} 1');
  });
});

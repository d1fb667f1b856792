// deploy/grafana/davy-dashboard.json against a real Prometheus (Debian's binary): the stepper's
// registry after a canary was promoted and then rolled back (with an alert posted to a local Slack
// receiver) and the webhook's registry after a few reviews are served to Prometheus, which scrapes
// them; then every panel's expression, with the dashboard's variables filled in, must return data.
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import type { KubeObject } from '../../../src/kube/client.js';
import { StepperMetrics } from '../../../src/telemetry/stepper-metrics.js';
import { WebhookMetrics } from '../../../src/telemetry/webhook-metrics.js';
import { ChatReceiver } from '../../harness/chat-receiver.js';
import { eventually } from '../../harness/process.js';
import { PROMETHEUS_BINARY, promQuery, skipWithoutPrometheus, startPrometheus, type PrometheusServer } from '../../harness/prometheus.js';
import { canaryOf, passUntil, phaseIs, setImage, world } from '../../unit/runner/world.js';

const DASHBOARD = path.resolve(import.meta.dirname, '../../../deploy/grafana/davy-dashboard.json');

interface Dashboard {
  panels: { title: string; targets: { expr: string }[] }[];
  templating: { list: { name: string }[] };
}

/** A panel's expression as Grafana would send it: every namespace, a rate window Prometheus accepts. */
const filled = (expr: string): string => expr.replaceAll('$namespace', '.*').replaceAll('$__rate_interval', '1m');

/** A promotion, then a rollback, with an alert to Slack: every stepper series the dashboard reads. */
async function rolledOutAndBack(metrics: StepperMetrics, chat: ChatReceiver): Promise<void> {
  const w = world();
  w.deps.metrics = metrics;
  w.kube.seed({ apiVersion: 'flagger.app/v1beta1', kind: 'AlertProvider', metadata: { name: 'chat', namespace: 'test' }, spec: { type: 'slack', address: `${chat.url}/slack/T/B/x` } });
  const canary = canaryOf(w)!;
  canary.spec.analysis!.alerts = [{ name: 'chat', severity: 'info', providerRef: { name: 'chat' } }];
  await w.kube.replace(canary as unknown as KubeObject);
  await passUntil(w, phaseIs('Initialized'), 20);
  await setImage(w, 'ghcr.io/stefanprodan/podinfo:6.0.1');
  await passUntil(w, phaseIs('Succeeded'));
  w.metric.answer = () => ({ kind: 'ok', value: 50 });
  await setImage(w, 'ghcr.io/stefanprodan/podinfo:6.0.2');
  await passUntil(w, phaseIs('Failed'));
}

describe('the Grafana dashboard against a real Prometheus', function () {
  this.timeout(120_000);
  const chat = new ChatReceiver();
  let prometheus: PrometheusServer | undefined;
  let server: http.Server | undefined;
  let dir = '';

  before(async function () {
    skipWithoutPrometheus(this);
    await chat.start();
    const stepper = new StepperMetrics({ defaultMetrics: false });
    const webhook = new WebhookMetrics({ defaultMetrics: false });
    await rolledOutAndBack(stepper, chat);
    // MemoryKube has no request hook; NodeKubeClient reports each request through this one.
    stepper.apiRequest('list', 'Canary');
    // Nor a change feed: ChangeFeed reports its watches and what they hear through these two.
    stepper.watching(3, 1);
    stepper.changeHeard('Deployment');
    webhook.observe('/validate', 'allowed', 0.004);
    webhook.observe('/mutate', 'patched', 0.012);
    server = http.createServer((_req, res) => {
      void Promise.all([stepper.registry.metrics(), webhook.registry.metrics()]).then(([a, b]) => res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(`${a}\n${b}`));
    });
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'davy-dashboard-'));
    prometheus = await startPrometheus(PROMETHEUS_BINARY, dir, [`127.0.0.1:${(server.address() as AddressInfo).port}`], 1);
    // rate() needs two scrapes of a series.
    await eventually('two scrapes', async () => (Number((await promQuery(prometheus!.url, 'count_over_time(flagger_canary_total[1m])'))[0]?.value[1] ?? 0) >= 2 ? true : undefined), 30_000, 500);
  });

  after(async () => {
    await prometheus?.stop();
    server?.close();
    await chat.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('when the dashboard is parsed, then every panel has a Prometheus expression and the namespace variable exists', () => {
    const dashboard = JSON.parse(fs.readFileSync(DASHBOARD, 'utf8')) as Dashboard;
    expect(dashboard.templating.list.map((v) => v.name)).to.include('namespace');
    expect(dashboard.panels.length).to.be.greaterThan(0);
    for (const panel of dashboard.panels) expect(panel.targets.map((t) => t.expr).filter(Boolean), panel.title).to.have.length.greaterThan(0);
  });

  it('when every panel expression runs after a promotion and a rollback, then each returns data', async () => {
    const dashboard = JSON.parse(fs.readFileSync(DASHBOARD, 'utf8')) as Dashboard;
    const empty: string[] = [];
    for (const panel of dashboard.panels) {
      for (const target of panel.targets) {
        const result = await promQuery(prometheus!.url, filled(target.expr));
        if (result.length === 0) empty.push(`${panel.title}: ${target.expr}`);
      }
    }
    expect(empty, 'panels without data').to.deep.equal([]);
  });
});

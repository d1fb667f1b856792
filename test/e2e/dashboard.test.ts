// deploy/grafana/davy-dashboard.json against the e2e's real Prometheus during a real rollout
// (issue 14: every panel's query runs and returns data). The stepper and the webhook expose their
// metrics on their --metrics-port while they run (a `davy step --watch` here, as a long-running
// stepper would; the CronJob's runs live 55 s each), so the harness has Prometheus scrape both
// (file-based discovery, test/harness/prometheus.ts); the stepper also posts CloudEvents to a local
// sink, which is what the alert-posts panel counts.
//
// The OSM tutorial is promoted once and rolled back once, so the promotion and rollback counters
// exist; then a third revision starts, and while it is rolling out (Progressing, WaitingPromotion
// or Promoting) every panel's expression, its template variables filled in as Grafana would, must
// return at least one finite value. A NaN (a quantile over a window without observations) is no
// data: Grafana draws nothing for it.
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { e2e } from './hooks.js';
import { Scenario, example } from './scenario.js';
import { CloudEventsReceiver } from '../harness/cloudevents-receiver.js';
import { freePort } from '../harness/process.js';
import { promQuery } from '../harness/prometheus.js';
import type { KubeObject } from '../../src/kube/client.js';

const NS = 'dashboard-e2e';
const IMAGES = ['ghcr.io/stefanprodan/podinfo:6.0.1', 'ghcr.io/stefanprodan/podinfo:6.0.2', 'ghcr.io/stefanprodan/podinfo:6.0.3'];
const HEALTHY = { requestsPerSecond: 20, successRate: 1, latencyMs: 40 };
const DASHBOARD = path.resolve(import.meta.dirname, '../../deploy/grafana/davy-dashboard.json');
const ROLLING_OUT = new Set(['Progressing', 'WaitingPromotion', 'Promoting']);
const STEPPER_COMPONENT = 'stepper-dashboard-e2e';

interface Dashboard {
  panels: { title: string; targets?: { expr?: string }[] }[];
  templating: { list: { name: string }[] };
}

interface Query {
  panel: string;
  expr: string;
}

/**
 * Each panel expression with the dashboard's variables filled in: `namespace` is the test's (one
 * value selected); Grafana's `$__rate_interval` is at least four scrape intervals, 1m for the usual
 * 15 s scrape (this Prometheus scrapes every second, so 1m is generous, never too short). A
 * variable this test does not know fails the test, so a new one is not left in a query unfilled.
 */
function queries(dashboard: Dashboard): Query[] {
  const values: Record<string, string> = { namespace: NS, __rate_interval: '1m' };
  for (const variable of dashboard.templating.list) {
    if (variable.name !== 'datasource') expect(values, `a value for the dashboard variable ${variable.name}`).to.have.property(variable.name);
  }
  return dashboard.panels.flatMap((panel) => (panel.targets ?? []).filter((t) => t.expr).map((t) => {
    const expr = t.expr!.replace(/\$\{(\w+)\}|\$(\w+)|\[\[(\w+)\]\]/g, (whole, a?: string, b?: string, c?: string) => values[(a ?? b ?? c)!] ?? whole);
    expect(expr, `${panel.title}: every variable filled in`).to.not.match(/\$|\[\[/);
    return { panel: panel.title, expr };
  }));
}

const finite = (value: string): boolean => Number.isFinite(Number(value));

describe('dashboard: every Grafana panel returns data from the real Prometheus during a rollout', function () {
  this.timeout(480_000);
  const sink = new CloudEventsReceiver();
  let scenario: Scenario;
  before(() => sink.start());
  after(async () => {
    await e2e().prometheus.scrape(STEPPER_COMPONENT, []);
    await scenario?.teardown();
    await sink.stop();
  });

  it('when a third revision rolls out after a promotion and a rollback, then each panel expression returns a finite value while it does', async () => {
    const dashboard = JSON.parse(fs.readFileSync(DASHBOARD, 'utf8')) as Dashboard;
    const all = queries(dashboard);
    expect(all.length, 'the dashboard has panel expressions').to.be.greaterThan(10);
    const { prometheus, exporter, cluster } = e2e();

    scenario = new Scenario(NS, 'podinfo');
    await scenario.setup();
    const webhook = await e2e().webhook();
    await scenario.apply(example('podinfo-deployment.yaml').map((o: KubeObject) => ({ ...o, metadata: { ...o.metadata, namespace: NS } })));
    exporter.shapeOsm(NS, 'podinfo-canary', HEALTHY);
    exporter.shapeOsm(NS, 'podinfo', HEALTHY);
    const source = example('podinfo-canary-osm.yaml')[0]!;
    const canary = scenario.shorten({ ...source, metadata: { ...source.metadata, namespace: NS } });
    Object.assign(canary.spec.analysis, { stepWeight: 10, maxWeight: 30, threshold: 1 });
    await scenario.apply([canary]);
    const metricsPort = await freePort();
    scenario.startStepper(['--metrics-port', String(metricsPort), '--cloudevents-sink', `${sink.url}/dashboard`]);
    await prometheus.scrape('webhook', [new URL(webhook.metricsUrl).host]);
    await prometheus.scrape(STEPPER_COMPONENT, [`127.0.0.1:${metricsPort}`]);
    await scenario.waitPhase('Initialized', 90_000);

    const setImage = (image: string) => cluster.kubectlOk(['-n', NS, 'set', 'image', 'deployment/podinfo', `podinfod=${image}`]);
    await setImage(IMAGES[0]!);
    await scenario.waitPhase('Succeeded', 180_000);
    exporter.shapeOsm(NS, 'podinfo-canary', { ...HEALTHY, successRate: 0.6 });
    await setImage(IMAGES[1]!);
    await scenario.waitPhase('Failed', 180_000);
    exporter.shapeOsm(NS, 'podinfo-canary', HEALTHY);
    await setImage(IMAGES[2]!);
    await scenario.waitPhase('Progressing', 60_000);

    // Rounds of every query while the revision rolls out, until each has had a finite value.
    const answered = new Map<string, number>();
    let weight = 0;
    const deadline = Date.now() + 120_000;
    for (;;) {
      const phaseBefore = (await scenario.canary()).status?.phase ?? '';
      const round = await Promise.all(all.map(async (q) => ({ q, result: await promQuery(prometheus.url, q.expr) })));
      const phaseAfter = (await scenario.canary()).status?.phase ?? '';
      const missing = (): string => all.map((q) => `${q.panel}: ${q.expr}`).filter((k) => !answered.has(k)).join('\n');
      if (!ROLLING_OUT.has(phaseBefore) || !ROLLING_OUT.has(phaseAfter)) {
        expect.fail(`the rollout ended (${phaseAfter}) before every panel had data; without data:\n${missing()}\n${scenario.stepperLog()}`);
      }
      for (const { q, result } of round) {
        const values = result.filter((s) => finite(s.value[1]));
        if (values.length > 0 && !answered.has(`${q.panel}: ${q.expr}`)) answered.set(`${q.panel}: ${q.expr}`, values.length);
        if (q.expr.startsWith('flagger_canary_weight')) {
          const canarySide = values.find((s) => s.metric.workload === 'podinfo');
          weight = Math.max(weight, Number(canarySide?.value[1] ?? 0));
        }
      }
      // Until every panel has had data and the rollout has moved traffic to the canary (the first step).
      if (answered.size === all.length && weight > 0) break;
      if (Date.now() > deadline) expect.fail(`after 120 s of rollout, canary weight ${weight}; without data:\n${missing()}`);
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    expect(weight, 'the weight panel shows traffic on the canary during the rollout').to.be.greaterThan(0);
    expect([...answered.keys()].sort()).to.deep.equal(all.map((q) => `${q.panel}: ${q.expr}`).sort());
  });
});

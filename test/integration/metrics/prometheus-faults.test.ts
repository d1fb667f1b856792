// Prometheus faults during analysis (issue 11), through the runner with the real Prometheus
// provider: a real Prometheus answering NaN and an empty result, nothing listening (down), a
// server slower than the metric timeout, and one answering something that is not JSON. Each is a
// failed check whose event says why, and the canary is rolled back, never promoted.
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { METRIC_PROVIDERS } from '../../../src/metrics/providers/index.js';
import { freePort } from '../../harness/process.js';
import { PROMETHEUS_BINARY, skipWithoutPrometheus, startPrometheus, type PrometheusServer } from '../../harness/prometheus.js';
import { editCanary, events, passUntil, phaseIs, setImage, world } from '../../unit/runner/world.js';


/** A local server answering every query with `answer` after `delayMs`. */
async function fakePrometheus(answer: string, delayMs = 0): Promise<{ url: string; close: () => Promise<void> }> {
  const server = http.createServer((_req, res) => {
    setTimeout(() => res.writeHead(200, { 'content-type': 'application/json' }).end(answer), delayMs);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

describe('Prometheus faults during analysis', function () {
  this.timeout(120_000);
  let prometheus: PrometheusServer | undefined;
  let dir = '';
  const servers: { close: () => Promise<void> }[] = [];

  before(async function () {
    skipWithoutPrometheus(this);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'davy-prom-faults-'));
    prometheus = await startPrometheus(PROMETHEUS_BINARY, dir, [], 1);
  });

  after(async () => {
    await Promise.all(servers.map((s) => s.close()));
    await prometheus?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  /** A blue/green release whose only metric is `query` at `address`; the events once it ended. */
  async function release(address: string, query: string): Promise<{ phase: string; events: string[] }> {
    const w = world('podinfo-canary-keda-bluegreen', 'podinfo-deployment', 'podinfo-scaledobject');
    w.deps.metricProviders = METRIC_PROVIDERS;
    w.options = { ...w.options, metricTimeoutMs: 500 };
    w.kube.seed({
      apiVersion: 'flagger.app/v1beta1', kind: 'MetricTemplate', metadata: { name: 'fault', namespace: 'test' },
      spec: { provider: { type: 'prometheus', address }, query },
    });
    await editCanary(w, (c) => {
      c.spec.analysis!.threshold = 2;
      c.spec.analysis!.metrics = [{ name: 'fault', templateRef: { name: 'fault' }, thresholdRange: { min: 1 }, interval: '1m' }];
    });
    await passUntil(w, phaseIs('Initialized'), 20);
    await setImage(w, 'ghcr.io/stefanprodan/podinfo:6.0.1');
    await passUntil(w, (x) => phaseIs('Succeeded')(x) || phaseIs('Failed')(x), 300);
    return { phase: phaseIs('Failed')(w) ? 'Failed' : 'Succeeded', events: events(w) };
  }

  const cases: [string, () => Promise<[string, string]>, RegExp][] = [
    ['down (nothing listens)', async () => [`http://127.0.0.1:${await freePort()}`, 'vector(1)'], /fault.*(ECONNREFUSED|connect|refused)/i],
    ['NaN', () => Promise.resolve([prometheus!.url, 'vector(0) / 0']), /fault.*NaN/i],
    ['an empty result', () => Promise.resolve([prometheus!.url, 'davy_no_such_series_total']), /fault.*(no values|empty|no data)/i],
    // Two series from the real Prometheus: Davy refuses to pick one (Flagger silently takes the last).
    ['answering several series', () => Promise.resolve([prometheus!.url, 'label_replace(vector(1), "side", "a", "", "") or label_replace(vector(2), "side", "b", "", "")']),
      /fault.*2 series/i],
    ['slower than the metric timeout', async () => {
      const slow = await fakePrometheus('{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[0,"5"]}]}}', 3000);
      servers.push(slow);
      return [slow.url, 'vector(5)'];
    }, /fault.*(timed out|timeout)/i],
    ['not JSON', async () => {
      const wrong = await fakePrometheus('<html>gateway</html>');
      servers.push(wrong);
      return [wrong.url, 'vector(5)'];
    }, /fault.*(JSON|<html>)/i],
  ];

  for (const [name, make, reason] of cases) {
    it(`when Prometheus is ${name}, then the check fails with the reason and the canary is rolled back, not promoted`, async () => {
      const [address, query] = await make();
      const { phase, events: messages } = await release(address, query);
      expect(phase, messages.join('\n')).to.equal('Failed');
      expect(messages.some((m) => reason.test(m)), messages.join('\n')).to.equal(true);
      expect(messages.some((m) => m.startsWith('Promotion completed')), messages.join('\n')).to.equal(false);
    });
  }
});

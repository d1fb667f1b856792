// The metric checks against a real Prometheus (Debian's binary) scraping the harness exporter every
// second: OSM traffic shaped at 90% success and 40 ms for the canary copy `podinfo-canary`, and
// different traffic for the stable `podinfo`, so a query that selected the wrong side would show.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { effectiveAnalysis } from '../../../src/api/defaults.js';
import type { Canary } from '../../../src/api/types.js';
import { evaluateMetrics, type MetricCheck, type TemplateLookup } from '../../../src/metrics/evaluate.js';
import { prometheusProvider } from '../../../src/metrics/providers/prometheus.js';
import { MetricsExporter } from '../../harness/exporter.js';
import { eventually } from '../../harness/process.js';
import { PROMETHEUS_BINARY, skipWithoutPrometheus, startPrometheus, type PrometheusServer } from '../../harness/prometheus.js';
import { canaryFixture } from '../../fixtures/metrics/index.js';


const noTemplates: TemplateLookup = { template: () => Promise.resolve(undefined), secretData: () => Promise.resolve(undefined) };

describe('metrics against a real Prometheus', function () {
  this.timeout(120_000);
  const exporter = new MetricsExporter();
  let prometheus: PrometheusServer | undefined;
  let dir = '';

  before(async function () {
    skipWithoutPrometheus(this);
    exporter.shapeOsm('test', 'podinfo-canary', { requestsPerSecond: 50, successRate: 0.9, latencyMs: 40 });
    exporter.shapeOsm('test', 'podinfo', { requestsPerSecond: 50, successRate: 1, latencyMs: 3 });
    const port = await exporter.listen();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'davy-metrics-'));
    prometheus = await startPrometheus(PROMETHEUS_BINARY, dir, [`127.0.0.1:${port}`], 1);
  });

  after(async () => {
    await prometheus?.stop();
    await exporter.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  /** The OSM tutorial canary, pointed at this Prometheus, with 10s windows so a few scrapes suffice. */
  const canary = (): Canary => {
    const c = canaryFixture('podinfo-canary-osm');
    c.spec.metricsServer = prometheus!.url;
    for (const metric of c.spec.analysis!.metrics!) metric.interval = '10s';
    return c;
  };

  it('when the canary copy serves 90% success at 40 ms, then the builtin OSM checks read ~90% and the 40 ms bucket', async () => {
    const c = canary();
    const analysis = effectiveAnalysis(c.spec, { namespace: 'test' });
    const checks = await eventually('both checks to have values', async (): Promise<MetricCheck[] | undefined> => {
      const result = await evaluateMetrics(c, analysis, { lookup: noTemplates });
      return result.every((check) => check.value !== undefined) ? result : undefined;
    }, 60_000, 500);
    const [successRate, duration] = checks;
    expect(successRate).to.deep.include({ name: 'request-success-rate', verdict: 'failed', min: 99 });
    expect(successRate!.value).to.be.closeTo(90, 1);
    expect(successRate!.message).to.match(/^success rate (89|90)\.\d\d% < 99%$/);
    // histogram_quantile interpolates inside the bucket holding every request, (30, 40] ms for
    // 40 ms: the P99 lands near its top (39.9), never in the stable side's 1-5 ms.
    expect(duration).to.deep.include({ name: 'request-duration', verdict: 'ok', max: 500 });
    expect(duration!.value).to.be.greaterThan(30).and.at.most(40);
  });

  it('when a raw counter is queried, then its several series are an error, not the last one', async () => {
    const provider = prometheusProvider({ address: prometheus!.url });
    const result = await provider.query('osm_request_total{destination_name="podinfo-canary"}');
    expect(result).to.have.property('kind', 'error');
    expect(result).to.have.property('message').that.matches(/query returned [23] series/);
  });

  it('when a workload has no series, then the answer is no data', async () => {
    const provider = prometheusProvider({ address: prometheus!.url });
    const result = await provider.query('sum(rate(osm_request_total{destination_name="nobody"}[10s]))');
    expect(result).to.have.property('kind', 'noData');
  });

  it('when the query does not parse, then Prometheus\' error is passed on', async () => {
    const result = await prometheusProvider({ address: prometheus!.url }).query('sum(rate(');
    expect(result).to.have.property('kind', 'error');
    expect(result).to.have.property('message').that.includes('bad_data');
  });

  it('when Prometheus is up, then the provider is online', async () => {
    expect(await prometheusProvider({ address: prometheus!.url }).isOnline()).to.deep.equal({ online: true });
  });
});

// Davy's Traefik MetricTemplates (deploy/metrics/traefik) evaluated by a real Prometheus (Debian's
// binary) scraping series shaped as Traefik v3 exports them: `traefik_service_requests_total` by
// `code`, `method`, `protocol`, `service`, and `traefik_service_request_duration_seconds` with
// Traefik's default buckets (0.1, 0.3, 1.2, 5 s). The canary's Gateway API backend serves 90% at
// 40 ms; the stable backend and a namesake in another namespace serve differently, so a template
// that selected the wrong service would show.
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { parse } from 'yaml';
import { effectiveAnalysis } from '../../../src/api/defaults.js';
import type { Canary, MetricTemplate } from '../../../src/api/types.js';
import { evaluateMetrics, type MetricCheck, type TemplateLookup } from '../../../src/metrics/evaluate.js';
import { eventually } from '../../harness/process.js';
import { PROMETHEUS_BINARY, skipWithoutPrometheus, startPrometheus, type PrometheusServer } from '../../harness/prometheus.js';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const BUCKETS = [0.1, 0.3, 1.2, 5];

interface Backend { service: string; rps: number; success: number; seconds: number }
const BACKENDS: Backend[] = [
  { service: 'test-podinfo-canary-http-9898@kubernetesgateway', rps: 40, success: 0.9, seconds: 0.04 },
  { service: 'test-podinfo-primary-http-9898@kubernetesgateway', rps: 40, success: 1, seconds: 2 },
  { service: 'other-podinfo-canary-http-9898@kubernetesgateway', rps: 40, success: 0.5, seconds: 2 },
];

/**
 * Traefik's exposition of the backends' traffic since `start`, counters growing at their rates.
 * Requests come in batches of ten, whole numbers of them successful, so that over any window the
 * successes are exactly `success` of the requests: a rounded count per scrape made a window of few
 * scrapes read 87.8% for 90% on a loaded machine.
 */
function exposition(start: number): string {
  const lines: string[] = [];
  const elapsed = (Date.now() - start) / 1000;
  for (const b of BACKENDS) {
    const batches = Math.floor((b.rps / 10) * elapsed);
    const n = batches * 10;
    const ok = batches * Math.round(b.success * 10);
    const labels = (code: string) => `code="${code}",method="GET",protocol="http",service="${b.service}"`;
    lines.push(`traefik_service_requests_total{${labels('200')}} ${ok}`, `traefik_service_requests_total{${labels('500')}} ${n - ok}`);
    for (const le of BUCKETS) lines.push(`traefik_service_request_duration_seconds_bucket{${labels('200')},le="${le}"} ${b.seconds <= le ? n : 0}`);
    lines.push(`traefik_service_request_duration_seconds_bucket{${labels('200')},le="+Inf"} ${n}`);
  }
  return `${lines.join('\n')}\n`;
}

const template = (file: string): MetricTemplate => {
  const t = parse(fs.readFileSync(path.join(ROOT, 'deploy/metrics/traefik', `${file}.yaml`), 'utf8')) as MetricTemplate;
  t.metadata.namespace = 'davy-system';
  return t;
};

describe('Traefik MetricTemplates against a real Prometheus', function () {
  this.timeout(120_000);
  let prometheus: PrometheusServer | undefined;
  let exporter: http.Server | undefined;
  let dir = '';

  before(async function () {
    skipWithoutPrometheus(this);
    const start = Date.now();
    exporter = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(exposition(start)));
    await new Promise<void>((resolve) => exporter!.listen(0, '127.0.0.1', resolve));
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'davy-traefik-'));
    prometheus = await startPrometheus(PROMETHEUS_BINARY, dir, [`127.0.0.1:${(exporter.address() as AddressInfo).port}`], 1);
  });

  after(async () => {
    await prometheus?.stop();
    if (exporter) await new Promise<void>((resolve) => exporter!.close(() => resolve()));
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('when the canary backend serves 90% at 40 ms, then success rate reads ~90% and the P99 lands in Traefik\'s first bucket (<= 100 ms)', async () => {
    const templates = [template('request-success-rate'), template('request-duration')];
    for (const t of templates) t.spec.provider = { ...t.spec.provider, type: 'prometheus', address: prometheus!.url };
    const lookup: TemplateLookup = {
      template: (name, namespace) => Promise.resolve(templates.find((t) => t.metadata.name === name && t.metadata.namespace === namespace)),
      secretData: () => Promise.resolve(undefined),
    };
    const canary = {
      apiVersion: 'flagger.app/v1beta1', kind: 'Canary', metadata: { name: 'podinfo', namespace: 'test' },
      spec: {
        provider: 'gatewayapi:v1',
        targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'podinfo' },
        service: { port: 9898, gatewayRefs: [{ name: 'gateway' }] },
        analysis: {
          interval: '10s', threshold: 1, stepWeight: 10,
          metrics: [
            { name: 'success-rate', templateRef: { name: 'traefik-request-success-rate', namespace: 'davy-system' }, thresholdRange: { min: 99 }, interval: '10s' },
            { name: 'latency', templateRef: { name: 'traefik-request-duration', namespace: 'davy-system' }, thresholdRange: { max: 500 }, interval: '10s' },
          ],
        },
      },
    } as unknown as Canary;
    const analysis = effectiveAnalysis(canary.spec, { namespace: 'test' });
    const checks = await eventually('both checks to have values', async (): Promise<MetricCheck[] | undefined> => {
      const result = await evaluateMetrics(canary, analysis, { lookup });
      return result.every((check) => check.value !== undefined) ? result : undefined;
    }, 60_000, 500);
    const [successRate, latency] = checks;
    expect(successRate).to.deep.include({ name: 'success-rate', verdict: 'failed', min: 99 });
    expect(successRate!.value).to.be.closeTo(90, 1.5);
    // Every canary request is in the (0, 0.1 s] bucket: histogram_quantile interpolates to 99 ms.
    // The stable and the other namespace's backends sit in (1.2, 5] s and would read above 1,000 ms.
    expect(latency).to.deep.include({ name: 'latency', verdict: 'ok', max: 500 });
    expect(latency!.value).to.be.greaterThan(0).and.at.most(100);
  });
});

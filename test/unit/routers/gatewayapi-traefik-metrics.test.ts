// Davy's Traefik MetricTemplates (deploy/metrics/traefik) as `davy validate --show-queries` renders
// them for a Gateway API canary: valid, and selecting the canary's Gateway API backend by the name
// Traefik v3 gives it (`<namespace>-<service>-canary-http-<port>@kubernetesgateway`).
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { stringify } from 'yaml';
import { runValidate, type ValidateIO } from '../../../src/cli/validate.js';
import { tutorial } from './gatewayapi-fixtures.js';

const template = (file: string): string => readFileSync(new URL(`../../../deploy/metrics/traefik/${file}.yaml`, import.meta.url), 'utf8');

/** The tutorial canary with the Traefik templates in place of its Istio ones, 30 s windows. */
function traefikCanary(): string {
  const canary = tutorial('podinfo-canary')[0] as unknown as { spec: { analysis: Record<string, unknown> } };
  canary.spec.analysis.metrics = [
    { name: 'success-rate', templateRef: { name: 'traefik-request-success-rate', namespace: 'davy-system' }, thresholdRange: { min: 99 }, interval: '30s' },
    { name: 'latency', templateRef: { name: 'traefik-request-duration', namespace: 'davy-system' }, thresholdRange: { max: 500 }, interval: '30s' },
  ];
  return stringify(canary);
}

async function showQueries(files: Record<string, string>): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: ValidateIO = {
    stdout: (t) => (out += t),
    stderr: (t) => (err += t),
    readFile: (p) => (p in files ? Promise.resolve(files[p]!) : Promise.reject(new Error(`ENOENT: ${p}`))),
    readStdin: () => Promise.resolve(''),
  };
  const args = ['--show-queries', '--mesh-provider', 'gatewayapi:v1', '-n', 'davy-system', '-o', 'json', ...Object.keys(files).flatMap((f) => ['-f', f])];
  const code = await runValidate(args, io);
  return { code, out, err };
}

describe('Traefik MetricTemplates (deploy/metrics/traefik)', () => {
  it('when shown with a Gateway API canary, then both render to PromQL over the canary\'s Traefik service, with the metric\'s window', async () => {
    const r = await showQueries({ 'canary.yaml': traefikCanary(), 'sr.yaml': template('request-success-rate'), 'd.yaml': template('request-duration') });
    expect(r.code, r.out + r.err).to.equal(0);
    const report = JSON.parse(r.out) as { documents: { errors: unknown[]; queries?: { metric: string; query: string; error?: string }[] }[] };
    expect(report.documents.flatMap((d) => d.errors)).to.deep.equal([]);
    const queries = report.documents.flatMap((d) => d.queries ?? []);
    expect(queries.map((q) => q.metric)).to.deep.equal(['success-rate', 'latency']);
    const backend = 'service=~"test-podinfo-canary-http-[0-9]+@kubernetesgateway"';
    const [rate, latency] = queries;
    expect(rate?.error).to.equal(undefined);
    expect(rate?.query).to.equal(
      `sum( rate( traefik_service_requests_total{ ${backend}, code!~"5.." }[30s] ) ) / sum( rate( traefik_service_requests_total{ ${backend} }[30s] ) ) * 100`,
    );
    expect(latency?.query).to.equal(
      `histogram_quantile(0.99, sum by (le) ( rate( traefik_service_request_duration_seconds_bucket{ ${backend} }[30s] ) ) ) * 1000`,
    );
  });

  it('when a template is shown for a canary whose service is named apart from its target, then the backend follows the Service name', async () => {
    const canary = traefikCanary().replace('port: 9898', 'port: 9898\n    name: storefront');
    const r = await showQueries({ 'canary.yaml': canary, 'sr.yaml': template('request-success-rate') });
    const report = JSON.parse(r.out) as { documents: { queries?: { metric: string; query: string }[] }[] };
    const rate = report.documents.flatMap((d) => d.queries ?? []).find((q) => q.metric === 'success-rate');
    expect(rate?.query).to.include('service=~"test-storefront-canary-http-[0-9]+@kubernetesgateway"');
  });
});

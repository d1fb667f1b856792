// `davy validate` with in-memory I/O: output lines, JSON, exit codes, stdin, --cluster.

import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { ClusterLookup, ClusterObject } from '../../../src/api/cluster-checks.js';
import { runValidate, type ValidateIO } from '../../../src/cli/validate.js';
import { examplesDir, fixturesDir } from '../api/helpers.js';

interface Run {
  code: number;
  out: string;
  err: string;
}

const istio = readFileSync(path.join(fixturesDir, 'canary-istio.yaml'), 'utf8');
const template = readFileSync(path.join(fixturesDir, 'metrictemplate.yaml'), 'utf8');

async function run(argv: string[], files: Record<string, string>, extra: Partial<ValidateIO> = {}): Promise<Run> {
  let out = '';
  let err = '';
  const io: ValidateIO = {
    stdout: (t) => (out += t),
    stderr: (t) => (err += t),
    readFile: (p) => (p in files ? Promise.resolve(files[p]!) : Promise.reject(new Error(`ENOENT: no such file or directory, open '${p}'`))),
    readStdin: () => Promise.resolve(files['-'] ?? ''),
    ...extra,
  };
  const code = await runValidate(argv, io);
  return { code, out, err };
}

const lookup = (objects: ClusterObject[]): ClusterLookup => ({
  get: (ref) => Promise.resolve(objects.find((o) => o.kind === ref.kind && o.metadata?.name === ref.name && o.metadata.namespace === ref.namespace)),
  list: (apiVersion, kind) => Promise.resolve({ items: objects.filter((o) => o.apiVersion === apiVersion && o.kind === kind) }),
});

describe('davy validate', () => {
  it('when a valid Canary is given, then it prints nothing on stdout and exits 0', async () => {
    const r = await run(['-f', 'c.yaml'], { 'c.yaml': istio });
    expect(r).to.deep.equal({ code: 0, out: '', err: '1 document(s): 1 valid, 0 invalid, 0 skipped\n' });
  });

  it('when every shared example is given at once, then all are valid or skipped and it exits 0', async () => {
    const files = ['mhs-canary-istio.yaml', 'podinfo-canary-keda-bluegreen.yaml', 'podinfo-canary-osm-404s.yaml', 'podinfo-canary-osm.yaml', 'podinfo-deployment.yaml', 'podinfo-scaledobject.yaml', 'reviews-canary-istio.yaml'];
    const contents = Object.fromEntries(files.map((f) => [f, readFileSync(path.join(examplesDir, f), 'utf8')]));
    const r = await run(files.flatMap((f) => ['-f', f]), contents);
    expect(r.code).to.equal(0);
    expect(r.err).to.equal('8 document(s): 5 valid, 0 invalid, 3 skipped\n');
    expect(r.out).to.include('podinfo-deployment.yaml[0]: Note: skipped apps/v1 Deployment test/podinfo: not a flagger.app kind\n');
    expect(r.out).to.include('podinfo-canary-osm-404s.yaml: Warning: spec.analysis.metrics[2].query: deprecated');
  });

  it('when a Canary has mistakes, then each is printed as FILE: path: message and it exits 1', async () => {
    const bad = istio.replace('stepWeight: 10', 'stepWeight: 60').replace('interval: 1m\n    threshold', 'interval: soon\n    threshold');
    const r = await run(['-f', 'bad.yaml'], { 'bad.yaml': bad });
    expect(r.code).to.equal(1);
    expect(r.out.split('\n').filter(Boolean)).to.deep.equal([
      'bad.yaml: spec.analysis.interval: Invalid value: "soon": must be a duration such as "30s", "1m" or "1m30s" (units ns, us, ms, s, m, h)',
      'bad.yaml: spec.analysis.stepWeight: Invalid value: 60: must not exceed maxWeight (50)',
    ]);
  });

  it('when a file holds several documents, then each is addressed FILE[i] and other kinds are skipped', async () => {
    const stream = `${template}---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n---\n${istio.replace('port: 9898', 'port: 0')}`;
    const r = await run(['-f', 'all.yaml'], { 'all.yaml': stream });
    expect(r.code).to.equal(1);
    expect(r.out).to.equal(
      'all.yaml[1]: Note: skipped v1 ConfigMap x: not a flagger.app kind\n' +
        'all.yaml[2]: spec.service.port: Invalid value: 0: must be between 1 and 65535, inclusive\n',
    );
  });

  it('when the YAML has a syntax error, then its line and column are named and it exits 1', async () => {
    const r = await run(['-f', 'broken.yaml'], { 'broken.yaml': 'apiVersion: flagger.app/v1beta1\nkind: Canary\nspec:\n  a: [1, 2\n' });
    expect(r.code).to.equal(1);
    expect(r.out).to.match(/^broken\.yaml: line 5, column 1: YAML syntax error: Flow sequence in block collection must be sufficiently indented and end with a \]\n$/);
  });

  it('when an alias points nowhere, then the document is invalid, not a crash', async () => {
    const r = await run(['-f', 'a.yaml'], { 'a.yaml': 'apiVersion: flagger.app/v1beta1\nkind: Canary\nspec: *nowhere\n' });
    expect(r.code).to.equal(1);
    expect(r.out).to.match(/^a\.yaml: (line \d+, column \d+: )?YAML (syntax )?error: /);
  });

  it('when a document is JSON, then it is read as JSON', async () => {
    const r = await run(['-f', 'c.json'], { 'c.json': JSON.stringify({ apiVersion: 'flagger.app/v1beta1', kind: 'AlertProvider', metadata: { name: 'a' }, spec: { type: 'slack' } }) });
    expect(r.code).to.equal(1);
    expect(r.out).to.equal('c.json: spec.address: Required value: must set one of address or secretRef\n');
  });

  it('when a kind: List is given, then its items are addressed FILE.items[j]', async () => {
    const list = { apiVersion: 'v1', kind: 'List', items: [{ apiVersion: 'flagger.app/v1beta1', kind: 'AlertProvider', metadata: { name: 'a' }, spec: { type: 'slack', address: 'x' } }] };
    const r = await run(['-f', 'l.json'], { 'l.json': JSON.stringify(list) });
    expect(r.out).to.equal('l.json.items[0]: spec.address: Invalid value: "x": must be an absolute http or https URL\n');
  });

  it('when -f - is given, then stdin is read and named <stdin>', async () => {
    const r = await run(['-f', '-'], { '-': istio.replace('provider: istio', 'provider: appmesh') });
    expect(r.code).to.equal(1);
    expect(r.out).to.match(/^<stdin>: spec\.provider: Unsupported value: "appmesh": App Mesh's v1beta1 API \(App Mesh controller v0\.x\) is not supported by Davy: use appmesh:v1beta2; supported values: /);
  });

  it('when --show-queries is given with the Canary\'s MetricTemplate, then each metric prints as the stepper will send it, the template rendered and rewritten', async () => {
    const r = await run(['--show-queries', '-f', 'c.yaml', '-f', 't.yaml'], { 'c.yaml': istio, 't.yaml': template });
    expect(r.code).to.equal(0);
    const lines = r.out.split('\n').filter((l) => l.startsWith('c.yaml: Query: '));
    expect(lines.map((l) => l.split(': ')[2])).to.deep.equal(['request-success-rate', 'request-duration', 'error-rate']);
    expect(lines[0]).to.include('destination_workload_namespace="test", destination_workload=~"podinfo-canary"').and.include('[1m]');
    expect(lines[1]).to.include('istio_request_duration_milliseconds_bucket').and.include('[30s]');
    // {{ target }} names the workload under test; {{ namespace }} the canary's; variables and interval filled in.
    expect(lines[2]).to.include('destination_workload_namespace="test"').and.include('destination_workload="podinfo-canary"')
      .and.include('direction="inbound"').and.include('[1m]').and.not.include('{{');
  });

  it('when --show-queries is given without a MetricTemplate the Canary names, then that metric says where to find it, and the Canary stays valid', async () => {
    const r = await run(['--show-queries', '-f', 'c.yaml', '-o', 'json'], { 'c.yaml': istio });
    expect(r.code).to.equal(0);
    const report = JSON.parse(r.out) as { documents: { queries: { metric: string; query: string; error?: string }[] }[] };
    const queries = report.documents[0]!.queries;
    expect(queries.map((q) => q.metric)).to.deep.equal(['request-success-rate', 'request-duration', 'error-rate']);
    expect(queries[2]).to.deep.equal({
      metric: 'error-rate', query: '',
      error: 'Metric template error-rate.istio-system error: not among the files given (add it with -f, or use --cluster)',
    });
  });

  it('when --show-queries and --cluster are given, then a MetricTemplate is read from the cluster', async () => {
    const fromCluster = parseYaml(template) as ClusterObject;
    const objects: ClusterObject[] = [
      fromCluster,
      { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'podinfo', namespace: 'test' } },
      { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: 'podinfo', namespace: 'test' } },
      { apiVersion: 'flagger.app/v1beta1', kind: 'AlertProvider', metadata: { name: 'on-call', namespace: 'flagger' } },
    ];
    const r = await run(['--show-queries', '--cluster', '-f', 'c.yaml'], { 'c.yaml': istio }, { clusterLookup: () => lookup(objects) });
    expect(r.err).to.equal('1 document(s): 1 valid, 0 invalid, 0 skipped\n');
    expect(r.out).to.match(/^c\.yaml: Query: error-rate: 100 - sum\(.*destination_workload="podinfo-canary"/m);
  });

  it('when --output json is asked, then stdout is one JSON report with paths and messages', async () => {
    const r = await run(['-f', 'c.yaml', '--output', 'json'], { 'c.yaml': istio.replace('threshold: 5', 'threshold: 0') });
    expect(r.code).to.equal(1);
    expect(r.err).to.equal('');
    const report = JSON.parse(r.out) as { valid: boolean; documents: { status: string; kind: string; name: string; errors: { path: string; message: string }[] }[] };
    expect(report.valid).to.equal(false);
    expect(report.documents[0]).to.deep.include({ status: 'invalid', kind: 'Canary', name: 'podinfo' });
    expect(report.documents[0]!.errors.map((e) => [e.path, e.message])).to.deep.equal([['spec.analysis.threshold', 'spec.analysis.threshold: Invalid value: 0: must be at least 1']]);
  });

  it('when a warning is found, then it is printed as FILE: Warning: ... and the exit is still 0', async () => {
    const r = await run(['-f', 'w.yaml'], { 'w.yaml': istio.replace('progressDeadlineSeconds: 60', 'revertOnDeletion: true') });
    expect(r.code).to.equal(0);
    expect(r.out).to.equal('w.yaml: Warning: spec.revertOnDeletion: accepted for compatibility: Davy always removes its objects and releases its hold when a Canary is deleted\n');
  });

  it('when a file cannot be read, then it says so on stderr and exits 2, still checking the others', async () => {
    const r = await run(['-f', 'missing.yaml', '-f', 'c.yaml'], { 'c.yaml': istio });
    expect(r.code).to.equal(2);
    expect(r.err).to.include("davy validate: missing.yaml: cannot read: ENOENT: no such file or directory, open 'missing.yaml'\n");
    expect(r.err).to.include('1 document(s): 1 valid');
  });

  for (const [argv, message] of [
    [[], 'at least one -f FILE (or -f - for stdin) is required'],
    [['-f'], '-f needs a file name or -'],
    [['-f', 'x', '--output', 'yaml'], '--output must be text or json'],
    [['-f', 'x', '--bogus'], 'unknown argument "--bogus"'],
    [['-f', 'x', '--mesh-provider=envoy'], '--mesh-provider: unknown provider "envoy"'],
  ] as const) {
    it(`when the arguments are ${JSON.stringify(argv)}, then it is a usage error (exit 2)`, async () => {
      const r = await run([...argv], {});
      expect(r.code).to.equal(2);
      expect(r.err).to.satisfy((e: string) => e.startsWith(`davy validate: ${message}\n`));
    });
  }

  it('when --help is given, then the usage is printed and it exits 0', async () => {
    const r = await run(['--help'], {});
    expect(r.code).to.equal(0);
    expect(r.out).to.include('Usage: davy validate');
  });

  it('when --mesh-provider=linkerd is given, then a Canary without provider is checked for linkerd', async () => {
    const r = await run(['--filename=c.yaml', '--mesh-provider=linkerd'], { 'c.yaml': istio.replace('  provider: istio\n', '') });
    expect(r.out).to.include('c.yaml: Warning: spec.service.gateways: ignored by provider linkerd');
  });

  describe('--cluster', () => {
    it('when no cluster access is wired, then --cluster is a usage error', async () => {
      const r = await run(['-f', 'c.yaml', '--cluster'], { 'c.yaml': istio });
      expect(r.code).to.equal(2);
    });

    it('when the references are missing, then each is reported and it exits 1', async () => {
      const r = await run(['-f', 'c.yaml', '--cluster'], { 'c.yaml': istio }, { clusterLookup: () => lookup([]) });
      expect(r.code).to.equal(1);
      expect(r.out).to.include('c.yaml: spec.targetRef.name: Not found: "podinfo": no Deployment of that name in namespace test\n');
    });

    it('when the other documents given hold the references, then they count as existing', async () => {
      const ns = 'test';
      const objects = [
        ['apps/v1', 'Deployment', 'podinfo', ns],
        ['autoscaling/v2', 'HorizontalPodAutoscaler', 'podinfo', ns],
        ['flagger.app/v1beta1', 'AlertProvider', 'on-call', 'flagger'],
      ].map(([apiVersion, kind, name, namespace]) => `apiVersion: ${apiVersion}\nkind: ${kind}\nmetadata:\n  name: ${name}\n  namespace: ${namespace}\n`);
      const alert = 'apiVersion: flagger.app/v1beta1\nkind: AlertProvider\nmetadata:\n  name: on-call\n  namespace: flagger\nspec:\n  type: slack\n  address: https://hooks.slack.com/x\n';
      const stream = [istio, template, objects[0], objects[1], alert].join('---\n');
      const r = await run(['-f', 'all.yaml', '--cluster'], { 'all.yaml': stream }, { clusterLookup: () => lookup([]) });
      expect(r.out.split('\n').filter((l) => l && !l.includes(': Note: skipped '))).to.deep.equal([]);
      expect(r.code).to.equal(0);
    });

    it('when the cluster cannot be asked, then it exits 2', async () => {
      const failing: ClusterLookup = { get: () => Promise.reject(new Error('connect ECONNREFUSED')), list: () => Promise.reject(new Error('connect ECONNREFUSED')) };
      const r = await run(['-f', 'c.yaml', '--cluster'], { 'c.yaml': istio }, { clusterLookup: () => failing });
      expect(r.code).to.equal(2);
      expect(r.err).to.include('davy validate: cluster checks failed: connect ECONNREFUSED\n');
    });
  });
});

// The demo's scenario (`make demo`, and headless in the e2e suite): podinfo and its Canary on the
// local control plane, a release that succeeds, then a faulty one that rolls back. On kwok, the
// OSM tutorial with metrics shaped by the test exporter; on the real node, Flagger's Gateway API
// tutorial on real requests through Traefik, the faulty release podinfo's own random errors.
// Every value shown comes from the running system: kubectl, `davy status --watch`, the Events.
import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { parseAllDocuments } from 'yaml';
import fs from 'node:fs';
import type { Environment } from './environment.js';
import { davyCli, eventually, type Managed } from './process.js';
import { HookReceiver, startStepper, stepperKubeconfig } from './stepper.js';
import { startGateway, startLoad, type Gateway } from './gateway.js';
import type { KubeObject } from '../../src/kube/client.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const EXAMPLES = path.resolve(ROOT, '../shared/examples');
const NS = 'test';

export interface DemoOptions {
  out: NodeJS.WritableStream;
  /** No live redraw: `davy status --watch` writes a frame per change (CI, tests). */
  headless: boolean;
  intervalSeconds?: number;
  /**
   * podinfo's pods run for real on the real node (hack/real-node.sh), from the images
   * hack/node-images.sh builds; otherwise on kwok, with the tutorial's image names.
   */
  realNode?: boolean;
}

/** The tutorial's images on kwok; on the real node, the locally built ones. */
const RELEASES = {
  kwok: { stable: 'ghcr.io/stefanprodan/podinfo:6.0.0', good: 'ghcr.io/stefanprodan/podinfo:6.0.1', faulty: 'ghcr.io/stefanprodan/podinfo:6.0.2' },
  real: { stable: 'localhost/podinfo:6.9.2', good: 'localhost/podinfo:6.9.3', faulty: 'localhost/podinfo:6.9.4' },
};

const REAL_NODE_PLACEMENT = {
  nodeSelector: { 'davy.dev/real-node': 'true' },
  tolerations: [{ key: 'davy.dev/real-node', operator: 'Exists', effect: 'NoSchedule' }],
};

/** podinfo-deployment.yaml, unchanged on kwok; on the real node with the local image, placed there. */
function podinfoManifests(realNode: boolean): KubeObject[] {
  const objects = docs('podinfo-deployment.yaml');
  if (!realNode) return objects;
  const deployment = objects.find((o) => o.kind === 'Deployment') as KubeObject & { spec: { template: { spec: Record<string, unknown> & { containers: { image: string }[] } } } };
  Object.assign(deployment.spec.template.spec, REAL_NODE_PLACEMENT);
  deployment.spec.template.spec.containers[0]!.image = RELEASES.real.stable;
  return objects;
}

export interface DemoResult {
  phases: string[];
  events: string[][];
  podImagesAfterRollback: string[];
}

type Phased = KubeObject & { status?: { phase?: string } };

const docs = (file: string): KubeObject[] =>
  parseAllDocuments(fs.readFileSync(path.join(EXAMPLES, file), 'utf8')).map((d) => d.toJS() as KubeObject);

export async function runDemo(env: Environment, options: DemoOptions): Promise<{ result: DemoResult; stop: () => Promise<void> }> {
  const say = (text: string) => options.out.write(`\n\x1b[1m▶ ${text}\x1b[0m\n`);
  const show = (text: string) => options.out.write(text.endsWith('\n') ? text : `${text}\n`);
  const kubectl = async (...args: string[]) => {
    show(`$ kubectl ${args.join(' ')}`);
    show(await env.cluster.kubectlOk(args));
  };
  const receiver = new HookReceiver();
  const steppers: Managed[] = [];
  const stops: (() => Promise<void>)[] = [];
  const stop = async () => {
    await Promise.all(steppers.map((s) => s.stop()));
    await Promise.all(stops.map((s) => s()));
    await receiver.close();
  };
  const result: DemoResult = { phases: [], events: [], podImagesAfterRollback: [] };
  try {

    say('Davy on a local control plane: webhook (admission over TLS), CRDs, the stepper\'s RBAC');
    const webhook = await env.webhook();
    show(`webhook ${webhook.url} registered with the apiserver; Prometheus ${env.prometheus.url}`);
    if (!(await env.cluster.kube.get({ apiVersion: 'v1', kind: 'Namespace', name: NS }))) await env.cluster.createNamespace(NS);

    const releases = options.realNode ? RELEASES.real : RELEASES.kwok;
    say(options.realNode
      ? 'podinfo from the tutorials (Deployment + HPA), its pods real containers on the real node'
      : 'podinfo from the OSM tutorial (Deployment + HPA)');
    await env.cluster.kubectlOk(['apply', '-f', '-'], podinfoManifests(options.realNode ?? false).map((o) => JSON.stringify(o)).join('\n'));
    await eventually('podinfo to be available', async () => {
      const d = await env.cluster.kube.get<KubeObject & { status?: { availableReplicas?: number } }>({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: NS, name: 'podinfo' });
      return (d?.status?.availableReplicas ?? 0) >= 2 ? true : undefined;
    }, 90_000);
    await kubectl('-n', NS, 'get', 'deployment,pods', '-o', 'wide');

    const traffic = options.realNode ? await realTraffic(env, show) : shapedTraffic(env, show);
    stops.push(() => traffic.stop());
    say(traffic.canaryTitle);
    const hooks = await receiver.listen();
    const canary = traffic.canary();
    const interval = `${options.intervalSeconds ?? 10}s`;
    canary.spec.analysis.interval = interval;
    for (const m of canary.spec.analysis.metrics) m.interval = traffic.metricInterval ?? interval;
    for (const w of canary.spec.analysis.webhooks) w.url = `${hooks}/${String(w.name)}`;
    await env.cluster.kubectlOk(['apply', '-f', '-'], JSON.stringify(canary));

    const kubeconfig = await stepperKubeconfig(env.cluster, path.join(env.stateDir, 'demo-stepper.kubeconfig'), [NS]);
    steppers.push(startStepper({ kubeconfig, metricsServer: traffic.metricsServer, extraArgs: traffic.stepperArgs, namespaces: [NS], logFile: path.join(env.stateDir, 'demo-stepper.log') }));
    show('davy step --watch started as the davy-stepper ServiceAccount');
    await waitPhase(env, 'Initialized', 120_000);
    await kubectl('-n', NS, 'get', 'canaries');

    for (const release of [
      { title: `a good release: kubectl set image ${releases.good}`, image: releases.good, faulty: false, phase: 'Succeeded' },
      { title: `a faulty release: ${releases.faulty}, ${traffic.faultyHow}`, image: releases.faulty, faulty: true, phase: 'Failed' },
    ]) {
      say(release.title);
      const since = new Date().toISOString();
      await traffic.release(release.faulty);
      await kubectl('-n', NS, 'set', 'image', 'deployment/podinfo', `podinfod=${release.image}`);
      if (release.faulty && traffic.faultyPatch) {
      await kubectl('-n', NS, 'patch', 'deployment', 'podinfo', '--type=json', '-p', JSON.stringify(traffic.faultyPatch));
    }
      await kubectl('-n', NS, 'get', 'deployment', 'podinfo', '-o', 'custom-columns=IMAGE:.spec.template.spec.containers[0].image,PAUSED:.spec.paused,PENDING:.metadata.annotations.davy\\.dev/pending-revision');
      show('The Deployment shows the new image; its rollout is held and its pods keep serving the stable one.');
      const watch = davyStatusWatch(env, options, traffic.stepperArgs ?? []);
      try {
        await waitPhase(env, release.phase, 420_000);
        await new Promise((r) => setTimeout(r, 2500)); // one last frame
      } finally {
        watch.kill('SIGINT');
      }
      result.phases.push(release.phase);
      traffic.report();
      say(`events (kubectl get events, as the tutorial prints them)`);
      // The phase is written before the step's Events: wait for the release's last one.
      const last = release.phase === 'Succeeded' ? 'Promotion completed! Scaling down podinfo.test' : 'Canary failed! Scaling down podinfo.test';
      const events = await eventually(`the event "${last}"`, async () => {
        const found = await canaryEvents(env, since);
        return found.includes(last) ? found : undefined;
      }, 30_000, 500);
      result.events.push(events);
      show(events.map((e) => `  ${e}`).join('\n'));
    }
    await kubectl('-n', NS, 'get', 'pods', '-l', 'app=podinfo', '-o', 'custom-columns=POD:.metadata.name,IMAGE:.spec.containers[0].image');
    const pods = await env.cluster.kube.list<KubeObject & { spec: { containers: { image: string }[] } }>('v1', 'Pod', NS, { labelSelector: 'app=podinfo' });
    result.podImagesAfterRollback = pods.items.filter((p) => !p.metadata.deletionTimestamp).map((p) => p.spec.containers[0]!.image);
    show(`The rollback never touched the user's pods: they still run ${releases.good}, and the hold on ${releases.faulty} stays until a new revision, a revert or \`davy retry\`.`);
    return { result, stop };
  } catch (error) {
    // Nothing the demo started may outlive it: the stepper, the receiver, Prometheus, the load.
    await stop();
    throw error;
  }
}

type CanaryManifest = KubeObject & { spec: { analysis: Record<string, unknown> & { metrics: Record<string, unknown>[]; webhooks: Record<string, unknown>[] } } };

/** Where the demo's requests come from and who measures them. */
interface Traffic {
  canaryTitle: string;
  canary(): CanaryManifest;
  /** The metrics' own interval when it must differ from the analysis interval. */
  metricInterval?: string;
  metricsServer: string;
  /** The stepper's flags beyond the usual, as the tutorial's install sets them for Flagger. */
  stepperArgs?: string[];
  faultyHow: string;
  /** A JSON patch that makes the faulty release faulty, when the release itself is to be. */
  faultyPatch?: unknown[];
  release(faulty: boolean): Promise<void>;
  /** Prints what the traffic saw during the release just finished. */
  report(): void;
  stop(): Promise<void>;
}

/** On kwok no request is ever served: the OSM tutorial's metrics come from the test exporter. */
function shapedTraffic(env: Environment, show: (text: string) => void): Traffic {
  const shape = (successRate: number) => env.exporter.shapeOsm(NS, 'podinfo-canary', { requestsPerSecond: 20, successRate, latencyMs: 40 });
  return {
    canaryTitle: 'the OSM Canary from shared/examples, interval shortened, webhooks to a local receiver',
    canary: () => docs('podinfo-canary-osm.yaml')[0] as CanaryManifest,
    metricsServer: env.prometheus.url,
    faultyHow: 'with 40% errors shaped in the exporter',
    release: (faulty) => {
      shape(faulty ? 0.6 : 1);
      show(`podinfo-canary traffic shaped in the exporter Prometheus scrapes: ${faulty ? '60' : '100'}% success, 40 ms`);
      return Promise.resolve();
    },
    report: () => undefined,
    stop: () => Promise.resolve(),
  };
}

const DEMO_HOST = 'www.example.com';

/**
 * On the real node, real requests: Traefik splits them between podinfo's pods as Davy's
 * HTTPRoute says, the demo sends 20 a second through the gateway, Prometheus scrapes Traefik, and
 * Davy's shipped Traefik templates judge the canary.
 */
async function realTraffic(env: Environment, show: (text: string) => void): Promise<Traffic> {
  const gateway = await startGateway(env.cluster, path.join(env.stateDir, 'gateway'));
  try {
    return await gatewayTraffic(env, gateway, show);
  } catch (error) {
    await gateway.stop();
    throw error;
  }
}

async function gatewayTraffic(env: Environment, gateway: Gateway, show: (text: string) => void): Promise<Traffic> {
  show(`Traefik on the real node serves Gateway traefik/gateway (${gateway.address}); Prometheus ${gateway.prometheus.url} scrapes it every second`);
  // The shipped templates, pointed at this Prometheus as README says a user does: a kustomize patch.
  const overlay = path.join(env.stateDir, 'traefik-templates');
  fs.mkdirSync(overlay, { recursive: true });
  fs.writeFileSync(path.join(overlay, 'kustomization.yaml'), [
    'apiVersion: kustomize.config.k8s.io/v1beta1', 'kind: Kustomization', `resources: [${path.relative(overlay, path.join(ROOT, 'deploy/metrics/traefik'))}]`,
    'patches:', '  - target: {kind: MetricTemplate}',
    `    patch: '[{"op": "replace", "path": "/spec/provider/address", "value": "${gateway.prometheus.url}"}]'`, '',
  ].join('\n'));
  await env.cluster.kubectlOk(['apply', '-k', overlay]);
  const load = startLoad(gateway, { host: DEMO_HOST }, 20);
  show(`20 requests a second to http://${DEMO_HOST}/version through the gateway, from now on`);
  return {
    canaryTitle: "Flagger's Gateway API tutorial Canary on Traefik: 10s steps, Davy's Traefik templates, webhooks to a local receiver",
    canary: () => {
      const canary = parseAllDocuments(fs.readFileSync(path.join(ROOT, 'test/fixtures/tutorials/gatewayapi/podinfo-canary.yaml'), 'utf8'))[0]!.toJS() as CanaryManifest;
      (canary.spec as Record<string, unknown>).service = { port: 9898, targetPort: 9898, hosts: [DEMO_HOST], gatewayRefs: [{ name: 'gateway', namespace: 'traefik' }] };
      Object.assign(canary.spec.analysis, { stepWeight: 25, threshold: 2 });
      canary.spec.analysis.metrics = [
        { name: 'success-rate', templateRef: { name: 'traefik-request-success-rate', namespace: 'davy-system' }, thresholdRange: { min: 99 } },
        // Traefik's coarse buckets put a healthy P99 up to 1,200 ms on a loaded machine (docs/routers/gatewayapi.md).
        { name: 'latency', templateRef: { name: 'traefik-request-duration', namespace: 'davy-system' }, thresholdRange: { max: 2000 } },
      ];
      return canary;
    },
    metricInterval: '30s',
    metricsServer: gateway.prometheus.url,
    // The tutorial's Canary names no provider: Flagger is installed with -mesh-provider=gatewayapi:v1.
    stepperArgs: ['--mesh-provider', 'gatewayapi:v1'],
    faultyHow: "with podinfo's --random-error on: a third of its answers are errors, a ninth 500s",
    // The tutorial's Deployment runs podinfo with --random-error=false (command index 7); a flag
    // beats podinfo's environment, so the faulty release flips the flag itself.
    faultyPatch: [
      { op: 'test', path: '/spec/template/spec/containers/0/command/7', value: '--random-error=false' },
      { op: 'replace', path: '/spec/template/spec/containers/0/command/7', value: '--random-error=true' },
    ],
    release: () => { load.take(); return Promise.resolve(); },
    report: () => {
      const seen = [...load.take()].sort(([a], [b]) => a.localeCompare(b));
      show(`requests through the gateway during this release: ${seen.map(([version, n]) => `${n} answered by ${version}`).join(', ')}`);
    },
    stop: async () => { load.stop(); await gateway.stop(); },
  };
}

/** `davy status --watch`, told the stepper's --mesh-provider if it has one. */
function davyStatusWatch(env: Environment, options: DemoOptions, stepperArgs: string[]): ChildProcess {
  const mesh = stepperArgs.includes('--mesh-provider') ? ['--mesh-provider', stepperArgs[stepperArgs.indexOf('--mesh-provider') + 1]!] : [];
  return spawn(process.execPath, [...davyCli(), 'status', 'podinfo', '-n', NS, '--watch', '--kubeconfig', env.cluster.kubeconfig, ...mesh], {
    stdio: ['ignore', options.headless ? 'pipe' : 'inherit', 'inherit'],
    env: { ...process.env, ...(options.headless ? { NO_COLOR: '1' } : {}) },
  }).on('spawn', function (this: ChildProcess) {
    this.stdout?.pipe(options.out, { end: false });
  });
}

async function waitPhase(env: Environment, phase: string, timeoutMs: number): Promise<void> {
  await eventually(`podinfo to reach ${phase}`, async () => {
    const c = await env.cluster.kube.get<Phased>({ apiVersion: 'flagger.app/v1beta1', kind: 'Canary', namespace: NS, name: 'podinfo' });
    return c?.status?.phase === phase ? true : undefined;
  }, timeoutMs, 500);
}

async function canaryEvents(env: Environment, since: string): Promise<string[]> {
  const list = await env.cluster.kube.list<KubeObject & { message: string; involvedObject: { kind: string; name: string }; firstTimestamp?: string; eventTime?: string }>('v1', 'Event', NS);
  return list.items
    .filter((e) => e.involvedObject.kind === 'Canary' && (e.metadata.creationTimestamp ?? '') >= since.slice(0, 19))
    // Whole-second timestamps tie within a step; etcd's resourceVersions give the creation order.
    .sort((a, b) => (a.metadata.creationTimestamp ?? '').localeCompare(b.metadata.creationTimestamp ?? '') || Number(a.metadata.resourceVersion) - Number(b.metadata.resourceVersion))
    .map((e) => e.message);
}

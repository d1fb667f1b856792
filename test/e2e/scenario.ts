// A stepper scenario on the local control plane: a tutorial's manifests applied with their names
// intact (intervals shortened, webhooks pointed at a local receiver), the stepper running as a
// host process with deploy/'s identity, and helpers to watch what happens.
import fs from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { e2e } from './hooks.js';
import { eventually } from '../harness/process.js';
import { HookReceiver, startStepper, stepperKubeconfig } from '../harness/stepper.js';
import type { Managed } from '../harness/process.js';
import type { KubeObject } from '../../src/kube/client.js';
import type { Canary } from '../../src/api/types.js';
import { simulate } from '../../src/simulate/index.js';
import type { StepOptions } from '../../src/stepper/index.js';

export const EXAMPLES = path.resolve(import.meta.dirname, '../../../shared/examples');

export interface CanaryObject extends KubeObject {
  spec: Record<string, unknown> & { analysis: Record<string, unknown> & { metrics?: Record<string, unknown>[]; webhooks?: Record<string, unknown>[] } };
  status?: {
    phase?: string; canaryWeight?: number; failedChecks?: number; iterations?: number;
    sessionAffinityCookie?: string; previousSessionAffinityCookie?: string;
  };
}

export interface PodSummary {
  uid: string;
  image: string;
  replicaSet: string;
}

/** Reads an example's documents, as plain objects. */
export function example(file: string): KubeObject[] {
  return parseAllDocuments(fs.readFileSync(path.join(EXAMPLES, file), 'utf8')).map((d) => d.toJS() as KubeObject).filter(Boolean);
}

export class Scenario {
  readonly receiver = new HookReceiver();
  private steppers: Managed[] = [];
  private receiverUrl = '';
  private stepperConfig = '';

  constructor(readonly namespace: string, readonly name: string) {}

  async setup(): Promise<void> {
    const { cluster, stateDir } = e2e();
    await e2e().webhook();
    if (!(await cluster.kube.get({ apiVersion: 'v1', kind: 'Namespace', name: this.namespace }))) await cluster.createNamespace(this.namespace);
    this.receiverUrl = await this.receiver.listen();
    this.stepperConfig = await stepperKubeconfig(cluster, path.join(stateDir, `stepper-${this.namespace}.kubeconfig`), [this.namespace]);
  }

  /** A Canary from an example, with a shorter interval and its webhooks sent to the receiver. */
  shorten(canary: KubeObject, intervalSeconds = 10): CanaryObject {
    const c = structuredClone(canary) as CanaryObject;
    c.spec.analysis.interval = `${intervalSeconds}s`;
    for (const m of c.spec.analysis.metrics ?? []) m.interval = `${intervalSeconds}s`;
    for (const w of c.spec.analysis.webhooks ?? []) w.url = `${this.receiverUrl}/${String(w.name)}`;
    return c;
  }

  async apply(objects: KubeObject[]): Promise<void> {
    await e2e().cluster.kubectlOk(['apply', '-f', '-'], objects.map((o) => JSON.stringify(o)).join('\n'));
  }

  /** Starts a `davy step --watch` process; several may run at once. */
  startStepper(extraArgs: string[] = []): void {
    const { prometheus, stateDir } = e2e();
    this.steppers.push(startStepper({
      kubeconfig: this.stepperConfig, metricsServer: prometheus.url, namespaces: [this.namespace], extraArgs,
      logFile: path.join(stateDir, `stepper-${this.namespace}-${this.name}-${this.steppers.length}.log`),
    }));
  }

  async stopStepper(): Promise<void> {
    await Promise.all(this.steppers.map((s) => s.stop()));
    this.steppers = [];
  }

  /** The stepper's kubeconfig (its ServiceAccount's token), for `davy step` runs of a test's own. */
  get kubeconfig(): string {
    return this.stepperConfig;
  }

  stepperLog(): string {
    return this.steppers.map((s) => s.tail(60)).join('\n---\n');
  }

  async canary(): Promise<CanaryObject> {
    const c = await e2e().cluster.kube.get<CanaryObject>({ apiVersion: 'flagger.app/v1beta1', kind: 'Canary', namespace: this.namespace, name: this.name });
    if (!c) throw new Error(`Canary ${this.namespace}/${this.name} is gone`);
    return c;
  }

  async waitPhase(phase: string, timeoutMs: number): Promise<CanaryObject> {
    return eventually(`Canary ${this.name} to reach ${phase}`, async () => {
      const c = await this.canary();
      return c.status?.phase === phase ? c : undefined;
    }, timeoutMs, 500).catch((error: Error) => {
      throw new Error(`${error.message}\nstepper log:\n${this.stepperLog()}`, { cause: error });
    });
  }

  /** The Canary's event messages, oldest first. */
  async events(): Promise<string[]> {
    const list = await e2e().cluster.kube.list<KubeObject & { message: string; involvedObject: { kind: string; name: string }; firstTimestamp?: string; eventTime?: string; lastTimestamp?: string }>('v1', 'Event', this.namespace);
    return list.items
      .filter((e) => e.involvedObject.kind === 'Canary' && e.involvedObject.name === this.name)
      .sort(creationOrder)
      .map((e) => e.message);
  }

  /**
   * The Canary's events once `last` is among them: the stepper writes its state (and so the phase)
   * before it records the step's Events, so a test that saw the phase may be a moment early.
   */
  async eventsUntil(last: string): Promise<string[]> {
    return eventually(`the event "${last}"`, async () => {
      const events = await this.events();
      return events.includes(last) ? events : undefined;
    }, 30_000, 500);
  }

  async pods(selector: string): Promise<PodSummary[]> {
    const list = await e2e().cluster.kube.list<KubeObject & { spec: { containers: { image: string }[] } }>('v1', 'Pod', this.namespace, { labelSelector: selector });
    return list.items.filter((p) => !p.metadata.deletionTimestamp)
      .map((p) => ({ uid: p.metadata.uid!, image: p.spec.containers[0]!.image, replicaSet: p.metadata.ownerReferences?.[0]?.name ?? '' }))
      .sort((a, b) => a.uid.localeCompare(b.uid));
  }

  async teardown(): Promise<void> {
    await this.stopStepper();
    await this.receiver.close();
    const { cluster } = e2e();
    // The Canary's finalizer needs a stepper: drop it so the namespace can go.
    await cluster.kubectl(['-n', this.namespace, 'patch', 'canary', this.name, '--type=merge', '-p', '{"metadata":{"finalizers":null}}']);
    await cluster.deleteNamespace(this.namespace, { untilGone: true });
  }
}

/**
 * The story the alert and CloudEvents e2e tell on the OSM tutorial, in `scenario`'s namespace: the
 * Deployment and `extra` objects, the Canary (one 10% step, threshold 1, `analysis` merged in), a
 * stepper with `stepperArgs`; then podinfo 6.0.1 is promoted, and 6.0.0 after it fails on a 60%
 * success rate and is rolled back.
 */
export async function promoteThenRollBack(
  scenario: Scenario, options: { extra?: KubeObject[]; analysis?: Record<string, unknown>; stepperArgs?: string[] } = {},
): Promise<void> {
  const { namespace } = scenario;
  const { cluster, exporter } = e2e();
  const healthy = { requestsPerSecond: 20, successRate: 1, latencyMs: 40 };
  const inNamespace = (o: KubeObject): KubeObject => ({ ...o, metadata: { ...o.metadata, namespace } });
  const setImage = (tag: string) => cluster.kubectlOk(['-n', namespace, 'set', 'image', 'deployment/podinfo', `podinfod=ghcr.io/stefanprodan/podinfo:${tag}`]);
  await scenario.setup();
  await scenario.apply(example('podinfo-deployment.yaml').map(inNamespace));
  if (options.extra?.length) await scenario.apply(options.extra);
  exporter.shapeOsm(namespace, 'podinfo-canary', healthy);
  exporter.shapeOsm(namespace, 'podinfo', healthy);
  const canary = scenario.shorten(inNamespace(example('podinfo-canary-osm.yaml')[0]!));
  Object.assign(canary.spec.analysis, { stepWeight: 10, maxWeight: 10, threshold: 1, ...options.analysis });
  await scenario.apply([canary]);
  scenario.startStepper(options.stepperArgs);
  await scenario.waitPhase('Initialized', 90_000);
  await setImage('6.0.1');
  await scenario.waitPhase('Succeeded', 180_000);
  exporter.shapeOsm(namespace, 'podinfo-canary', { ...healthy, successRate: 0.6 });
  await setImage('6.0.0');
  await scenario.waitPhase('Failed', 180_000);
}

/** Events in the order they were created: timestamps have whole seconds, resourceVersions do not tie. */
export const creationOrder = (a: KubeObject, b: KubeObject): number =>
  (a.metadata.creationTimestamp ?? '').localeCompare(b.metadata.creationTimestamp ?? '') || Number(a.metadata.resourceVersion) - Number(b.metadata.resourceVersion);

/** Polls `read` and records every change of its value, while a rollout runs. */
export function recordChanges<T>(read: () => Promise<T | undefined>, everyMs = 300): { values: T[]; stop: () => void } {
  const values: T[] = [];
  const timer = setInterval(() => {
    void read().then((value) => {
      if (value !== undefined && values.at(-1) !== value) values.push(value);
    }, () => undefined);
  }, everyMs);
  // A test that fails before it stops the recorder must not keep mocha from exiting (and CI waiting).
  timer.unref();
  return { values, stop: () => clearInterval(timer) };
}

interface TrafficSplit extends KubeObject {
  spec: { backends: { service: string; weight: number | string }[] };
}

/** The canary weight of an SMI TrafficSplit, as the osm router writes it. */
export async function trafficSplitWeight(namespace: string, name: string): Promise<number | undefined> {
  const ts = await e2e().cluster.kube.get<TrafficSplit>({ apiVersion: 'split.smi-spec.io/v1alpha2', kind: 'TrafficSplit', namespace, name });
  const weight = Number(ts?.spec.backends.find((b) => b.service === `${name}-canary`)?.weight ?? NaN);
  return Number.isFinite(weight) ? weight : undefined;
}

/** The steps of a release both a real stepper and `davy simulate` take, revision ids blanked. */
const DECISIONS = /^(New revision detected|Starting canary analysis|Pre-rollout check|Advance |Routing all traffic|Releasing the hold|Promotion completed|Halt |Rolling back|Canary failed)/;
export const decisions = (events: readonly string[]): string[] =>
  events.filter((e) => DECISIONS.test(e)).map((e) => e.replace(/revision ([0-9a-f]{16}|rev-\d+)/g, 'revision R'));

/**
 * `davy simulate`'s timeline for the Canary as applied: its decision events (to compare with the
 * real ones) and the time to promotion, a lower bound of the real one.
 */
export function simulated(canary: CanaryObject, stepOptions: StepOptions = {}): { events: string[]; timeToPromotionMs?: number } {
  const sim = simulate(canary as unknown as Canary, { stepOptions });
  return { events: decisions(sim.timeline.flatMap((e) => e.events)), ...(sim.timeToPromotionMs === undefined ? {} : { timeToPromotionMs: sim.timeToPromotionMs }) };
}

/** True when `expected` appears in `actual` in order (other messages may come between). */
export function inOrder(actual: string[], expected: string[]): boolean {
  let i = 0;
  for (const message of actual) if (i < expected.length && message === expected[i]) i += 1;
  return i === expected.length;
}

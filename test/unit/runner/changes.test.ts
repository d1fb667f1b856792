// The change feed (src/runner/changes.ts) over a double of the KubeWatcher port: which changes it
// tells the schedule (the stepper's own writes are not among them), the shard, a watch resumed from
// the last version heard, a 410 that lists again, and a refused watch retried while the feed says it
// is not healthy. client-node's Watch against a real API server: test/e2e/kube-client.test.ts.
import { expect } from 'chai';
import { ApiError, NotFoundError, type KubeObject, type KubeWatcher, type ListOptions, type ObjectList, type WatchEvent, type WatchOptions } from '../../../src/kube/client.js';
import { ChangeFeed, type ChangeListener } from '../../../src/runner/changes.js';
import { shardOf } from '../../../src/runner/pass.js';
import type { Logger } from '../../../src/telemetry/logger.js';
import { MemoryKube } from '../../support/memory-kube.js';
import { flush } from './world.js';

interface Stream {
  kind: string;
  options: WatchOptions;
  emit: (event: WatchEvent) => void;
  end: (error?: Error) => void;
}

/** MemoryKube for the LISTs, and watches the test drives; `refuse` makes the next watches of a kind fail. */
class Watched extends MemoryKube implements KubeWatcher {
  streams: Stream[] = [];
  refuse = new Map<string, ApiError>();
  lists: string[] = [];

  override list<T extends KubeObject = KubeObject>(apiVersion: string, kind: string, namespace?: string, options?: ListOptions): Promise<ObjectList<T>> {
    this.lists.push(kind);
    return super.list<T>(apiVersion, kind, namespace, options);
  }

  watch(
    _apiVersion: string, kind: string, _namespace: string | undefined, options: WatchOptions,
    onEvent: (event: WatchEvent) => void, signal: AbortSignal,
  ): Promise<{ ended: Promise<void> }> {
    const refused = this.refuse.get(kind);
    if (refused) return Promise.reject(refused);
    let end: (error?: Error) => void = () => undefined;
    const ended = new Promise<void>((resolve, reject) => {
      end = (error) => (error ? reject(error) : resolve());
    });
    signal.addEventListener('abort', () => end(), { once: true });
    this.streams.push({ kind, options, emit: onEvent, end });
    return Promise.resolve({ ended });
  }

  live(kind: string): Stream {
    const stream = this.streams.filter((s) => s.kind === kind).at(-1);
    if (!stream) throw new Error(`no ${kind} watch`);
    return stream;
  }
}

interface Told {
  namespaces: string[];
  gaps: number;
}

const recorder = (told: Told): ChangeListener => ({
  namespace: (ns) => told.namespaces.push(ns),
  gap: () => (told.gaps += 1),
});

function logs(): { logger: Logger; warnings: string[] } {
  const warnings: string[] = [];
  const none = (): void => undefined;
  const logger = { debug: none, info: none, warn: (message: string) => warnings.push(message), error: none } as unknown as Logger;
  return { logger, warnings };
}

const canary = (name: string, namespace = 'apps', extra: Partial<KubeObject['metadata']> = {}): KubeObject => ({
  apiVersion: 'flagger.app/v1beta1', kind: 'Canary',
  metadata: { name, namespace, generation: 1, resourceVersion: '10', ...extra },
  spec: { targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name } },
});

const deployment = (name: string, namespace = 'apps', annotations: Record<string, string> = {}, image = 'app:1'): KubeObject => ({
  apiVersion: 'apps/v1', kind: 'Deployment',
  metadata: { name, namespace, labels: { 'davy.dev/canary': name }, annotations, resourceVersion: '11' },
  spec: { template: { spec: { containers: [{ name: 'app', image }] } } },
});

async function started(kube: Watched, options: ConstructorParameters<typeof ChangeFeed>[2] = {}) {
  const told: Told = { namespaces: [], gaps: 0 };
  const { logger, warnings } = logs();
  const stop = new AbortController();
  const slept: number[] = [];
  const gauges: string[] = [];
  const heard: string[] = [];
  const metrics = { watching: (running: number, down: number) => gauges.push(`${running}/${down}`), changeHeard: (kind: string) => heard.push(kind) };
  const feed = new ChangeFeed(kube, logger, { ...options, metrics, sleep: (ms) => (slept.push(ms), flush()) });
  const done = feed.start(recorder(told), stop.signal);
  for (let i = 0; i < 10; i += 1) await flush();
  return { feed, told, warnings, slept, gauges, heard, stop: async () => (stop.abort(), await done) };
}

describe('runner: the change feed', () => {
  it('when Canaries and canaried workloads change, then what the stepper acts on is told as its namespace, and its own writes (state, status, label, the hold released) are not', async () => {
    const kube = new Watched().seed(canary('web'), deployment('web'));
    const { told, feed, heard, gauges, stop } = await started(kube);
    expect(feed.healthy()).to.equal(true);
    expect(gauges.at(-1), 'davy_stepper_watches: running/down').to.equal('4/0');
    expect(kube.streams.map((s) => s.kind).sort()).to.deep.equal(['Canary', 'DaemonSet', 'Deployment', 'Service']);
    expect(kube.live('Deployment').options.labelSelector).to.equal('davy.dev/canary');

    const canaries = kube.live('Canary');
    const deployments = kube.live('Deployment');
    // The stepper's own writes: the state annotation, the status, its annotations on the workload.
    canaries.emit({ type: 'MODIFIED', object: canary('web', 'apps', { annotations: { 'davy.dev/state': '{"phase":"Initialized"}' } }) });
    deployments.emit({ type: 'MODIFIED', object: deployment('web', 'apps', { 'davy.dev/stable-revision': 'abc' }) });
    expect(told.namespaces, 'the stepper\'s own writes').to.deep.equal([]);

    deployments.emit({ type: 'MODIFIED', object: deployment('web', 'apps', { 'davy.dev/pending-revision': 'def' }) });
    canaries.emit({ type: 'MODIFIED', object: canary('web', 'apps', { generation: 2 }) });
    canaries.emit({ type: 'MODIFIED', object: canary('web', 'apps', { generation: 2, annotations: { 'davy.dev/action': 'promote/1' } }) });
    canaries.emit({ type: 'ADDED', object: canary('api', 'other') });
    // The hold released at promotion: the template takes the new revision, the pending one goes.
    deployments.emit({ type: 'MODIFIED', object: deployment('web', 'apps', {}, 'app:2') });
    deployments.emit({ type: 'ADDED', object: deployment('api', 'other') });
    canaries.emit({ type: 'MODIFIED', object: canary('web', 'apps', { generation: 2, annotations: { 'davy.dev/action': 'promote/1' }, deletionTimestamp: '2026-01-01T00:00:00Z' }) });
    canaries.emit({ type: 'DELETED', object: canary('api', 'other') });
    canaries.emit({ type: 'BOOKMARK', object: canary('', '', { resourceVersion: '99' }) });
    deployments.emit({ type: 'DELETED', object: deployment('api', 'other') });
    expect(told.namespaces).to.deep.equal(['apps', 'apps', 'apps', 'other', 'apps', 'other', 'other']);
    expect(heard).to.deep.equal(['Deployment', 'Canary', 'Canary', 'Canary', 'Canary', 'Canary', 'Deployment']);
    expect(told.gaps).to.equal(0);
    await stop();
  });

  it('when the stepper has a shard, then only changes to its own canaries are told', async () => {
    const shard = { index: 0, count: 2 };
    const names = Array.from({ length: 8 }, (_, i) => `app-${i}`);
    const mine = names.filter((n) => shardOf('apps', n, 2) === 0);
    expect(mine.length, 'the fixture has canaries of both shards').to.be.within(1, names.length - 1);
    const kube = new Watched();
    const { told, stop } = await started(kube, { shard });
    for (const name of names) kube.live('Deployment').emit({ type: 'MODIFIED', object: deployment(name, 'apps', { 'davy.dev/pending-revision': 'r2' }) });
    expect(told.namespaces).to.have.length(mine.length);
    await stop();
  });

  it('when a stream ends, then the watch resumes from the last version heard; when that version is gone (410), then it lists again and asks for a whole pass', async () => {
    const kube = new Watched().seed(canary('web'));
    const { told, stop } = await started(kube);
    const first = kube.live('Canary');
    first.emit({ type: 'MODIFIED', object: canary('web', 'apps', { resourceVersion: '42', annotations: { 'davy.dev/state': 'x' } }) });
    first.emit({ type: 'BOOKMARK', object: canary('', '', { resourceVersion: '57' }) });
    first.end();
    await flush();
    const resumed = kube.live('Canary');
    expect(resumed).to.not.equal(first);
    expect(resumed.options.resourceVersion).to.equal('57');
    expect(told.gaps, 'a resumed watch lost nothing').to.equal(0);

    const listsBefore = kube.lists.filter((k) => k === 'Canary').length;
    resumed.emit({ type: 'ERROR', object: { apiVersion: 'v1', kind: 'Status', metadata: {}, code: 410, reason: 'Expired', message: 'too old resource version' } });
    for (let i = 0; i < 10; i += 1) await flush();
    expect(kube.lists.filter((k) => k === 'Canary').length).to.equal(listsBefore + 1);
    expect(told.gaps).to.equal(1);
    expect(kube.live('Canary')).to.not.equal(resumed);
    await stop();
  });

  it('when a watch is refused, then the feed is not healthy, says so once, and tries again with a growing wait until it runs', async () => {
    const kube = new Watched();
    kube.refuse.set('Deployment', new ApiError('deployments.apps is forbidden: cannot watch', 403, 'Forbidden'));
    const { feed, warnings, slept, told, gauges, stop } = await started(kube);
    expect(feed.healthy()).to.equal(false);
    expect(gauges.at(-1)).to.equal('3/1');
    expect(warnings.filter((w) => w.startsWith('cannot watch'))).to.have.length(1);
    expect(slept.slice(0, 3)).to.deep.equal([1_000, 2_000, 4_000]);
    kube.refuse.delete('Deployment');
    for (let i = 0; i < 20; i += 1) await flush();
    expect(feed.healthy()).to.equal(true);
    expect(gauges.at(-1)).to.equal('4/0');
    // It may have missed a change meanwhile: the listing after the outage asks for a whole pass.
    expect(told.gaps).to.equal(1);
    await stop();
  });

  it('when the API server does not serve a kind (no Knative), then that watch counts as running, and once the kind is served it lists, watches and asks for a whole pass', async () => {
    const kube = new Watched();
    kube.failNext('list', new NotFoundError('the server has no resource for kind Service in serving.knative.dev/v1', 404, 'NotFound'), 'Service');
    const { feed, warnings, told, slept, stop } = await started(kube);
    expect(warnings, 'a cluster without Knative is not a problem').to.deep.equal([]);
    expect(slept[0], 'looked for again a minute later').to.equal(60_000);
    for (let i = 0; i < 10; i += 1) await flush();
    expect(kube.streams.map((s) => s.kind).sort()).to.deep.equal(['Canary', 'DaemonSet', 'Deployment', 'Service']);
    expect(feed.healthy()).to.equal(true);
    expect(told.gaps).to.equal(1);
    kube.live('Service').emit({ type: 'MODIFIED', object: {
      apiVersion: 'serving.knative.dev/v1', kind: 'Service',
      metadata: { name: 'web', namespace: 'apps', labels: { 'davy.dev/canary': 'web' } }, status: { latestCreatedRevisionName: 'web-00002' },
    } });
    expect(told.namespaces).to.deep.equal(['apps']);
    await stop();
  });
});

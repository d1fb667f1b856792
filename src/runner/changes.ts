// What a stepper must act on soon, from watches (the KubeWatcher port: src/kube/watch.ts):
//   - Canaries: one created or deleted, its spec changed (generation), an action annotation
//     (`davy promote|abort|...`), a deletion begun;
//   - canaried Deployments and DaemonSets (labelled davy.dev/canary): a revision held by the webhook
//     (davy.dev/pending-revision), one deleted;
//   - canaried Knative Services: a new revision (status.latestCreatedRevisionName), one deleted; a
//     cluster without Knative serves no such kind, and its watch waits for one to be installed.
// Each is told to the schedule as the namespace it happened in, which passes that namespace at once
// (schedule.ts). The stepper's own writes (the state, the status, its label and annotations on the
// workload, the hold it releases) change none of the above, so they nudge nothing: a signature per
// object tells them apart, a short string, the only thing kept of what is watched.
//
// Each watch starts from a LIST (chunked) that records the signatures, resumes from the last
// resourceVersion it was given when the stream ends (the API server's timeout, or 30 s of
// silence), and lists again when that version is too old (410 Gone): events may have been missed,
// so the schedule is told to pass everything. A watch that cannot run (403, the API server away) is
// retried with a growing wait; meanwhile the feed is not `healthy` and whole passes come at the poll
// interval, as without watches.
import { ANNOTATION_ACTION, ANNOTATION_PENDING_REVISION, API_VERSION, LABEL_CANARY } from '../api/keys.js';
import { ApiError, apiError, NotFoundError, type KubeClient, type KubeObject, type KubeWatcher, type WatchEvent } from '../kube/client.js';
import type { Logger } from '../telemetry/logger.js';
import type { StepperMetrics } from '../telemetry/stepper-metrics.js';
import { DISCOVERY_CHUNK, shardOf } from './pass.js';
import { sleep } from '../lib/sleep.js';
import type { Shard } from './types.js';

export interface ChangeListener {
  /** Something a pass must see changed in `namespace`. */
  namespace(namespace: string): void;
  /** A watch missed events, or may (it listed again, it stopped): pass everything. */
  gap(): void;
}

/** What the schedule needs of a feed; a fake in the schedule's tests. */
export interface ChangeSource {
  /** Starts the watches; they stop when `signal` aborts, and the promise resolves then. */
  start(listener: ChangeListener, signal: AbortSignal): Promise<void>;
  /** Every watch is running: what changes is heard, and whole passes may be rarer. */
  healthy(): boolean;
}

export interface ChangeFeedOptions {
  /** The stepper's namespaces; all when empty or unset. */
  namespaces?: readonly string[];
  shard?: Shard;
  /** The first wait before a failed watch is tried again (default 1 s), doubled up to maxRetryMs. */
  retryMs?: number;
  /** The longest wait between tries (default 30 s). */
  maxRetryMs?: number;
  /** Objects per chunk of the LIST a watch starts from (default DISCOVERY_CHUNK, as a pass's first LIST). */
  listChunk?: number;
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  metrics?: Pick<StepperMetrics, 'watching' | 'changeHeard'>;
}

interface Watched {
  apiVersion: string;
  kind: string;
  labelSelector?: string;
  /** What of the object the stepper acts on, none of what it writes itself. */
  signature(object: KubeObject): string;
  /** Whether a signature's change (from undefined: an object first seen) is one to act on. */
  matters(before: string | undefined, after: string): boolean;
  /** The canary the object belongs to, for the shard. */
  canaryOf(object: KubeObject): string | undefined;
}

/** A Canary's spec, its action and its deletion are users' alone: any change of them, and a new Canary. */
const canaries: Watched = {
  apiVersion: API_VERSION,
  kind: 'Canary',
  signature: (o) => JSON.stringify([
    o.metadata.generation ?? null,
    o.metadata.annotations?.[ANNOTATION_ACTION] ?? null,
    o.metadata.deletionTimestamp ?? null,
  ]),
  matters: (before, after) => before !== after,
  canaryOf: (o) => o.metadata.name,
};

/**
 * A workload's new revision, as the webhook holds it. The stepper's own writes are left out: the
 * label it sets (a workload first seen), the hold it releases at promotion (the template changes,
 * the pending revision goes). A template changed past the webhook (a fail-open webhook) is seen at
 * the resync, as every revision is without watches.
 */
const workload = (kind: string): Watched => ({
  apiVersion: 'apps/v1',
  kind,
  labelSelector: LABEL_CANARY,
  signature: (o) => o.metadata.annotations?.[ANNOTATION_PENDING_REVISION] ?? '',
  matters: (before, after) => after !== '' && after !== before,
  canaryOf: (o) => o.metadata.labels?.[LABEL_CANARY],
});

/**
 * A Knative Service target's new revision: Knative creates one for every template change, and
 * `status.latestCreatedRevisionName` names it (src/runner/knative.ts). The stepper writes the
 * Service's traffic and pin, never that name.
 */
const knativeService: Watched = {
  apiVersion: 'serving.knative.dev/v1',
  kind: 'Service',
  labelSelector: LABEL_CANARY,
  signature: (o) => (o.status as { latestCreatedRevisionName?: string } | undefined)?.latestCreatedRevisionName ?? '',
  matters: (before, after) => after !== '' && after !== before,
  canaryOf: (o) => o.metadata.labels?.[LABEL_CANARY],
};

export const WATCHED: readonly Watched[] = [canaries, workload('Deployment'), workload('DaemonSet'), knativeService];

/** How often a kind the API server does not serve (Knative not installed) is looked for again. */
const ABSENT_RECHECK_MS = 60_000;

interface Listing {
  resourceVersion: string;
  signatures: Map<string, string>;
}

const DEFAULT_RETRY_MS = 1_000;
const DEFAULT_MAX_RETRY_MS = 30_000;

export class ChangeFeed implements ChangeSource {
  /** Watches running now, of the total started. */
  private running = 0;
  private total = 0;

  constructor(
    private readonly kube: KubeClient & KubeWatcher,
    private readonly logger: Logger,
    private readonly options: ChangeFeedOptions = {},
  ) {}

  healthy(): boolean {
    return this.total > 0 && this.running === this.total;
  }

  async start(listener: ChangeListener, signal: AbortSignal): Promise<void> {
    const namespaces = this.options.namespaces?.length ? [...new Set(this.options.namespaces)] : [undefined];
    const loops = WATCHED.flatMap((watched) => namespaces.map((ns) => this.loop(watched, ns, listener, signal)));
    this.total = loops.length;
    this.counted();
    await Promise.all(loops);
  }

  private counted(): void {
    this.options.metrics?.watching(this.running, this.total - this.running);
  }

  private mine(watched: Watched, object: KubeObject): boolean {
    const shard = this.options.shard;
    if (!shard || shard.count <= 1) return true;
    const namespace = object.metadata.namespace ?? '';
    return shardOf(namespace, watched.canaryOf(object) ?? '', shard.count, shard.by) === shard.index;
  }

  /** One kind in one namespace (or all): list, watch, resume; list again after a gap; retry after a failure. */
  private async loop(
    watched: Watched, namespace: string | undefined, listener: ChangeListener, signal: AbortSignal,
  ): Promise<void> {
    const wait = this.options.sleep ?? sleep;
    const where = { kind: watched.kind, ...(namespace ? { namespace } : {}) };
    let failures = 0;
    let listed = false;
    /** The API server does not serve the kind: there is nothing of it to miss, so it counts as running. */
    let absent = false;
    while (!signal.aborted) {
      let up = false;
      try {
        const listing = await this.list(watched, namespace);
        if (absent) {
          // Served now (installed meanwhile): what was made before this LIST is unknown.
          absent = false;
          listed = true;
          this.running -= 1;
        }
        await this.follow(watched, namespace, listing, listener, signal, () => {
          up = true;
          this.running += 1;
          this.counted();
          if (failures > 0) this.logger.info('watching again', where);
          // Listed again after an outage or a 410: what happened between the last event heard
          // (or the last pass at the poll interval) and this LIST is unknown.
          if (listed || failures > 0) listener.gap();
          listed = true;
          failures = 0;
        });
        return;
      } catch (error) {
        if (up) {
          this.running -= 1;
          this.counted();
        }
        if (signal.aborted) return;
        if (error instanceof ApiError && error.status === 410) {
          this.logger.debug('a watch must list again: its version is too old', where);
          continue;
        }
        if (error instanceof NotFoundError && !up && !listed) {
          if (!absent) {
            absent = true;
            this.running += 1;
            this.counted();
            this.logger.debug('not watched: the API server does not serve this kind', where);
          }
          await wait(ABSENT_RECHECK_MS, signal);
          continue;
        }
        // Events may be lost until it runs again: the schedule passes everything now, and at the
        // poll interval while the feed is not healthy.
        if (up) listener.gap();
        failures += 1;
        const first = this.options.retryMs ?? DEFAULT_RETRY_MS;
        const retryInMs = Math.min(first * 2 ** (failures - 1), this.options.maxRetryMs ?? DEFAULT_MAX_RETRY_MS);
        // Said once per outage; while it lasts, whole passes come at the poll interval.
        if (failures === 1) {
          this.logger.warn('cannot watch: changes are seen at the poll interval until it can', { ...where, error, retryInMs });
        }
        await wait(retryInMs, signal);
      }
    }
  }

  /**
   * Watches from the listing's version, resuming from the last version heard after each quiet end,
   * until `signal` aborts; `started` hears the first watch accepted. Throws when a watch is refused,
   * breaks, or ends with an ERROR event (410 Gone when the version is too old).
   */
  private async follow(
    watched: Watched, namespace: string | undefined, listing: Listing, listener: ChangeListener, signal: AbortSignal,
    started: () => void,
  ): Promise<void> {
    const { signatures } = listing;
    let version = listing.resourceVersion;
    let first = true;
    while (!signal.aborted) {
      const stream = new AbortController();
      const stop = (): void => stream.abort();
      signal.addEventListener('abort', stop, { once: true });
      let refused: { code?: number; reason?: string; message?: string } | undefined;
      try {
        const { ended } = await this.kube.watch(watched.apiVersion, watched.kind, namespace, {
          resourceVersion: version,
          ...(watched.labelSelector ? { labelSelector: watched.labelSelector } : {}),
        }, (event) => {
          if (event.type === 'ERROR') {
            refused = event.object as typeof refused;
            stream.abort();
            return;
          }
          version = event.object.metadata.resourceVersion ?? version;
          if (event.type !== 'BOOKMARK') this.heard(watched, event, signatures, listener);
        }, stream.signal);
        if (first) started();
        first = false;
        await ended;
      } finally {
        signal.removeEventListener('abort', stop);
      }
      // The ERROR event's object is a Status, as the API server answers a refused request.
      if (refused && !signal.aborted) throw apiError(refused.code ?? 500, JSON.stringify(refused), `watch ${watched.kind}`);
    }
  }

  private async list(watched: Watched, namespace: string | undefined): Promise<Listing> {
    const signatures = new Map<string, string>();
    let resourceVersion = '';
    let token: string | undefined;
    do {
      const chunk = await this.kube.list(watched.apiVersion, watched.kind, namespace, {
        limit: this.options.listChunk ?? DISCOVERY_CHUNK,
        ...(watched.labelSelector ? { labelSelector: watched.labelSelector } : {}),
        ...(token ? { continue: token } : {}),
      });
      // A chunked LIST is one snapshot: the first chunk's version is the whole list's.
      resourceVersion ||= chunk.resourceVersion;
      for (const object of chunk.items) {
        if (this.mine(watched, object)) signatures.set(keyOf(object), watched.signature(object));
      }
      token = chunk.continue;
    } while (token);
    return { resourceVersion, signatures };
  }

  private heard(watched: Watched, event: WatchEvent, signatures: Map<string, string>, listener: ChangeListener): void {
    const { object } = event;
    if (!this.mine(watched, object)) return;
    const key = keyOf(object);
    const before = signatures.get(key);
    if (event.type === 'DELETED') {
      signatures.delete(key);
    } else {
      const after = watched.signature(object);
      signatures.set(key, after);
      if (!watched.matters(before, after)) return; // the stepper's own writes, or nothing it reads
    }
    this.options.metrics?.changeHeard(watched.kind);
    listener.namespace(object.metadata.namespace ?? '');
  }
}

const keyOf = (object: KubeObject): string => `${object.metadata.namespace ?? ''}/${object.metadata.name ?? ''}`;

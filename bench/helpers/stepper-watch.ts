// Every state the stepper writes, as it writes it: a watch on each namespace's Canaries (nothing
// polled), keeping each canary's distinct `davy.dev/state` values in the order the API server
// committed them. The step times in those states are the stepper's own clock (lastStepAt), so the
// watch's delivery delay does not enter the figures.
import { KubeConfig, Watch } from '@kubernetes/client-node';
import { ANNOTATION_STATE } from '../../src/api/keys.js';
import { parseState, type State } from '../../src/stepper/index.js';

interface Watched {
  metadata: { name?: string; namespace?: string; resourceVersion?: string; annotations?: Record<string, string> };
}

export class StateRecorder {
  /** `namespace/name` -> the distinct states seen, oldest first. */
  readonly states = new Map<string, State[]>();
  private readonly last = new Map<string, string>();
  private readonly controllers = new Map<string, AbortController>();
  private stopped = false;
  private failure?: string;

  /**
   * One watch per namespace, so that a round among 10,000 idle canaries does not begin with an
   * event for each of them.
   */
  constructor(private readonly namespaces: readonly string[]) {}

  async start(kubeconfig: string): Promise<void> {
    const config = new KubeConfig();
    config.loadFromFile(kubeconfig);
    const watch = new Watch(config);
    await Promise.all(this.namespaces.map((ns) => this.watch(watch, ns)));
  }

  /**
   * Watches one namespace's Canaries from `resourceVersion` (from now when undefined). A watch
   * ends when the API server ends it (its reader fell behind, or its timeout), on a network error,
   * or when client-node saw no byte for 30 s (its inactivity timeout: a namespace whose canaries
   * all wait in Promoting is that quiet, and bookmarks come about once a minute): it begins again
   * from the last version read, so no state is missed; a version too old to resume from (410)
   * begins from now, and the states written meanwhile are lost. Each restart but the routine
   * inactivity one is logged with its reason. (Before, an inactivity timeout ended the recording
   * of its namespace: the 10,000-canary round never saw its canaries succeed.)
   */
  private async watch(watch: Watch, namespace: string, resourceVersion?: string): Promise<void> {
    let version = resourceVersion;
    let gone = false;
    const controller = await watch.watch(
      `/apis/flagger.app/v1beta1/namespaces/${namespace}/canaries`,
      { allowWatchBookmarks: true, ...(version ? { resourceVersion: version } : {}) },
      (type: string, object: Watched & { code?: number }) => {
        // An ERROR event carries a Status: 410 when the version to resume from is gone.
        if (type === 'ERROR') gone ||= object.code === 410;
        else version = object.metadata.resourceVersion ?? version;
        if (type === 'ADDED' || type === 'MODIFIED') this.record(object);
      },
      (error: unknown) => {
        if (this.stopped) return;
        gone ||= typeof error === 'object' && error !== null && (error as { code?: number }).code === 410;
        const quiet = error instanceof Error && error.name === 'TimeoutError';
        const reason = error instanceof Error ? error.message : error ? JSON.stringify(error) : 'the API server ended it';
        if (gone) process.stderr.write(`[state-recorder] the watch of ${namespace} could not resume (410 Gone): watching from now; states written meanwhile are missing\n`);
        else if (!quiet) process.stderr.write(`[state-recorder] the watch of ${namespace} ended (${reason}): watching again from resourceVersion ${version ?? '(none)'}\n`);
        // A moment's pause, so that an API server refusing every watch is not asked in a loop.
        setTimeout(() => {
          if (this.stopped) return;
          this.watch(watch, namespace, gone ? undefined : version).catch((e: unknown) => {
            this.failure = e instanceof Error ? e.message : String(e);
          });
        }, error && !quiet ? 1_000 : 0);
      },
    );
    this.controllers.set(namespace, controller);
  }

  stop(): void {
    this.stopped = true;
    for (const controller of this.controllers.values()) controller.abort();
    if (this.failure) throw new Error(`the Canary watch failed: ${this.failure}`);
  }

  latest(key: string): State | undefined {
    return this.states.get(key)?.at(-1);
  }

  private record(object: Watched): void {
    const { namespace = '', name = '', annotations = {} } = object.metadata;
    const key = `${namespace}/${name}`;
    const text = annotations[ANNOTATION_STATE];
    if (!text || this.last.get(key) === text) return;
    this.last.set(key, text);
    const parsed = parseState(text);
    if (parsed.kind !== 'ok') return;
    this.states.set(key, [...(this.states.get(key) ?? []), parsed.state]);
  }
}

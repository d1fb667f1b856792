// Every state the stepper writes, as it writes it: a watch on the Canaries (one request, nothing
// polled), keeping each canary's distinct `davy.dev/state` values in the order the API server
// committed them. The step times in those states are the stepper's own clock (lastStepAt), so the
// watch's delivery delay does not enter the figures.
import { KubeConfig, Watch } from '@kubernetes/client-node';
import { ANNOTATION_STATE } from '../../src/api/keys.js';
import { parseState, type State } from '../../src/stepper/index.js';

interface Watched {
  metadata: { name?: string; namespace?: string; annotations?: Record<string, string> };
}

export class StateRecorder {
  /** `namespace/name` -> the distinct states seen, oldest first. */
  readonly states = new Map<string, State[]>();
  private readonly last = new Map<string, string>();
  private controller?: AbortController;
  private failure?: string;

  constructor(private readonly keep: (namespace: string) => boolean) {}

  async start(kubeconfig: string): Promise<void> {
    const config = new KubeConfig();
    config.loadFromFile(kubeconfig);
    this.controller = await new Watch(config).watch(
      '/apis/flagger.app/v1beta1/canaries',
      { allowWatchBookmarks: false },
      (type: string, object: Watched) => {
        if (type === 'ADDED' || type === 'MODIFIED') this.record(object);
      },
      (error: unknown) => {
        if (error && !this.controller?.signal.aborted) this.failure = error instanceof Error ? error.message : JSON.stringify(error);
      },
    );
  }

  stop(): void {
    this.controller?.abort();
    if (this.failure) throw new Error(`the Canary watch failed: ${this.failure}`);
  }

  latest(key: string): State | undefined {
    return this.states.get(key)?.at(-1);
  }

  private record(object: Watched): void {
    const { namespace = '', name = '', annotations = {} } = object.metadata;
    if (!this.keep(namespace)) return;
    const key = `${namespace}/${name}`;
    const text = annotations[ANNOTATION_STATE];
    if (!text || this.last.get(key) === text) return;
    this.last.set(key, text);
    const parsed = parseState(text);
    if (parsed.kind !== 'ok') return;
    this.states.set(key, [...(this.states.get(key) ?? []), parsed.state]);
  }
}

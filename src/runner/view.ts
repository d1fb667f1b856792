// The pass's view of the cluster: a KubeClient that answers GETs of namespaced objects from one
// LIST per namespace and kind, so observing a canary, and the routers reading what they converge,
// cost no per-object requests. Writes go to the API server and their answers replace the listed
// copies, so later reads in the same pass see them.
//
// Ordering contract (pass.ts): everything Davy writes is listed BEFORE the Canaries are read for
// stepping. A runner acting on a Canary state read at time t therefore holds copies of Davy's
// objects read before t; every write is guarded by those resourceVersions, so a write made by
// another stepper from a newer state (which it wrote after t) makes ours fail with a conflict
// instead of being overwritten. On a conflict the object is read again (refresh) before the
// error is rethrown, so the caller may retry once it has confirmed the Canary did not move.
import {
  ApiError, ConflictError, refOf,
  type KubeClient, type KubeObject, type ListOptions, type ObjectList, type ObjectRef, type Patch, type WriteOptions,
} from '../kube/client.js';

type DeleteOptions = Parameters<KubeClient['delete']>[1];

const groupOf = (apiVersion: string): string => (apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '');
/** Versions of one group and kind share storage in the API server, and here. */
const listKey = (apiVersion: string, kind: string, namespace: string): string => `${groupOf(apiVersion)}|${kind}|${namespace}`;
/**
 * A deep copy of a JSON value (what the API server sends and every listed object is). The view
 * hands out copies so callers may change what they read; an idle pass reads each canary's
 * workloads and Services several times, and structuredClone made these copies half of its CPU.
 */
export function copyJson<T>(value: T): T {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((item: unknown) => copyJson(item)) as T;
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(value)) copy[key] = copyJson((value as Record<string, unknown>)[key]);
  return copy as T;
}

/**
 * The object without metadata.managedFields (an entry per field manager), which the stepper never
 * reads and a pass over 1,000 canaries would otherwise keep thousands of for its whole length
 * (measured: peak RSS 189 -> 186 MiB, BENCHMARKS.md). Writes stay safe: an update that omits
 * managedFields leaves the server's unchanged.
 */
export function withoutManagedFields<T extends KubeObject>(object: T): T {
  if (object.metadata.managedFields === undefined) return object;
  const { managedFields: _dropped, ...metadata } = object.metadata;
  return { ...object, metadata };
}

/** The Canary (stepped from its own LIST, re-read only to confirm it) and Events (never read) are not cached. */
const cacheable = (kind: string, namespace: string | undefined): namespace is string =>
  namespace !== undefined && namespace !== '' && kind !== 'Canary' && kind !== 'Event';

/** A write that lost a race: a stale resourceVersion (409), or a patch that no longer applies (422). */
export const isStaleWrite = (error: unknown): boolean =>
  error instanceof ConflictError || (error instanceof ApiError && error.status === 422);

/** The field manager of the stepper's writes, as `kubectl get -o yaml --show-managed-fields` shows it. */
export const FIELD_MANAGER = 'davy-stepper';

const managed = (options: WriteOptions): WriteOptions => ({ fieldManager: FIELD_MANAGER, ...options });

export class ClusterView implements KubeClient {
  private readonly lists = new Map<string, Promise<Map<string, KubeObject>>>();

  constructor(readonly kube: KubeClient) {}

  /** Lists a kind in a namespace now (once per pass); later GETs are answered from it. */
  async prefetch(apiVersion: string, kind: string, namespace: string): Promise<void> {
    await this.load(apiVersion, kind, namespace);
  }

  /** The objects of a kind in a namespace, listed once per pass. */
  async items<T extends KubeObject = KubeObject>(apiVersion: string, kind: string, namespace: string): Promise<T[]> {
    const items = await this.load(apiVersion, kind, namespace);
    return [...items.values()].map((o) => ({ ...copyJson(o), apiVersion }) as T);
  }

  /** Reads straight from the API server, bypassing the view (and refreshing it). */
  async fresh<T extends KubeObject = KubeObject>(ref: ObjectRef): Promise<T | undefined> {
    const found = await this.kube.get<T>(ref);
    if (found) this.store(found);
    else this.forget(ref);
    return found;
  }

  async get<T extends KubeObject = KubeObject>(ref: ObjectRef): Promise<T | undefined> {
    if (!cacheable(ref.kind, ref.namespace)) return this.kube.get<T>(ref);
    const items = await this.load(ref.apiVersion, ref.kind, ref.namespace);
    const found = items.get(ref.name);
    return found && ({ ...copyJson(found), apiVersion: ref.apiVersion } as T);
  }

  async list<T extends KubeObject = KubeObject>(
    apiVersion: string,
    kind: string,
    namespace?: string,
    options: ListOptions = {},
  ): Promise<ObjectList<T>> {
    if (!cacheable(kind, namespace) || options.labelSelector || options.fieldSelector) {
      return this.kube.list<T>(apiVersion, kind, namespace, options);
    }
    return { items: await this.items<T>(apiVersion, kind, namespace), resourceVersion: '' };
  }

  async create<T extends KubeObject>(object: T, options: WriteOptions = {}): Promise<T> {
    const created = await this.guard(refOf(object), () => this.kube.create(object, managed(options)));
    if (!options.dryRun) this.store(created);
    return created;
  }

  async replace<T extends KubeObject>(object: T, options: WriteOptions = {}): Promise<T> {
    const replaced = await this.guard(refOf(object), () => this.kube.replace(object, managed(options)));
    if (!options.dryRun) this.store(replaced);
    return replaced;
  }

  async replaceStatus<T extends KubeObject>(object: T, options: WriteOptions = {}): Promise<T> {
    const replaced = await this.guard(refOf(object), () => this.kube.replaceStatus(object, managed(options)));
    if (!options.dryRun) this.store(replaced);
    return replaced;
  }

  async patch<T extends KubeObject = KubeObject>(ref: ObjectRef, patch: Patch, options: WriteOptions = {}): Promise<T> {
    const patched = await this.guard(ref, () => this.kube.patch<T>(ref, patch, managed(options)));
    if (!options.dryRun) this.store(patched);
    return patched;
  }

  async delete(ref: ObjectRef, options: DeleteOptions = {}): Promise<boolean> {
    const deleted = await this.kube.delete(ref, options);
    // An object with finalizers lingers; the next pass lists it as it is.
    if (!options.dryRun) this.forget(ref);
    return deleted;
  }

  /** On a lost race the stored object is read again, so a retry works from what is there now. */
  private async guard<T>(ref: ObjectRef, write: () => Promise<T>): Promise<T> {
    try {
      return await write();
    } catch (error) {
      if (isStaleWrite(error) && cacheable(ref.kind, ref.namespace)) await this.fresh(ref);
      throw error;
    }
  }

  private load(apiVersion: string, kind: string, namespace: string): Promise<Map<string, KubeObject>> {
    const key = listKey(apiVersion, kind, namespace);
    let pending = this.lists.get(key);
    if (!pending) {
      pending = this.kube.list(apiVersion, kind, namespace).then((list) => new Map(list.items.map((o) => [o.metadata.name ?? '', withoutManagedFields(o)])));
      // A failed LIST fails every read of that kind in this pass; the next pass lists again.
      pending.catch(() => undefined);
      this.lists.set(key, pending);
    }
    return pending;
  }

  /** Records the server's answer, when that kind is listed in that namespace. */
  private store(object: KubeObject): void {
    const { namespace, name } = object.metadata;
    if (!cacheable(object.kind, namespace) || !name) return;
    void this.lists.get(listKey(object.apiVersion, object.kind, namespace))?.then((items) => {
      items.set(name, copyJson(withoutManagedFields(object)));
    }, () => undefined);
  }

  private forget(ref: ObjectRef): void {
    if (!cacheable(ref.kind, ref.namespace)) return;
    void this.lists.get(listKey(ref.apiVersion, ref.kind, ref.namespace))?.then((items) => {
      items.delete(ref.name);
    }, () => undefined);
  }
}


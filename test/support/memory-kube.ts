// An in-memory KubeClient: the API server's storage semantics that Davy's code relies on, so
// tests can assert end states. What it reproduces: resourceVersion bumps (none on a no-op write),
// 409 on a stale resourceVersion and on create of an existing name, 404s, status kept apart from
// the main resource, generation bumps on spec changes, JSON and merge patches, server-side apply
// approximated as a merge (creating when absent), label and field selectors on list, finalizers
// (delete sets deletionTimestamp; the object goes when the last finalizer is removed), garbage
// collection of dependents by ownerReference, Service clusterIP/nodePort allocation and the
// immutability of clusterIP. Versions of one group/kind share storage, as with conversion.
import { randomUUID } from 'node:crypto';
import fastJsonPatch from 'fast-json-patch';
import {
  ApiError, ConflictError, NotFoundError,
  type KubeClient, type KubeObject, type ListOptions, type ObjectList, type ObjectRef, type Patch, type WriteOptions,
} from '../../src/kube/client.js';
import { knownResource } from '../../src/kube/resources.js';
import { canonicalJson } from '../../src/api/revision.js';

export type Verb = 'get' | 'list' | 'create' | 'replace' | 'replaceStatus' | 'patch' | 'delete';
/** Called before every request; returning an Error makes the request fail with it. */
export type Interceptor = (verb: Verb, ref: ObjectRef) => Error | undefined;
type DeleteOptions = Parameters<KubeClient['delete']>[1];

const clone = <T>(value: T): T => structuredClone(value);
const groupOf = (apiVersion: string): string => (apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '');
const namespaced = (apiVersion: string, kind: string): boolean => knownResource(apiVersion, kind)?.namespaced ?? true;
const refOf = (object: KubeObject): ObjectRef => ({
  apiVersion: object.apiVersion, kind: object.kind, name: object.metadata.name ?? '',
  ...(object.metadata.namespace ? { namespace: object.metadata.namespace } : {}),
});
const specOf = (object: KubeObject): string => {
  const { metadata: _m, status: _s, apiVersion: _a, kind: _k, ...rest } = object;
  return canonicalJson(rest);
};
const sameContent = (a: KubeObject, b: KubeObject): boolean =>
  canonicalJson({ ...a, apiVersion: '', metadata: { ...a.metadata, resourceVersion: '' } }) ===
  canonicalJson({ ...b, apiVersion: '', metadata: { ...b.metadata, resourceVersion: '' } });

const invalid = (message: string): ApiError => new ApiError(message, 422, 'Invalid');
const notFound = (ref: ObjectRef): NotFoundError =>
  new NotFoundError(`${ref.kind} "${ref.name}" not found`, 404, 'NotFound');
const stale = (ref: ObjectRef): ConflictError => new ConflictError(
  `Operation cannot be fulfilled on ${ref.kind} "${ref.name}": the object has been modified; please apply your changes to the latest version and try again`,
  409, 'Conflict');

export class MemoryKube implements KubeClient {
  private readonly store = new Map<string, KubeObject>();
  private readonly interceptors = new Set<Interceptor>();
  private revision = 0;
  private addresses = 0;
  /** Requests received, by verb (including ones that failed or changed nothing). */
  readonly requests: Record<Verb, number> = { get: 0, list: 0, create: 0, replace: 0, replaceStatus: 0, patch: 0, delete: 0 };

  constructor(private readonly now: () => Date = () => new Date('2026-01-01T00:00:00Z')) {}

  /** Stores objects as given (status included), bypassing interceptors: the test's starting cluster. */
  seed(...objects: KubeObject[]): this {
    for (const object of objects) {
      const admitted = this.admit(clone(object), undefined);
      admitted.metadata.resourceVersion = String(++this.revision);
      this.store.set(this.keyOf(refOf(admitted)), admitted);
    }
    return this;
  }

  /** Every stored object of a kind (any version of its group), or all of them: for assertions. */
  objects(kind?: string): KubeObject[] {
    return [...this.store.values()].filter((o) => kind === undefined || o.kind === kind).map(clone);
  }

  /** The stored object or undefined, without counting a request: for assertions. */
  peek<T extends KubeObject = KubeObject>(ref: ObjectRef): T | undefined {
    const found = this.store.get(this.keyOf(ref));
    return found && (clone(found) as T);
  }

  /** Adds an interceptor; the returned function removes it. */
  intercept(interceptor: Interceptor): () => void {
    this.interceptors.add(interceptor);
    return () => this.interceptors.delete(interceptor);
  }

  /** Fails the next request of `verb` (optionally only for `kind`) with `error`, once. */
  failNext(verb: Verb, error: Error, kind?: string): void {
    const remove = this.intercept((v, ref) => {
      if (v !== verb || (kind !== undefined && ref.kind !== kind)) return undefined;
      remove();
      return error;
    });
  }

  get<T extends KubeObject = KubeObject>(ref: ObjectRef): Promise<T | undefined> {
    return this.run('get', ref, () => {
      const found = this.store.get(this.keyOf(ref));
      return found && ({ ...clone(found), apiVersion: ref.apiVersion } as T);
    });
  }

  list<T extends KubeObject = KubeObject>(apiVersion: string, kind: string, namespace?: string, options: ListOptions = {}): Promise<ObjectList<T>> {
    return this.run('list', { apiVersion, kind, name: '', ...(namespace ? { namespace } : {}) }, () => {
      const items = [...this.store.values()]
        .filter((o) => groupOf(o.apiVersion) === groupOf(apiVersion) && o.kind === kind)
        .filter((o) => namespace === undefined || o.metadata.namespace === namespace)
        .filter((o) => matchesLabels(o.metadata.labels ?? {}, options.labelSelector) && matchesFields(o, options.fieldSelector))
        .sort((a, b) => this.keyOf(refOf(a)).localeCompare(this.keyOf(refOf(b))))
        .map((o) => ({ ...clone(o), apiVersion }) as T);
      if (!options.limit) return { items, resourceVersion: String(this.revision) };
      // Chunks as the API server gives them: the continue token is (here) the offset of the next one.
      const from = Number(options.continue ?? 0);
      const next = from + options.limit;
      return { items: items.slice(from, next), resourceVersion: String(this.revision), ...(next < items.length ? { continue: String(next) } : {}) };
    });
  }

  create<T extends KubeObject>(object: T, options: WriteOptions = {}): Promise<T> {
    return this.run('create', refOf(object), () => {
      const incoming = clone(object);
      if (!incoming.metadata.name && typeof incoming.metadata.generateName === 'string') {
        incoming.metadata.name = `${incoming.metadata.generateName}${randomUUID().slice(0, 5)}`;
      }
      const ref = refOf(incoming);
      if (!ref.name) throw invalid(`${ref.kind}: metadata.name: Required value`);
      if (namespaced(ref.apiVersion, ref.kind) && !ref.namespace) throw new ApiError('the namespace of the object does not match the namespace on the request', 400, 'BadRequest');
      if (incoming.metadata.resourceVersion) throw new ApiError('resourceVersion should not be set on objects to be created', 400, 'BadRequest');
      if (this.store.has(this.keyOf(ref))) throw new ConflictError(`${ref.kind} "${ref.name}" already exists`, 409, 'AlreadyExists');
      delete incoming.status;
      return this.commit(incoming, undefined, options) as T;
    });
  }

  replace<T extends KubeObject>(object: T, options: WriteOptions = {}): Promise<T> {
    return this.run('replace', refOf(object), () => {
      const stored = this.existing(refOf(object), object.metadata.resourceVersion);
      const next = { ...clone(object), ...(stored.status === undefined ? {} : { status: clone(stored.status) }) };
      if (stored.status === undefined) delete next.status;
      return this.commit(next, stored, options) as T;
    });
  }

  replaceStatus<T extends KubeObject>(object: T, options: WriteOptions = {}): Promise<T> {
    return this.run('replaceStatus', refOf(object), () => {
      const stored = this.existing(refOf(object), object.metadata.resourceVersion);
      return this.commit({ ...clone(stored), status: clone(object.status) }, stored, options) as T;
    });
  }

  patch<T extends KubeObject = KubeObject>(ref: ObjectRef, patch: Patch, options: WriteOptions = {}): Promise<T> {
    return this.run('patch', ref, () => {
      const found = this.store.get(this.keyOf(ref));
      if (!found && patch.type === 'apply') {
        const body: KubeObject = { ...clone(patch.body), metadata: { ...clone(patch.body.metadata), name: ref.name, namespace: ref.namespace } };
        delete body.status;
        return this.commit(body, undefined, options) as T;
      }
      if (!found) throw notFound(ref);
      const patched = patchedObject(found, patch);
      const precondition = patched.metadata.resourceVersion;
      if (precondition !== undefined && precondition !== found.metadata.resourceVersion) throw stale(ref);
      patched.metadata = { ...patched.metadata, name: found.metadata.name, namespace: found.metadata.namespace };
      if (found.status === undefined) delete patched.status;
      else patched.status = clone(found.status);
      return this.commit(patched, found, options) as T;
    });
  }

  delete(ref: ObjectRef, options: DeleteOptions = {}): Promise<boolean> {
    return this.run('delete', ref, () => {
      const found = this.store.get(this.keyOf(ref));
      if (!found) return false;
      if (options.dryRun) return true;
      this.remove(found, options.propagationPolicy ?? 'Background');
      return true;
    });
  }

  private async run<T>(verb: Verb, ref: ObjectRef, body: () => T): Promise<T> {
    this.requests[verb] += 1;
    await Promise.resolve(); // answer asynchronously, as a real client does
    for (const interceptor of [...this.interceptors]) {
      const error = interceptor(verb, ref);
      if (error) throw error;
    }
    return body();
  }

  private keyOf(ref: ObjectRef): string {
    const ns = namespaced(ref.apiVersion, ref.kind) ? (ref.namespace ?? '') : '';
    return `${groupOf(ref.apiVersion)}|${ref.kind}|${ns}|${ref.name}`;
  }

  /** The stored object for an update, checking the resourceVersion precondition when one is given. */
  private existing(ref: ObjectRef, resourceVersion: string | undefined): KubeObject {
    const stored = this.store.get(this.keyOf(ref));
    if (!stored) throw notFound(ref);
    if (resourceVersion && resourceVersion !== stored.metadata.resourceVersion) throw stale(ref);
    return stored;
  }

  /** Validates, defaults and stores `next` (the new state of `stored`, or a new object). */
  private commit(next: KubeObject, stored: KubeObject | undefined, options: WriteOptions): KubeObject {
    const admitted = this.admit(next, stored);
    if (stored && sameContent(admitted, stored)) return clone(stored); // a no-op write keeps the resourceVersion
    if (options.dryRun) return clone(admitted);
    admitted.metadata.resourceVersion = String(++this.revision);
    const finalized = stored?.metadata.deletionTimestamp !== undefined && (admitted.metadata.finalizers ?? []).length === 0;
    if (finalized) this.remove(admitted, 'Background');
    else this.store.set(this.keyOf(refOf(admitted)), admitted);
    return clone(admitted);
  }

  /** The system-owned fields: identity, generation, and Service allocation. */
  private admit(next: KubeObject, stored: KubeObject | undefined): KubeObject {
    const metadata = { ...next.metadata };
    if (stored) {
      metadata.uid = stored.metadata.uid;
      metadata.creationTimestamp = stored.metadata.creationTimestamp;
      metadata.resourceVersion = stored.metadata.resourceVersion;
      if (stored.metadata.deletionTimestamp) metadata.deletionTimestamp = stored.metadata.deletionTimestamp;
      else delete metadata.deletionTimestamp;
      metadata.generation = (stored.metadata.generation ?? 1) + (specOf(next) === specOf(stored) ? 0 : 1);
    } else {
      metadata.uid = metadata.uid ?? randomUUID();
      metadata.creationTimestamp = metadata.creationTimestamp ?? this.now().toISOString();
      metadata.generation = 1;
    }
    const admitted: KubeObject = { ...next, metadata };
    if (admitted.kind === 'Service' && admitted.apiVersion === 'v1') this.admitService(admitted, stored);
    return admitted;
  }

  /** The apiserver's Service allocation: clusterIP and nodePorts, kept across updates, clusterIP immutable. */
  private admitService(service: KubeObject, stored: KubeObject | undefined): void {
    const spec = { ...((service.spec ?? {}) as ServiceSpecLike) };
    const before = (stored?.spec ?? {}) as ServiceSpecLike;
    spec.type = spec.type ?? 'ClusterIP';
    if (!spec.clusterIP && before.clusterIP) {
      spec.clusterIP = before.clusterIP;
      spec.clusterIPs = before.clusterIPs;
    }
    if (stored && before.clusterIP && spec.clusterIP !== before.clusterIP) {
      throw invalid(`Service "${service.metadata.name}" is invalid: spec.clusterIPs[0]: Invalid value: ${JSON.stringify(spec.clusterIP)}: may not change once set`);
    }
    if (!spec.clusterIP && spec.type !== 'ExternalName') {
      this.addresses += 1;
      spec.clusterIP = `10.96.${Math.floor(this.addresses / 250)}.${(this.addresses % 250) + 1}`;
    }
    if (spec.clusterIP && !spec.clusterIPs) spec.clusterIPs = [spec.clusterIP];
    const wantsNodePort = spec.type === 'NodePort' || spec.type === 'LoadBalancer';
    spec.ports = (spec.ports ?? []).map((port) => {
      const defaulted = { ...port, protocol: port.protocol ?? 'TCP', targetPort: port.targetPort ?? port.port };
      if (!wantsNodePort) return defaulted;
      const old = before.ports?.find((p) => p.port === port.port && (p.protocol ?? 'TCP') === defaulted.protocol);
      if (port.nodePort ?? old?.nodePort) return { ...defaulted, nodePort: port.nodePort ?? old?.nodePort };
      this.addresses += 1;
      return { ...defaulted, nodePort: 30000 + (this.addresses % 2768) };
    });
    service.spec = spec;
  }

  /** Deletes (or marks, while finalizers remain), then collects dependents whose owners are all gone. */
  private remove(object: KubeObject, propagation: 'Foreground' | 'Background' | 'Orphan'): void {
    const key = this.keyOf(refOf(object));
    if ((object.metadata.finalizers ?? []).length > 0) {
      if (!object.metadata.deletionTimestamp) {
        const metadata = { ...object.metadata, deletionTimestamp: this.now().toISOString(), resourceVersion: String(++this.revision) };
        this.store.set(key, { ...object, metadata });
      }
      return;
    }
    this.store.delete(key);
    const uid = object.metadata.uid;
    const live = new Set([...this.store.values()].map((o) => o.metadata.uid));
    for (const dependent of [...this.store.values()]) {
      const refs = dependent.metadata.ownerReferences ?? [];
      if (!refs.some((r) => r.uid === uid)) continue;
      if (propagation === 'Orphan') {
        const metadata = { ...dependent.metadata, ownerReferences: refs.filter((r) => r.uid !== uid), resourceVersion: String(++this.revision) };
        this.store.set(this.keyOf(refOf(dependent)), { ...dependent, metadata });
      } else if (!refs.some((r) => live.has(r.uid))) {
        this.remove(dependent, 'Background');
      }
    }
  }
}

interface ServicePortLike { name?: string; port: number; protocol?: string; targetPort?: number | string; nodePort?: number }
interface ServiceSpecLike { type?: string; clusterIP?: string; clusterIPs?: string[]; ports?: ServicePortLike[] }

function patchedObject(found: KubeObject, patch: Patch): KubeObject {
  switch (patch.type) {
    case 'json':
      try {
        return fastJsonPatch.applyPatch(clone(found), clone(patch.ops) as fastJsonPatch.Operation[], true, false).newDocument;
      } catch (error) {
        throw invalid(`the server rejected our request due to an error in our request: ${error instanceof Error ? error.message : String(error)}`);
      }
    case 'merge':
      return mergePatch(clone(found), patch.body) as KubeObject;
    case 'apply':
      return mergePatch(clone(found), patch.body) as KubeObject;
  }
}

/** RFC 7386 JSON merge patch: objects merge recursively, null removes, anything else replaces. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return clone(patch);
  const base: Record<string, unknown> =
    target !== null && typeof target === 'object' && !Array.isArray(target) ? { ...(target as Record<string, unknown>) } : {};
  for (const [key, value] of Object.entries(patch as Record<string, unknown>)) {
    if (value === null) delete base[key];
    else base[key] = mergePatch(base[key], value);
  }
  return base;
}

// ---------------------------------------------------------------------------------------------
// Selectors, as the API server parses them (the subset of the grammar Kubernetes accepts on list).
// ---------------------------------------------------------------------------------------------

type Requirement = (labels: Record<string, string>) => boolean;

/** Splits on commas outside parentheses: `a in (x,y),b` is two requirements. */
function splitRequirements(selector: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const char of selector) {
    if (char === '(') depth += 1;
    if (char === ')') depth -= 1;
    if (char === ',' && depth === 0) {
      parts.push(current.trim());
      current = '';
    } else {
      current += char;
    }
  }
  if (current.trim()) parts.push(current.trim());
  return parts;
}

function parseRequirement(text: string): Requirement {
  const set = /^([\w./-]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(text);
  if (set) {
    const [, key = '', op, list = ''] = set;
    const values = list.split(',').map((v) => v.trim());
    return op === 'in'
      ? (labels) => key in labels && values.includes(labels[key] ?? '')
      : (labels) => !(key in labels) || !values.includes(labels[key] ?? '');
  }
  const equality = /^([\w./-]+)\s*(==|=|!=)\s*([\w.-]*)$/.exec(text);
  if (equality) {
    const [, key = '', op, value = ''] = equality;
    return op === '!=' ? (labels) => labels[key] !== value : (labels) => labels[key] === value;
  }
  const exists = /^(!?)([\w./-]+)$/.exec(text);
  if (exists) {
    const [, not, key = ''] = exists;
    return not ? (labels) => !(key in labels) : (labels) => key in labels;
  }
  throw new ApiError(`unable to parse requirement: ${JSON.stringify(text)}`, 400, 'BadRequest');
}

export function matchesLabels(labels: Record<string, string>, selector: string | undefined): boolean {
  if (!selector?.trim()) return true;
  return splitRequirements(selector).map(parseRequirement).every((requirement) => requirement(labels));
}

/** Field selectors on metadata.name and metadata.namespace, the ones every kind supports. */
export function matchesFields(object: KubeObject, selector: string | undefined): boolean {
  if (!selector?.trim()) return true;
  return splitRequirements(selector).every((text) => {
    const found = /^(metadata\.name|metadata\.namespace)\s*(==|=|!=)\s*(.*)$/.exec(text);
    if (!found) throw new ApiError(`field label not supported: ${text}`, 400, 'BadRequest');
    const [, field, op, value] = found;
    const actual = field === 'metadata.name' ? object.metadata.name : object.metadata.namespace;
    return op === '!=' ? actual !== value : actual === value;
  });
}

// The KubeClient port: the only way the rest of Davy reaches the API server. The adapter in
// node-client.ts implements it with @kubernetes/client-node; tests may use their own doubles.

import type { ApiObjectMeta } from '../api/types.js';

export interface ObjectMeta extends ApiObjectMeta {
  ownerReferences?: OwnerReference[];
}

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [key: string]: unknown;
}

export interface ObjectRef {
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
}

/** The reference that names `object`, for get, replace or delete. */
export const refOf = (object: KubeObject): ObjectRef => ({
  apiVersion: object.apiVersion,
  kind: object.kind,
  name: object.metadata.name ?? '',
  ...(object.metadata.namespace ? { namespace: object.metadata.namespace } : {}),
});

export interface ListOptions {
  labelSelector?: string;
  fieldSelector?: string;
  /** At most this many items per answer (the API server's chunking); the rest through `continue`. */
  limit?: number;
  /** The token of the previous answer's `continue`, for the next chunk. */
  continue?: string;
}

export interface ObjectList<T extends KubeObject = KubeObject> {
  items: T[];
  resourceVersion: string;
  /** Set when more items remain (a `limit` was given): pass it as ListOptions.continue. */
  continue?: string;
}

export interface WriteOptions {
  dryRun?: boolean;
  fieldManager?: string;
}

export type JsonPatchOperation =
  | { op: 'add' | 'replace' | 'test'; path: string; value: unknown }
  | { op: 'remove'; path: string }
  | { op: 'move' | 'copy'; from: string; path: string };

export type Patch =
  | { type: 'json'; ops: JsonPatchOperation[] }
  | { type: 'merge'; body: unknown }
  | { type: 'apply'; body: KubeObject; force?: boolean };

export interface KubeClient {
  /** The object, or undefined when it does not exist. */
  get<T extends KubeObject = KubeObject>(ref: ObjectRef): Promise<T | undefined>;
  /** Every object of a kind, in one namespace or (namespace undefined) in all of them. */
  list<T extends KubeObject = KubeObject>(apiVersion: string, kind: string, namespace?: string, options?: ListOptions): Promise<ObjectList<T>>;
  create<T extends KubeObject>(object: T, options?: WriteOptions): Promise<T>;
  /** A full update guarded by metadata.resourceVersion when it is set: ConflictError on a stale read. */
  replace<T extends KubeObject>(object: T, options?: WriteOptions): Promise<T>;
  /** Replaces the status subresource, guarded by metadata.resourceVersion. */
  replaceStatus<T extends KubeObject>(object: T, options?: WriteOptions): Promise<T>;
  patch<T extends KubeObject = KubeObject>(ref: ObjectRef, patch: Patch, options?: WriteOptions): Promise<T>;
  /** Deletes; resolves false when the object was already gone. */
  delete(ref: ObjectRef, options?: { propagationPolicy?: 'Foreground' | 'Background' | 'Orphan'; dryRun?: boolean }): Promise<boolean>;
}

/** One event of a watch: the API server's watch.Event. A BOOKMARK carries only a resourceVersion. */
export interface WatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: KubeObject;
}

export interface WatchOptions {
  /** Where the watch starts: a LIST's resourceVersion, or the last one a watch delivered. */
  resourceVersion: string;
  labelSelector?: string;
}

/**
 * Watches one kind (in one namespace, or in all when undefined) from a resourceVersion, with
 * bookmarks. Resolves once the API server has accepted the watch, with the stream's end: that
 * promise resolves when the stream ends (the server closed it, it stayed silent for a while, even
 * before its first answer, or `signal` aborted) and rejects when it breaks. Refusals (403, 410 ...)
 * reject the first promise with an ApiError.
 */
export interface KubeWatcher {
  watch(
    apiVersion: string, kind: string, namespace: string | undefined, options: WatchOptions,
    onEvent: (event: WatchEvent) => void, signal: AbortSignal,
  ): Promise<{ ended: Promise<void> }>;
}

/**
 * A GET of an API path that is no object kind: aggregated APIs such as external.metrics.k8s.io,
 * whose "resources" are metric names. NodeKubeClient implements it; the KubeClient port does not.
 */
export interface ApiPathReader {
  getPath<T = unknown>(path: string, query?: Record<string, string>): Promise<T>;
}

/** An error answered by the API server, with its HTTP status and Kubernetes reason. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly reason: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export class NotFoundError extends ApiError {
  override name = 'NotFoundError';
}
/** 409: the object changed since it was read (or already exists on create). */
export class ConflictError extends ApiError {
  override name = 'ConflictError';
}
/** 429: throttled by API priority and fairness. */
export class TooManyRequestsError extends ApiError {
  override name = 'TooManyRequestsError';
}

/** Maps an error answer (a metav1.Status body, usually) to the typed errors of the port. */
export function apiError(status: number, text: string, what: string): ApiError {
  let parsed: { message?: string; reason?: string; details?: unknown } = {};
  try {
    parsed = JSON.parse(text) as typeof parsed;
  } catch {
    // not a Status: keep the raw text as the message
  }
  const message = parsed.message ?? (text.trim() || `${what} failed with HTTP ${status}`);
  const reason = parsed.reason ?? String(status);
  if (status === 404) return new NotFoundError(message, status, reason, parsed.details);
  if (status === 409) return new ConflictError(message, status, reason, parsed.details);
  if (status === 429) return new TooManyRequestsError(message, status, reason, parsed.details);
  return new ApiError(message, status, reason, parsed.details);
}

// The canary-Ingress shape that nginx and skipper share (flagger-compat §5.2): the user's Ingress
// named by `spec.ingressRef` stays as it is, and Davy writes a second Ingress `<ingress>-canary`
// cloned from it, whose backends and annotations carry the split. The provider decides how the
// clone's paths point at the -primary/-canary Services and which annotations hold the weights;
// everything else (reading the original, converging the clone, reading weights back from it,
// deleting it on finalize) is here.
//
// The clone is rebuilt from the user's Ingress on every reconcile, so host, TLS and path edits
// reach it; the weights are carried over from the clone itself (the routing object is the source
// of truth). On finalize the clone is deleted: the user's Ingress routes to the apex Service,
// which selects the stable pods again.
import { effectiveService, type EffectiveService } from '../api/defaults.js';
import type { Canary } from '../api/types.js';
import type { KubeClient, KubeObject } from '../kube/client.js';
import { conflictOf, converged, copyable, ownedMetadata } from '../workloads/meta.js';
import { fail, failed, ok, type Result } from '../workloads/result.js';
import { deleteIfOurs, namespacedRef, write } from './objects.js';
import { splitRouter } from './owned-object.js';
import { STABLE_ROUTES, type RouterDeps, type RouterFactory, type Routes } from './router.js';
import { reconcileServices } from './services.js';

export const INGRESS_API_VERSION = 'networking.k8s.io/v1';

export interface IngressBackend {
  service?: { name: string; port?: { number?: number; name?: string } };
  resource?: unknown;
}

export interface IngressPath {
  path?: string;
  pathType?: string;
  backend: IngressBackend;
}

export interface IngressRule {
  host?: string;
  http?: { paths: IngressPath[] };
}

export interface IngressSpec {
  ingressClassName?: string;
  defaultBackend?: IngressBackend;
  rules?: IngressRule[];
  tls?: unknown[];
}

export interface Ingress extends KubeObject {
  kind: 'Ingress';
  spec?: IngressSpec;
}

/** What one canary-Ingress provider decides; pure functions of their inputs. */
export interface CanaryIngressShape {
  provider: 'nginx' | 'skipper';
  /** The clone's spec from the user's: its apex backends pointed at the copy (and the stable pods). */
  spec(original: IngressSpec, svc: EffectiveService): IngressSpec;
  /** The clone's annotations: the user's (without the provider's own keys) plus those carrying `routes`. */
  annotations(user: Record<string, string>, routes: Routes, canary: Canary): Result<Record<string, string>>;
  /** The annotation keys the provider writes: dropped from the stored clone before converging, so a key no longer wanted goes. */
  owns(key: string): boolean;
  /** The routes the clone's annotations hold. */
  read(clone: Ingress, canary: Canary): Result<Routes>;
}

const ingressRef = (canary: Canary, name: string) => namespacedRef(canary, INGRESS_API_VERSION, 'Ingress', name);
const cloneName = (ingressName: string): string => `${ingressName}-canary`;
const describe = (canary: Canary, name: string): string => `Ingress ${canary.metadata.namespace ?? ''}/${name}`;

/** Every backend of a spec (default backend and path backends), for rewriting in place. */
export function backendsOf(spec: IngressSpec): IngressBackend[] {
  const paths = (spec.rules ?? []).flatMap((rule) => rule.http?.paths ?? []).map((p) => p.backend);
  return spec.defaultBackend ? [spec.defaultBackend, ...paths] : paths;
}

export const routesToApex = (spec: IngressSpec, svc: EffectiveService): boolean =>
  backendsOf(spec).some((b) => b.service?.name === svc.name);

/** A Router over the canary Ingress; `shapeOf` sees the stepper's options (nginx's annotation prefix). */
export function canaryIngressRouter(shapeOf: (deps: RouterDeps) => CanaryIngressShape): RouterFactory {
  return (deps) => {
    const shape = shapeOf(deps);
    const { kube } = deps;
    return splitRouter(kube, shape.provider, 'an Ingress', {
      converge: (canary, routes) => converge(kube, shape, canary, routes),
      async read(canary) {
        const found = await readClone(kube, shape.provider, canary);
        return found.ok ? shape.read(found.value, canary) : failed(found);
      },
      async remove(canary) {
        const name = canary.spec.ingressRef?.name;
        if (name) await deleteIfOurs(kube, canary, ingressRef(canary, cloneName(name)));
      },
    });
  };
}

const missingRef = (provider: string) => fail<never>('InvalidSpec', `spec.ingressRef: ${provider} needs the Ingress that routes to the apex Service`);

/** The user's Ingress, or why it cannot be cloned. */
async function readOriginal(kube: KubeClient, provider: CanaryIngressShape['provider'], canary: Canary): Promise<Result<Ingress>> {
  const name = canary.spec.ingressRef?.name;
  if (!name) return missingRef(provider);
  const found = await kube.get<Ingress>(ingressRef(canary, name));
  if (!found) return fail('InvalidSpec', `spec.ingressRef: ${describe(canary, name)} not found`);
  const svc = effectiveService(canary.spec, provider);
  if (!routesToApex(found.spec ?? {}, svc)) return fail('InvalidSpec', `spec.ingressRef: ${describe(canary, name)} has no backend for Service ${svc.name}`);
  return ok(found);
}

/** The clone, found through the user's Ingress name. */
async function readClone(kube: KubeClient, provider: string, canary: Canary): Promise<Result<Ingress>> {
  const name = canary.spec.ingressRef?.name;
  if (!name) return missingRef(provider);
  const found = await kube.get<Ingress>(ingressRef(canary, cloneName(name)));
  return found ? ok(found) : fail('NotReconciled', `${describe(canary, cloneName(name))} not found`);
}

/** Services, then the clone rebuilt from the user's Ingress with `routes`, or the routes it has now. */
async function converge(kube: KubeClient, shape: CanaryIngressShape, canary: Canary, routes: Routes | undefined): Promise<Result<void>> {
  const services = await reconcileServices(kube, canary, shape.provider, 'primary');
  if (!services.ok) return services;
  const user = await readOriginal(kube, shape.provider, canary);
  if (!user.ok) return failed(user);
  const name = cloneName(user.value.metadata.name ?? '');
  const existing = await kube.get<Ingress>(ingressRef(canary, name));
  const conflict = conflictOf(canary, existing);
  if (conflict) return conflict;
  const current = existing && shape.read(existing, canary);
  const annotations = shape.annotations(copyable(user.value.metadata.annotations), routes ?? (current?.ok ? current.value : STABLE_ROUTES), canary);
  if (!annotations.ok) return failed(annotations);
  const metadata = ownedMetadata(canary, name, { labels: copyable(user.value.metadata.labels), annotations: annotations.value });
  const spec = shape.spec(structuredClone(user.value.spec ?? {}), effectiveService(canary.spec, shape.provider));
  const desired: Ingress = { apiVersion: INGRESS_API_VERSION, kind: 'Ingress', metadata, spec };
  await write(kube, existing ? converged(withoutOwnKeys(existing, shape), desired) : desired, existing);
  return ok(undefined);
}

function withoutOwnKeys(clone: Ingress, shape: CanaryIngressShape): Ingress {
  const annotations = Object.fromEntries(Object.entries(clone.metadata.annotations ?? {}).filter(([key]) => !shape.owns(key)));
  return { ...clone, metadata: { ...clone.metadata, annotations } };
}

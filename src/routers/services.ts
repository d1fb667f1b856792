// The Kubernetes Services every router stands on (apex, -primary, -canary), written through the
// KubeClient port from the pure builders in src/workloads/services.ts.
import { effectiveService } from '../api/defaults.js';
import type { DavyProvider } from '../api/providers.js';
import type { Canary } from '../api/types.js';
import { refOf, type KubeClient } from '../kube/client.js';
import { ownershipOf, selectorLabel, sideSelector } from '../workloads/meta.js';
import { failed, ok, type Result } from '../workloads/result.js';
import { buildServices, finalApex, type ApexSide, type DesiredService } from '../workloads/services.js';
import type { Service } from '../workloads/types.js';
import { deleteIfOurs, namespacedRef, readTarget, write } from './objects.js';

const serviceRef = (canary: Canary, name: string) => namespacedRef(canary, 'v1', 'Service', name);

/**
 * Creates or converges the three Services. `apexSide` moves the apex to one side in a single write
 * (the kubernetes router's blue/green switch); unset keeps the side the apex selects now.
 */
export async function reconcileServices(kube: KubeClient, canary: Canary, provider: DavyProvider, apexSide?: ApexSide): Promise<Result<void>> {
  const target = await readTarget(kube, canary);
  if (!target.ok) return failed(target);
  const svc = effectiveService(canary.spec, provider);
  const [apex, primary, canaryService] = await Promise.all(
    [svc.name, svc.primaryName, svc.canaryName].map((name) => kube.get<Service>(serviceRef(canary, name))),
  );
  const desired = buildServices(canary, target.value, { apex, primary, canary: canaryService }, { provider, apexSide });
  if (!desired.ok) return failed(desired);
  // The -primary and -canary Services first, so an apex switched by this call has backends to match.
  await converge(kube, desired.value.primary, primary);
  await converge(kube, desired.value.canary, canaryService);
  await converge(kube, desired.value.apex, apex);
  return ok(undefined);
}

async function converge(kube: KubeClient, desired: DesiredService, existing: Service | undefined): Promise<void> {
  if (desired.recreate && existing) {
    await kube.delete(refOf(existing));
    await kube.create(desired.object);
    return;
  }
  await write(kube, desired.object, existing);
}

/**
 * Leaves the apex selecting the stable pods (restored if adopted, released to the user if Davy made
 * it: clients call it by name) and deletes the -primary and -canary Services.
 */
export async function finalizeServices(kube: KubeClient, canary: Canary, provider: DavyProvider): Promise<Result<void>> {
  const svc = effectiveService(canary.spec, provider);
  const [apex, primary] = await Promise.all([svc.name, svc.primaryName].map((name) => kube.get<Service>(serviceRef(canary, name))));
  if (apex) {
    const final = finalApex(canary, apex, await stableSelector(kube, canary, primary));
    if (final) await write(kube, final, apex);
  }
  await deleteIfOurs(kube, canary, serviceRef(canary, svc.primaryName));
  await deleteIfOurs(kube, canary, serviceRef(canary, svc.canaryName));
  return ok(undefined);
}

/** The stable pods' selector: the -primary Service's own, else derived from the target (if it still exists). */
async function stableSelector(kube: KubeClient, canary: Canary, primary: Service | undefined): Promise<Record<string, string> | undefined> {
  if (primary?.spec?.selector && ownershipOf(primary, canary).kind === 'ours') return primary.spec.selector;
  const target = await readTarget(kube, canary);
  if (!target.ok) return undefined;
  const label = selectorLabel(target.value);
  return label.ok ? sideSelector(target.value.spec?.selector, label.value, label.value.value) : undefined;
}

// The stepper's side of the address policy (src/api/address-policy.ts): a guard every webhook call
// and every MetricTemplate's provider address passes before the stepper sends anything. A refused
// address is a failed check with the reason, never a request.
import { decideAddress, notAServiceReason, type AddressPolicy } from '../api/address-policy.js';
import type { KubeClient } from '../kube/client.js';
import { describeError } from '../webhooks/http.js';
import type { WebhookCaller } from '../webhooks/caller.js';

/** The reason `address` may not be called, or undefined when it may. Never rejects. */
export type AddressGuard = (address: string) => Promise<string | undefined>;

/** Whether the Service exists; rejects when that cannot be told. */
export type ServiceExists = (namespace: string, name: string) => Promise<boolean>;

export function addressGuard(policy: AddressPolicy, serviceExists: ServiceExists): AddressGuard {
  return async (address) => {
    const verdict = decideAddress(policy, address);
    if (verdict.verdict === 'allowed') return undefined;
    if (verdict.verdict === 'refused') return verdict.reason;
    try {
      if (await serviceExists(verdict.namespace, verdict.name)) return undefined;
      return notAServiceReason(policy, verdict.name, verdict.namespace);
    } catch (error) {
      return `host ${verdict.name}.${verdict.namespace}: cannot tell whether Service ${verdict.name} exists in namespace ${verdict.namespace} (${describeError(error)}), so it is not called`;
    }
  };
}

export const serviceExistsIn = (kube: Pick<KubeClient, 'get'>): ServiceExists => async (namespace, name) =>
  (await kube.get({ apiVersion: 'v1', kind: 'Service', namespace, name })) !== undefined;

/** Every hook call through `guard` first: a refused URL is a failed call that sent nothing. */
export function guardedCaller(inner: WebhookCaller, guard: AddressGuard): WebhookCaller {
  return {
    call: async (call, signal) => {
      const refused = await guard(call.hook.url);
      if (refused !== undefined) return { ok: false, message: `not called: ${refused}`, attempts: 0 };
      return inner.call(call, signal);
    },
  };
}

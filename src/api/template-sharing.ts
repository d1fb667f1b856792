// Which namespaces may use a MetricTemplate (issue 11, finding 4). A template carries its
// namespace's credentials (its secretRef) and its own query; a Canary that could name any
// namespace's template could run that query with that namespace's token and read the result back
// in its own events. Flagger allows it; Davy allows it only where the template opts in.

import { ANNOTATION_SHARED_WITH } from './keys.js';
import { message } from './messages.js';
import { asRecord, asString } from './validate-context.js';


/**
 * Whether a Canary in `namespace` may use `template` (any object with metadata): its own namespace's,
 * or one whose ANNOTATION_SHARED_WITH names the namespace or `*`.
 */
export function templateSharedWith(template: unknown, namespace: string): boolean {
  const metadata = asRecord(asRecord(template)?.metadata);
  if (asString(metadata?.namespace) === namespace) return true;
  const value = asString(asRecord(metadata?.annotations)?.[ANNOTATION_SHARED_WITH]) ?? '';
  const allowed = value.split(',').map((entry) => entry.trim());
  return allowed.includes('*') || allowed.includes(namespace);
}

/** Why the stepper will not run `name` of `namespace` for a Canary in `canaryNamespace`. */
export function notSharedReason(name: string, namespace: string, canaryNamespace: string): string {
  return message('templateNotShared', { name: JSON.stringify(name), namespace, canaryNamespace });
}

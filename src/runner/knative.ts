// A Knative Service target (provider knative): what the runner observes and does in place of a
// Deployment and its copy. Knative makes a revision for every change of the Service's template,
// so the revision under analysis already runs beside the stable one; the pin in
// `flagger.app/primary-revision` (src/routers/knative.ts) is what holds it back.
//
// - the target's revision is `status.latestCreatedRevisionName`; it is held while the pin names
//   another revision;
// - the copy is that latest revision: it exists once created and pinned apart from, and is ready
//   once Knative reports it as the latest ready revision;
// - releasing the hold at promotion moves the pin to the revision, traffic percents kept.
// Readiness comes from the Service's status alone (Revisions are not read): the stable side counts
// as ready once the Service has a ready revision and Knative observed its latest generation.
import { ANNOTATION_STABLE_REVISION, LABEL_CANARY } from '../api/keys.js';
import type { Canary } from '../api/types.js';
import { ANNOTATION_PRIMARY_REVISION, repinned, type KnativeService } from '../routers/knative.js';
import { write } from '../routers/objects.js';
import type { CopyObservation, TargetObservation, WorkloadReadiness } from '../stepper/index.js';
import type { CanaryScope } from './types.js';

export { isKnativeTarget } from '../routers/knative.js';

function readiness(service: KnativeService, ready: boolean): WorkloadReadiness {
  const generation = service.metadata.generation ?? 0;
  const observed = service.status?.observedGeneration ?? 0;
  const count = ready ? 1 : 0;
  return {
    generation, observedGeneration: observed, desired: 1, current: 1, updated: 1, available: count, ready: count,
    progressDeadlineExceeded: false,
  };
}

/** The target and copy observations of a Knative Service. */
export function knativeObservations(
  service: KnativeService, canary: Canary,
): { target: TargetObservation; copy: CopyObservation } {
  const annotations = service.metadata.annotations ?? {};
  const latest = service.status?.latestCreatedRevisionName;
  const latestReady = service.status?.latestReadyRevisionName;
  const pinned = annotations[ANNOTATION_PRIMARY_REVISION];
  const stable = annotations[ANNOTATION_STABLE_REVISION];
  const target: TargetObservation = {
    exists: true,
    kind: service.kind,
    ...(latest ? { templateRevision: latest } : {}),
    ...(stable ? { stableRevision: stable } : {}),
    held: pinned !== undefined && latest !== undefined && pinned !== latest,
    labeled: service.metadata.labels?.[LABEL_CANARY] === canary.metadata.name,
    readiness: readiness(service, latestReady !== undefined),
  };
  // The latest revision is Davy's copy only while the pin holds traffic apart: once finalize removed
  // the pin, nothing of Davy's is left to remove.
  const copy: CopyObservation = latest && pinned
    ? { exists: true, revision: latest, readiness: readiness(service, latestReady === latest) }
    : { exists: false };
  return { target, copy };
}

/** Promotion: the pin moves to `revision` once it is the latest created revision. */
export async function releaseKnativeHold(scope: CanaryScope, revision: string): Promise<void> {
  const service = await scope.view.get<KnativeService>(scope.targetRef);
  if (!service || service.status?.latestCreatedRevisionName !== revision) return;
  const next = repinned(service, revision);
  if (next) await write(scope.view, next, service);
}

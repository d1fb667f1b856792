// POST /mutate: revision interception (DESIGN.md, "Revision interception"). A pure decision from
// the AdmissionRequest alone, plus the JSON Patch that carries it out. No API calls, no clock, no
// side effects: a server-side dry-run gets the same answer, and reinvocation on the patched object
// gives an empty patch. The patch touches only davy.dev/* metadata and the hold's one spec field;
// the pod template is never written.
import {
  ANNOTATION_HELD,
  ANNOTATION_PENDING_REVISION,
  ANNOTATION_SAVED_UPDATE_STRATEGY,
  ANNOTATION_STABLE_REVISION,
  LABEL_CANARY,
  isDavyKey,
} from '../api/keys.js';
import { templateRevision } from '../api/revision.js';
import { currentSpecValue, heldSpecField, holdAnnotations, releasedSpecField, WORKLOAD_KINDS, type SpecField, type WorkloadKind } from './hold.js';
import { fieldPatch, jsonEqual, mapPatch } from './json-patch.js';
import { allowedWithPatch, type AdmissionRequest, type GroupVersionKind, type JsonObject, type JsonPatchOperation, type Outcome, type UserInfo } from './review.js';

/** Who may write holds and davy.dev/* metadata: the stepper's usernames and groups. */
export interface StepperIdentity {
  usernames: readonly string[];
  groups: readonly string[];
}

/** Configuration entries to an identity: `group:NAME` names a group, anything else a username. */
export function stepperIdentity(entries: readonly string[]): StepperIdentity {
  const usernames: string[] = [];
  const groups: string[] = [];
  for (const entry of entries) {
    if (entry.startsWith('group:')) groups.push(entry.slice('group:'.length));
    else usernames.push(entry);
  }
  return { usernames, groups };
}

export const isStepper = (user: UserInfo, identity: StepperIdentity): boolean =>
  (user.username !== '' && identity.usernames.includes(user.username)) || user.groups.some((g) => identity.groups.includes(g));

export type MutateReason =
  | 'not-an-update'
  | 'not-a-workload'
  | 'subresource'
  | 'malformed-object'
  | 'not-canaried'
  | 'stepper-identity'
  | 'no-stable-revision'
  | 'reverted-to-stable'
  | 'at-stable-revision'
  | 'new-revision'
  | 'hold-kept'
  | 'template-unchanged';

export interface MutateDecision {
  verdict: 'allowed' | 'patched';
  reason: MutateReason;
  /** The DESIGN.md rule that decided, when the request reached the rules. */
  rule?: 1 | 3 | 4 | 5;
  patch: JsonPatchOperation[];
  warnings: string[];
  /** davy.dev/* label and annotation keys put back as they were (rule 2). */
  restored: string[];
  revision?: string;
  stableRevision?: string;
}

type StringMap = Record<string, string>;

const isObject = (value: unknown): value is JsonObject => typeof value === 'object' && value !== null && !Array.isArray(value);

const pass = (reason: MutateReason, extra: Partial<MutateDecision> = {}): MutateDecision => ({ verdict: 'allowed', reason, patch: [], warnings: [], restored: [], ...extra });

function workloadKind(kind: GroupVersionKind): WorkloadKind | undefined {
  if (kind.group !== 'apps' || kind.version !== 'v1') return undefined;
  return WORKLOAD_KINDS.find((k) => k === kind.kind);
}

/** A label or annotation map; `null` when present but not a map of strings (the apiserver will refuse it). */
function stringMap(metadata: JsonObject, field: 'labels' | 'annotations'): StringMap | undefined | null {
  const value = metadata[field];
  if (value === undefined || value === null) return undefined;
  if (!isObject(value) || !Object.values(value).every((v) => typeof v === 'string')) return null;
  return value as StringMap;
}

interface Side {
  spec: JsonObject;
  labels: StringMap | undefined;
  annotations: StringMap | undefined;
}

function side(object: JsonObject): Side | undefined {
  const { metadata, spec } = object;
  if (!isObject(metadata) || !isObject(spec)) return undefined;
  const labels = stringMap(metadata, 'labels');
  const annotations = stringMap(metadata, 'annotations');
  if (labels === null || annotations === null) return undefined;
  return { spec, labels, annotations };
}

/** Rule 2: the request's map with every davy.dev/* key exactly as in the old object. */
function restoreDavyKeys(sent: StringMap | undefined, old: StringMap | undefined): { map: StringMap; restored: string[] } {
  const map: StringMap = {};
  for (const [k, v] of Object.entries(sent ?? {})) if (!isDavyKey(k)) map[k] = v;
  for (const [k, v] of Object.entries(old ?? {})) if (isDavyKey(k)) map[k] = v;
  const keys = new Set([...Object.keys(sent ?? {}), ...Object.keys(old ?? {})].filter(isDavyKey));
  const restored = [...keys].filter((k) => sent?.[k] !== old?.[k]).sort();
  return { map, restored };
}

/** The decision for one AdmissionRequest, given who the stepper is. */
export function decideMutation(request: AdmissionRequest, identity: StepperIdentity): MutateDecision {
  if (request.operation !== 'UPDATE') return pass('not-an-update');
  const kind = workloadKind(request.kind);
  if (kind === undefined) return pass('not-a-workload');
  if (request.subResource !== undefined) return pass('subresource');
  const next = request.object && side(request.object);
  const prev = request.oldObject && side(request.oldObject);
  // Malformed objects pass: the apiserver's own validation, which runs after us, refuses them.
  if (!next || !prev) return pass('malformed-object');
  if (prev.labels?.[LABEL_CANARY] === undefined && next.labels?.[LABEL_CANARY] === undefined) return pass('not-canaried');
  if (isStepper(request.userInfo, identity)) return pass('stepper-identity', { rule: 1 });
  const stableRevision = prev.annotations?.[ANNOTATION_STABLE_REVISION];
  // Not bootstrapped: nothing of Davy's to protect or compare against yet.
  if (stableRevision === undefined) return pass('no-stable-revision');
  return decideForUser(request, kind, prev, next, stableRevision);
}

function decideForUser(request: AdmissionRequest, kind: WorkloadKind, prev: Side, next: Side, stableRevision: string): MutateDecision {
  const labels = restoreDavyKeys(next.labels, prev.labels);
  const annotations = restoreDavyKeys(next.annotations, prev.annotations);
  const oldAnnotations = prev.annotations ?? {};
  const revision = templateRevision(next.spec.template);
  const heldByDavy = oldAnnotations[ANNOTATION_HELD] !== undefined;
  const warnings: string[] = [];
  let specField: SpecField | undefined; // undefined: the hold's field passes through as sent
  let reason: MutateReason;
  let rule: 3 | 4 | 5;

  if (revision === stableRevision) {
    rule = 3;
    reason = heldByDavy || oldAnnotations[ANNOTATION_PENDING_REVISION] !== undefined ? 'reverted-to-stable' : 'at-stable-revision';
    if (heldByDavy) {
      const released = releasedSpecField(kind, oldAnnotations);
      specField = released.field;
      if (released.warning) warnings.push(released.warning);
    }
    for (const key of [ANNOTATION_PENDING_REVISION, ANNOTATION_HELD, ANNOTATION_SAVED_UPDATE_STRATEGY]) delete annotations.map[key];
  } else if (!jsonEqual(next.spec.template ?? {}, prev.spec.template ?? {})) {
    // The template changed. Equal JSON is an equal revision, so this needs no second hash.
    rule = 4;
    reason = 'new-revision';
    annotations.map[ANNOTATION_PENDING_REVISION] = revision;
    if (!heldByDavy) Object.assign(annotations.map, holdAnnotations(kind, prev.spec));
    specField = heldSpecField(kind);
  } else {
    rule = 5;
    reason = heldByDavy ? 'hold-kept' : 'template-unchanged';
    if (heldByDavy) specField = heldSpecField(kind);
  }

  const specOps = specField ? fieldPatch(specField.pointer, currentSpecValue(next.spec, specField.pointer), specField.value) : [];
  const patch = [
    ...mapPatch('/metadata/labels', next.labels, labels.map),
    ...mapPatch('/metadata/annotations', next.annotations, annotations.map),
    ...specOps,
  ];
  const restored = [...labels.restored.map((k) => `label ${k}`), ...annotations.restored.map((k) => `annotation ${k}`)];
  warnings.unshift(...userWarnings({ request, kind, reason, revision, stableRevision, restored, canary: prev.labels?.[LABEL_CANARY], holdChanged: specOps.length > 0, pending: annotations.map[ANNOTATION_PENDING_REVISION] }));
  return { verdict: patch.length > 0 ? 'patched' : 'allowed', reason, rule, patch, warnings, restored, revision, stableRevision };
}

interface WarningFacts {
  request: AdmissionRequest;
  kind: WorkloadKind;
  reason: MutateReason;
  revision: string;
  stableRevision: string;
  restored: string[];
  canary: string | undefined;
  holdChanged: boolean;
  pending: string | undefined;
}

/** What kubectl prints as `Warning:` lines, so a held rollout is never a mystery. */
function userWarnings(f: WarningFacts): string[] {
  const target = `${f.kind.toLowerCase()}/${f.request.name}`;
  const canary = f.canary ? ` (Canary ${f.canary})` : '';
  const field = f.kind === 'Deployment' ? 'spec.paused' : 'spec.updateStrategy';
  const out: string[] = [];
  if (f.restored.length > 0) out.push(`davy.dev/* metadata is managed by Davy; kept as it was: ${f.restored.join(', ')}`);
  if (f.reason === 'new-revision') {
    out.push(`Davy holds the rollout of ${target}: revision ${f.revision} waits for analysis${canary}; its pods keep running ${f.stableRevision}`);
  } else if (f.reason === 'hold-kept' && f.holdChanged) {
    out.push(`Davy holds the rollout of ${target} while revision ${f.pending ?? '?'} waits for analysis${canary}; ${field} is kept (use davy promote or davy abort)`);
  } else if (f.reason === 'reverted-to-stable') {
    out.push(`the template of ${target} is the stable revision ${f.stableRevision} again: Davy released its hold, no pod restarts`);
  }
  return out;
}

/** The /mutate answer for a decoded request: always allowed, with the decision's patch. */
export function mutateOutcome(request: AdmissionRequest, identity: StepperIdentity): Outcome {
  const decision = decideMutation(request, identity);
  return {
    verdict: decision.verdict,
    reason: decision.reason,
    review: allowedWithPatch(request.uid, decision.patch, decision.warnings),
    details: { rule: decision.rule, revision: decision.revision, stableRevision: decision.stableRevision, restored: decision.restored },
  };
}

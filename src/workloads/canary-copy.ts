// The canary copy `<target>-canary`: the user's current template (the revision under analysis)
// running beside the stable pods. Its selector and pod labels carry `<value>-canary` on the selector
// label, so neither the user's workload nor the `-primary` Service ever selects its pods.
import {
  ANNOTATION_CONFIG_CHECKSUM,
  ANNOTATION_SAVED_UPDATE_STRATEGY,
  isDavyKey,
  LABEL_SCALE_TO_ZERO,
} from '../api/keys.js';
import type { Canary } from '../api/types.js';
import { copyable, ownedMetadata, selectorLabel, type SelectorLabel } from './meta.js';
import { failed, ok, type Result } from './result.js';
import type { DaemonSet, DaemonSetSpec, Deployment, LabelSelector, PodTemplate, Workload } from './types.js';

export const CANARY_WORKLOAD_SUFFIX = '-canary';

export interface CanaryCopyOptions {
  /**
   * Deployment replicas (0 while idle). A DaemonSet has no replica count: 0 parks the copy on no
   * node (a node selector no node matches), any other value runs it on every eligible node.
   */
  replicas: number;
  /** The tracked configs' checksum (config-tracking.ts): a config change then rolls the copy's pods. */
  configChecksum?: string;
}

export const canaryWorkloadName = (target: Workload): string => `${target.metadata.name ?? ''}${CANARY_WORKLOAD_SUFFIX}`;

/** The desired canary copy of `target` (a Deployment copy for a Deployment, a DaemonSet copy for a DaemonSet). */
export function buildCanaryWorkload(canary: Canary, target: Workload, options: CanaryCopyOptions): Result<Workload> {
  const found = selectorLabel(target, CANARY_WORKLOAD_SUFFIX);
  if (!found.ok) return failed(found);
  const label = found.value;
  const labels = copyable(target.metadata.labels);
  if (label.key in labels) labels[label.key] = label.canaryValue;
  const metadata = ownedMetadata(canary, canaryWorkloadName(target), { labels, annotations: copyable(target.metadata.annotations) });
  const selector = copySelector(target.spec?.selector, label);
  const template = copyTemplate(target.spec?.template, label, options);
  if (target.kind === 'Deployment') {
    const { paused: _paused, replicas: _replicas, selector: _selector, template: _template, ...rest } = target.spec ?? {};
    const copy: Deployment = {
      apiVersion: target.apiVersion,
      kind: 'Deployment',
      metadata,
      spec: { ...rest, replicas: Math.max(0, Math.floor(options.replicas)), selector, template },
    };
    return ok(copy);
  }
  const { selector: _selector, template: _template, updateStrategy, ...rest } = target.spec ?? {};
  if (options.replicas <= 0) {
    template.spec = { ...(template.spec ?? {}), nodeSelector: { ...(template.spec?.nodeSelector ?? {}), [LABEL_SCALE_TO_ZERO]: 'true' } };
  }
  const copy: DaemonSet = {
    apiVersion: target.apiVersion,
    kind: 'DaemonSet',
    metadata,
    spec: { ...rest, selector, template, updateStrategy: copyUpdateStrategy(target, updateStrategy) },
  };
  return ok(copy);
}

/**
 * The copy's selector: the selector label rewritten, the other matchLabels kept (they narrow the
 * selection), expressions on the selector label dropped (they would not match the rewritten value).
 */
function copySelector(selector: LabelSelector | undefined, label: SelectorLabel): LabelSelector {
  const expressions = (selector?.matchExpressions ?? []).filter((e) => e.key !== label.key);
  return {
    matchLabels: { ...(selector?.matchLabels ?? {}), [label.key]: label.canaryValue },
    ...(expressions.length ? { matchExpressions: structuredClone(expressions) } : {}),
  };
}

function copyTemplate(template: PodTemplate | undefined, label: SelectorLabel, options: CanaryCopyOptions): PodTemplate {
  const copy = structuredClone(template ?? {});
  const withoutDavy = (map: Record<string, string> | undefined) => Object.fromEntries(Object.entries(map ?? {}).filter(([key]) => !isDavyKey(key)));
  const annotations = withoutDavy(copy.metadata?.annotations);
  if (options.configChecksum) annotations[ANNOTATION_CONFIG_CHECKSUM] = options.configChecksum;
  const { labels, annotations: _annotations, ...metadata } = copy.metadata ?? {};
  copy.metadata = {
    ...metadata,
    labels: { ...withoutDavy(labels), [label.key]: label.canaryValue },
    ...(Object.keys(annotations).length ? { annotations } : {}),
  };
  return copy;
}

/**
 * The copy must roll to each new template, so it always updates with RollingUpdate: the user's own
 * rolling-update settings (saved by the hold when Davy set OnDelete) when they used RollingUpdate.
 */
function copyUpdateStrategy(target: DaemonSet, current: DaemonSetSpec['updateStrategy']): NonNullable<DaemonSetSpec['updateStrategy']> {
  let strategy = current;
  const saved = target.metadata.annotations?.[ANNOTATION_SAVED_UPDATE_STRATEGY];
  if (saved) {
    try {
      strategy = JSON.parse(saved) as DaemonSetSpec['updateStrategy'];
    } catch {
      strategy = undefined;
    }
  }
  if (strategy?.type === 'RollingUpdate' || (strategy !== undefined && strategy.type === undefined && strategy.rollingUpdate)) {
    return { type: 'RollingUpdate', ...(strategy.rollingUpdate ? { rollingUpdate: structuredClone(strategy.rollingUpdate) } : {}) };
  }
  return { type: 'RollingUpdate' };
}

// Delivering one alert of the stepper's outbox (flagger-compat §9). The stepper queued it with
// Flagger's wording and severity; here it goes to every AlertProvider of the canary's
// `analysis.alerts` whose severity admits it (info receives everything, warn receives warn and
// error, error only error), or, for a canary without alerts, to the stepper's global notifier.
//
// At least once, without duplicates where Davy can prevent them: the entry stays in the state's
// outbox until every admitted provider took it, so a failed post is retried on the next pass. The
// providers that did take it are recorded in the Canary's `davy.dev/alerts-sent` annotation (a
// write guarded by the resourceVersion, like the state's), and a retry skips them. A failure is
// logged and counted (davy_stepper_alerts_total{outcome="failed"}); it never stops a step.

import { Counter } from 'prom-client';
import { ANNOTATION_ALERTS_SENT, GROUP, VERSION } from '../api/keys.js';
import type { AlertProvider, Canary } from '../api/types.js';
import { ConflictError, type KubeObject } from '../kube/client.js';
import { NOTIFIERS } from '../notifiers/index.js';
import { nopNotifier } from '../notifiers/nop.js';
import { DEFAULT_CHANNEL, DEFAULT_USERNAME, type Notification, type NotificationField, type Notifier, type NotifyResult } from '../notifiers/notifier.js';
import { admits, type Action, type Delivery } from '../stepper/index.js';
import { alerts as wording } from '../stepper/events.js';
import { describeError } from '../webhooks/http.js';
import type { ApplyContext, RunnerDeps } from './types.js';

type AlertAction = Extract<Action, { kind: 'alert' }>;

/** The name the global notifier is counted and recorded under. */
const GLOBAL = 'global';

export async function deliverAlert(ctx: ApplyContext, action: AlertAction): Promise<Delivery | undefined> {
  const { scope } = ctx;
  const notification = notificationOf(scope.canary, action);
  // Without alerts and without a global notifier there is nowhere to send it (Flagger's no-op).
  if (scope.analysis.alerts.length === 0 && !ctx.deps.notifier) return { id: action.id, result: { ok: true, message: 'no alerts configured' } };
  const configured = scope.analysis.alerts;
  const admitted = configured.filter((alert) => admits(alert, action.severity)).map((alert) => alert.name);
  const targets = configured.length === 0 ? [GLOBAL] : admitted;
  if (targets.length === 0) return { id: action.id, result: { ok: true, message: 'no alert of this severity' } };
  const sent = sentRecord(ctx.canary);
  const already = new Set(sent[action.id] ?? []);
  const fresh: string[] = [];
  let failed = 0;
  for (const name of targets.filter((t) => !already.has(t))) {
    const { type, outcome } = await postOne(ctx, name, notification);
    countPost(ctx.deps, type, outcome.ok ? 'sent' : 'failed');
    if (outcome.ok) fresh.push(name);
    else {
      failed += 1;
      scope.log.warn('alert not delivered; retried next pass', { id: action.id, alert: name, reason: outcome.message });
    }
  }
  if (failed === 0) return { id: action.id, result: { ok: true } };
  if (fresh.length > 0) await recordSent(ctx, action.id, [...already, ...fresh]);
  return undefined;
}

/** One post; `type` labels the counter (the AlertProvider's type, `global`, or `unknown` when unresolved). */
async function postOne(
  ctx: ApplyContext,
  alertName: string,
  notification: Notification,
): Promise<{ type: string; outcome: NotifyResult }> {
  const resolved =
    alertName === GLOBAL
      ? { type: GLOBAL, notifier: ctx.deps.notifier ?? nopNotifier }
      : await notifierOf(ctx, alertName);
  if ('message' in resolved) return { type: resolved.type, outcome: { ok: false, message: resolved.message } };
  const outcome = await resolved.notifier
    .post(notification)
    .catch((error: unknown) => ({ ok: false as const, message: describeError(error) }));
  return { type: resolved.type, outcome };
}

type Resolved = { type: string; notifier: Notifier } | { type: string; message: string };

/** The AlertProvider an alert names and its Secret, read from the pass's lists, as a Notifier. */
async function notifierOf(ctx: ApplyContext, alertName: string): Promise<Resolved> {
  const alert = ctx.scope.analysis.alerts.find((a) => a.name === alertName);
  if (!alert) return { type: 'unknown', message: `alert ${alertName} is no longer in the spec` };
  const { name, namespace } = alert.providerRef;
  const provider = await ctx.scope.view.get<KubeObject & AlertProvider>({ apiVersion: `${GROUP}/${VERSION}`, kind: 'AlertProvider', name, namespace });
  if (!provider) return { type: 'unknown', message: `AlertProvider ${namespace}/${name} not found` };
  const type = String(provider.spec.type);
  const factory = NOTIFIERS[provider.spec.type];
  if (!factory) return { type, message: `AlertProvider ${namespace}/${name}: type ${String(provider.spec.type)} is not supported` };
  let address = provider.spec.address ?? '';
  let token: string | undefined;
  const secretName = provider.spec.secretRef?.name;
  if (secretName) {
    const secret = await ctx.scope.view.get<KubeObject & { data?: Record<string, string> }>({ apiVersion: 'v1', kind: 'Secret', name: secretName, namespace });
    if (!secret) return { type, message: `AlertProvider ${namespace}/${name}: secret ${secretName} not found` };
    const data = secret.data ?? {};
    if (!data.address) return { type, message: `AlertProvider ${namespace}/${name}: secret ${secretName} has no address` };
    address = Buffer.from(data.address, 'base64').toString('utf8').trim();
    if (data.token) token = Buffer.from(data.token, 'base64').toString('utf8').trim();
  }
  // The post goes to the proxy when there is one, so both must pass: an address a tenant writes
  // into an AlertProvider is a request from inside the cluster network. What is not a URL is left
  // to the notifier, which cannot post to it, and is not echoed: a Secret's address is a credential.
  for (const url of [address, provider.spec.proxy].filter((u): u is string => u !== undefined && URL.canParse(u))) {
    const refused = await ctx.deps.alertGuard?.(url);
    if (refused !== undefined) return { type, message: `AlertProvider ${namespace}/${name}: not posted: ${refused}` };
  }
  const notifier = factory({
    address,
    ...(token ? { token } : {}),
    channel: provider.spec.channel ?? DEFAULT_CHANNEL,
    username: provider.spec.username ?? DEFAULT_USERNAME,
    ...(provider.spec.proxy ? { proxy: provider.spec.proxy } : {}),
  });
  return { type, notifier };
}

/** The alert with Flagger's fields: the canary's metadata on the initialization and new-revision alerts. */
export function notificationOf(canary: Canary, action: AlertAction): Notification {
  const { name, namespace } = canary.metadata;
  const withMetadata = action.message === wording.newRevision || /^New \S+ detected, initialization completed\.$/.test(action.message);
  return {
    canary: { name: name ?? '', namespace: namespace ?? '' },
    message: action.message,
    severity: action.severity,
    fields: withMetadata ? alertMetadata(canary) : [],
  };
}

/** Flagger's alertMetadata: Target, Failed checks threshold, Progress deadline, Traffic routing. */
export function alertMetadata(canary: Canary): NotificationField[] {
  const spec = canary.spec;
  const analysis = spec.analysis ?? {};
  const fields: NotificationField[] = [
    { name: 'Target', value: `${spec.targetRef.kind}/${spec.targetRef.name}.${canary.metadata.namespace ?? ''}` },
    { name: 'Failed checks threshold', value: String(analysis.threshold ?? 0) },
    { name: 'Progress deadline', value: `${spec.progressDeadlineSeconds ?? 600}s` },
  ];
  const max = analysis.maxWeight ?? 100;
  if (analysis.stepWeights?.length) fields.push({ name: 'Traffic routing', value: `Weight steps: ${analysis.stepWeights.join(',')} max: ${max}` });
  else if (analysis.stepWeight) fields.push({ name: 'Traffic routing', value: `Weight step: ${analysis.stepWeight} max: ${max}` });
  else if (analysis.match?.length) fields.push({ name: 'Traffic routing', value: 'A/B Testing' });
  else if (analysis.iterations) fields.push({ name: 'Traffic routing', value: 'Blue/Green' });
  return fields;
}

type SentRecord = Record<string, string[]>;

/** The annotation's record; an unreadable one is treated as empty (at worst, a provider hears twice). */
function sentRecord(canary: Canary): SentRecord {
  const text = canary.metadata.annotations?.[ANNOTATION_ALERTS_SENT];
  if (!text) return {};
  try {
    const parsed = JSON.parse(text) as unknown;
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return {};
    return Object.fromEntries(Object.entries(parsed).filter((e): e is [string, string[]] => Array.isArray(e[1]) && e[1].every((n) => typeof n === 'string')));
  } catch {
    return {};
  }
}

/** Records the providers that took an entry, dropping entries that left the outbox. */
async function recordSent(ctx: ApplyContext, id: string, names: string[]): Promise<void> {
  const pending = new Set(ctx.state.outbox.map((e) => e.id));
  const record = Object.fromEntries(Object.entries(sentRecord(ctx.canary)).filter(([key]) => pending.has(key)));
  record[id] = names;
  const annotations = { ...(ctx.canary.metadata.annotations ?? {}), [ANNOTATION_ALERTS_SENT]: JSON.stringify(record) };
  try {
    ctx.canary = await ctx.scope.view.replace({ ...ctx.canary, metadata: { ...ctx.canary.metadata, annotations } });
  } catch (error) {
    const why = error instanceof ConflictError ? 'the Canary changed' : describeError(error);
    ctx.scope.log.warn('cannot record which alert providers were posted to; a retry may post to them again', { id, reason: why });
  }
}

const ALERTS_TOTAL = 'davy_stepper_alerts_total';

/**
 * Counts one post to a chat service or the CloudEvents sink (src/runner/cloudevents.ts). The counter
 * lives on the stepper's own registry, created there on first use.
 */
export function countPost(deps: RunnerDeps, provider: string, outcome: 'sent' | 'failed'): void {
  const registry = deps.metrics?.registry;
  if (!registry) return;
  const existing = registry.getSingleMetric(ALERTS_TOTAL) as Counter<'provider' | 'outcome'> | undefined;
  const counter = existing ?? new Counter({
    name: ALERTS_TOTAL,
    help: 'Alert posts to chat services, by AlertProvider type (global: the stepper\'s own notifier; cloudevents: the CloudEvents sink) and outcome (sent, failed).',
    labelNames: ['provider', 'outcome'],
    registers: [registry],
  });
  counter.inc({ provider, outcome });
}

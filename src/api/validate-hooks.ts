// spec.analysis.webhooks and spec.analysis.alerts.

import { effectiveWebhook } from './defaults.js';
import { formatDuration } from './durations.js';
import { FieldPath } from './field-errors.js';
import type { CanaryWebhook } from './types.js';
import { checkDuration, checkLabel, checkSubdomain, checkUniqueNames, checkUrl } from './validate-common.js';
import { asArray, asInteger, asRecord, asString, isSet, type CanaryContext, type Json } from './validate-context.js';

const ANALYSIS = FieldPath.root('spec').child('analysis');

export function checkWebhooks(ctx: CanaryContext, analysis: Json, intervalMs: number | undefined): void {
  const list = asArray(analysis.webhooks);
  if (!list) return;
  const path = ANALYSIS.child('webhooks');
  checkUniqueNames(list, path, ctx.report);
  let rolloutMs = 0;
  let valid = true;
  list.forEach((item, i) => {
    const hook = asRecord(item);
    if (!hook) return;
    const at = path.index(i);
    checkUrl(hook.url, at.child('url'), ctx.report);
    const timeout = checkDuration(hook.timeout, at.child('timeout'), ctx.report);
    if (isSet(hook.timeout) && timeout === undefined) valid = false;
    const retries = asInteger(hook.retries);
    if (retries !== undefined && retries < 0) ctx.report.invalid(at.child('retries'), retries, 'mustNotBeNegative');
    const type = asString(hook.type) ?? '';
    if (type === 'confirm-traffic-increase' && ctx.strategy !== 'canary') {
      ctx.report.warn('trafficIncreaseHook', { path: at.toString(), strategy: ctx.strategy });
    }
    if (type === '' || type === 'rollout') rolloutMs += effectiveWebhook(hook as unknown as CanaryWebhook).timeoutMs;
  });
  if (valid && intervalMs !== undefined && rolloutMs > intervalMs) {
    ctx.report.warn('hookTimeouts', { total: formatDuration(rolloutMs), interval: formatDuration(intervalMs) });
  }
}

export function checkAlerts(ctx: CanaryContext, analysis: Json): void {
  const list = asArray(analysis.alerts);
  if (!list) return;
  const path = ANALYSIS.child('alerts');
  checkUniqueNames(list, path, ctx.report);
  list.forEach((item, i) => {
    const alert = asRecord(item);
    if (!alert) return;
    const at = path.index(i);
    if (!asString(alert.severity)) ctx.report.warn('emptySeverity', { path: at.toString() });
    const ref = asRecord(alert.providerRef);
    if (!ref) return;
    checkSubdomain(ref.name, at.child('providerRef').child('name'), ctx.report);
    checkLabel(ref.namespace, at.child('providerRef').child('namespace'), ctx.report);
  });
}

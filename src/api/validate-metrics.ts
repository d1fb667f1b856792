// spec.analysis.metrics: builtin names, custom metrics with exactly one of templateRef or query,
// thresholds, intervals, and the Go-template variables an inline query uses.

import { isBuiltinMetric, BUILTIN_METRICS } from './defaults.js';
import { FieldPath } from './field-errors.js';
import { scanTemplate, TEMPLATE_VARIABLES } from './go-template.js';
import { checkDuration, checkLabel, checkSubdomain, checkUniqueNames } from './validate-common.js';
import { asArray, asNumber, asRecord, asString, isSet, type Json, type Report } from './validate-context.js';

const METRICS = FieldPath.root('spec').child('analysis').child('metrics');

/** Reports template problems in `query` at `path`; `variables` are the keys a canary defines, if known. */
export function checkQueryTemplate(query: string, path: FieldPath, report: Report, variables?: Json): void {
  if (query.trim() === '') {
    report.invalid(path, query, 'emptyQuery');
    return;
  }
  const scan = scanTemplate(query);
  for (const problem of scan.problems) {
    if (problem.kind === 'unclosed') report.invalid(path, query, 'templateUnclosed');
    else if (problem.kind === 'empty') report.invalid(path, query, 'templateEmptyAction');
    else report.invalid(path, query, 'templateUnknownVariable', { variable: problem.variable, known: TEMPLATE_VARIABLES.join(', ') });
  }
  if (!variables) return;
  for (const key of scan.variableKeys) {
    if (!Object.hasOwn(variables, key)) report.invalid(path, query, 'templateMissingVariable', { key });
  }
}

function checkSource(metric: Json, path: FieldPath, report: Report): void {
  const name = asString(metric.name);
  const hasQuery = isSet(metric.query);
  const hasTemplate = isSet(metric.templateRef);
  if (name !== undefined && isBuiltinMetric(name)) {
    if (hasQuery) report.forbidden(path.child('query'), 'builtinWithQuery', { name, field: 'query' });
    if (hasTemplate) report.forbidden(path.child('templateRef'), 'builtinWithQuery', { name, field: 'templateRef' });
    return;
  }
  if (!hasQuery && !hasTemplate && name !== undefined) report.notSupported(path.child('name'), name, BUILTIN_METRICS, 'notBuiltinMetric');
  if (hasQuery && hasTemplate) report.forbidden(path.child('query'), 'queryAndTemplate');
}

function checkThresholds(metric: Json, path: FieldPath, report: Report): void {
  const range = asRecord(metric.thresholdRange);
  if (isSet(metric.threshold)) {
    if (range) report.forbidden(path.child('threshold'), 'thresholdAndRange');
    else report.warn('deprecatedThreshold', { path: path.toString() });
  }
  const min = asNumber(range?.min);
  const max = asNumber(range?.max);
  if (min !== undefined && max !== undefined && min > max) report.invalid(path.child('thresholdRange').child('min'), min, 'rangeMinAboveMax', { max });
  if (!isSet(metric.threshold) && min === undefined && max === undefined) report.warn('noThreshold', { path: path.toString() });
}

export function checkMetrics(analysis: Json, report: Report): void {
  const list = asArray(analysis.metrics);
  if (!list) return;
  checkUniqueNames(list, METRICS, report);
  list.forEach((item, i) => {
    const metric = asRecord(item);
    if (!metric) return;
    const path = METRICS.index(i);
    checkSource(metric, path, report);
    checkThresholds(metric, path, report);
    checkDuration(metric.interval, path.child('interval'), report);
    const query = asString(metric.query);
    if (query !== undefined) {
      checkQueryTemplate(query, path.child('query'), report, asRecord(metric.templateVariables) ?? {});
      report.warn('deprecatedQuery', { path: path.toString() });
    }
    const ref = asRecord(metric.templateRef);
    if (ref) {
      checkSubdomain(ref.name, path.child('templateRef').child('name'), report);
      checkLabel(ref.namespace, path.child('templateRef').child('namespace'), report);
    }
  });
}

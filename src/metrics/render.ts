// Query rendering: Flagger's Go-template variables, then Flagger-name rewriting (rewrite.ts).
//
// Flagger renders MetricTemplate and inline queries with Go's text/template, `missingkey=error`,
// and the functions `name`, `namespace`, `target`, `service`, `ingress`, `route`, `interval` and
// `variables`. Davy renders those same actions (`{{ target }}`, `{{ variables.direction }}`,
// `{{ index variables "my-key" }}`, comments and `{{- -}}` trim markers) and refuses anything
// else (`if`, `range`, pipelines) with an error rather than guessing. An unknown variable, a
// missing `variables` key, or `ingress`/`route` on a canary without ingressRef/routeRef is an
// error, never an empty string.
//
// A `templateVariables` value is the Canary author's, and the template's author decides where it
// goes: it may fill a value, never change the query's structure. Inside a PromQL string (a label
// value, `direction="{{ variables.direction }}"`) it is escaped as a string's content; anywhere
// else it must be a bare word (letters, digits, `_ . : ,`), so `1) or vector(1` is refused, not run.
//
// `{{ target }}` is the workload under test. With rewriting on (the default), it renders as
// Flagger's name `<target>` and the rewrite turns it into `<target>-canary` wherever it is a
// label value, exactly like a hand-written `app="podinfo"`; so `{{ target }}-primary` also keeps
// Flagger's meaning (the stable `<target>`). With `rewriteQueries: false` it renders as
// `<target>-canary` and the text is otherwise left as written.

import type { EffectiveAnalysis } from '../api/defaults.js';
import { formatDuration } from '../api/durations.js';
import type { Canary } from '../api/types.js';
import { collapseWhitespace } from './provider.js';
import { rewriteFlaggerNames } from './rewrite.js';

export type RenderResult = { ok: true; query: string } | { ok: false; message: string };

/** Where a canary's queries point: what Flagger's template functions return, Davy's way. */
export interface QueryScope {
  /** The Canary's name (`{{ name }}`). */
  name: string;
  namespace: string;
  /** `spec.targetRef.name`: the stable workload in Davy, Flagger's `{{ target }}` name. */
  targetName: string;
  /** The copy that runs the revision under analysis, `<target>-canary`. */
  canaryWorkloadName: string;
  /** The apex Service (`spec.service.name`, default the target's name). */
  serviceName: string;
  ingressName?: string;
  routeName?: string;
}

/** A canary's scope: what its queries' template functions return. */
export function queryScope(canary: Canary, analysis: Pick<EffectiveAnalysis, 'canaryWorkloadName' | 'service'>): QueryScope {
  const ingress = canary.spec.ingressRef?.name;
  const route = canary.spec.routeRef?.name;
  return {
    name: canary.metadata.name ?? '',
    namespace: canary.metadata.namespace ?? '',
    targetName: canary.spec.targetRef.name,
    canaryWorkloadName: analysis.canaryWorkloadName,
    serviceName: analysis.service.name,
    ...(ingress ? { ingressName: ingress } : {}),
    ...(route ? { routeName: route } : {}),
  };
}

export interface TemplateValues {
  name: string;
  namespace: string;
  target: string;
  service: string;
  ingress?: string;
  route?: string;
  interval: string;
  variables: Readonly<Record<string, string>>;
}

type Scalar = Exclude<keyof TemplateValues, 'variables'>;
const SCALARS: readonly Scalar[] = ['name', 'namespace', 'target', 'service', 'ingress', 'route', 'interval'];
const WHY_EMPTY: Partial<Record<Scalar, string>> = {
  ingress: 'the canary has no spec.ingressRef',
  route: 'the canary has no spec.routeRef (a Knative target: its Service has no revision yet)',
};

/** A Prometheus duration for a window: "1m", "30s", "1m30s"; "1500ms" where seconds would be fractional. */
export function promDuration(ms: number): string {
  if (ms > 0 && ms % 1000 !== 0) return `${Math.round(ms)}ms`;
  return formatDuration(ms);
}

/** The template values of one metric. `rewrite` decides how `{{ target }}` renders (see above). */
export function templateValues(scope: QueryScope, intervalMs: number, variables: Readonly<Record<string, string>>, rewrite: boolean): TemplateValues {
  return {
    name: scope.name,
    namespace: scope.namespace,
    target: rewrite ? scope.targetName : scope.canaryWorkloadName,
    service: scope.serviceName,
    ...(scope.ingressName ? { ingress: scope.ingressName } : {}),
    ...(scope.routeName ? { route: scope.routeName } : {}),
    interval: promDuration(intervalMs),
    variables,
  };
}

/**
 * A MetricTemplate or inline query, rendered and (when `rewrite`) with Flagger's names rewritten,
 * whitespace collapsed: the text the provider receives and `davy status` prints.
 */
export function renderQuery(text: string, scope: QueryScope, intervalMs: number, variables: Readonly<Record<string, string>>, rewrite: boolean): RenderResult {
  const rendered = renderTemplate(text, templateValues(scope, intervalMs, variables, rewrite));
  if (!rendered.ok) return rendered;
  const query = collapseWhitespace(rendered.query);
  return { ok: true, query: rewrite ? rewriteFlaggerNames(query, scope.targetName) : query };
}

/** A builtin observer query: Davy's own text, where `{{ target }}` is the canary copy; never rewritten. */
export function renderBuiltin(template: string, scope: QueryScope, intervalMs: number): RenderResult {
  const rendered = renderTemplate(template, templateValues(scope, intervalMs, {}, false));
  return rendered.ok ? { ok: true, query: collapseWhitespace(rendered.query) } : rendered;
}

/** The PromQL string an action stands in: its opening quote, or undefined outside any string. */
type Quote = '"' | "'" | '`' | undefined;

/** The string context after `literal`, starting in `quote`. Backquoted strings have no escapes. */
function quoteAfter(literal: string, quote: Quote): Quote {
  let current = quote;
  for (let i = 0; i < literal.length; i += 1) {
    const c = literal[i];
    if (current === undefined) {
      if (c === '"' || c === "'" || c === '`') current = c;
    } else if (c === '\\' && current !== '`') {
      i += 1;
    } else if (c === current) {
      current = undefined;
    }
  }
  return current;
}

const BARE_WORD = /^[A-Za-z0-9_.:,]+$/;

/** A templateVariables value placed in `quote`: escaped as string content, or a bare word. */
function placeVariable(show: string, value: string, quote: Quote): RenderResult {
  if (quote === '`') {
    return value.includes('`') ? { ok: false, message: `${show}: the value ${JSON.stringify(value)} would end the backquoted string it stands in` } : { ok: true, query: value };
  }
  if (quote !== undefined) {
    const escaped = value.replace(/[\\"'\n\r\t]/g, (c) => ({ '\n': '\\n', '\r': '\\r', '\t': '\\t' })[c] ?? `\\${c}`);
    return { ok: true, query: escaped };
  }
  if (BARE_WORD.test(value)) return { ok: true, query: value };
  return {
    ok: false,
    message: `${show}: the value ${JSON.stringify(value)} is outside a quoted string and not a bare word (letters, digits, _ . : ,): it could change the query's structure; quote it in the template`,
  };
}

/** Go text/template, restricted to Flagger's variables. */
export function renderTemplate(text: string, values: TemplateValues): RenderResult {
  let out = '';
  let at = 0;
  let quote: Quote;
  for (;;) {
    const open = text.indexOf('{{', at);
    if (open < 0) return { ok: true, query: out + text.slice(at) };
    quote = quoteAfter(text.slice(at, open), quote);
    const isComment = text.startsWith('/*', skipTrimMarker(text, open + 2));
    const close = isComment ? text.indexOf('*/', open) : text.indexOf('}}', open + 2);
    const closeEnd = isComment && close >= 0 ? text.indexOf('}}', close + 2) : close;
    if (close < 0 || closeEnd < 0) return { ok: false, message: `unclosed action at offset ${open}: ${excerpt(text, open)}` };
    const trimLeft = /^-\s/.test(text.slice(open + 2, open + 4));
    const trimRight = /\s-$/.test(text.slice(Math.max(open + 2, closeEnd - 2), closeEnd));
    out += trimLeft ? text.slice(at, open).trimEnd() : text.slice(at, open);
    const action = text.slice(open + 2 + (trimLeft ? 1 : 0), closeEnd - (trimRight ? 1 : 0)).trim();
    const value = isComment ? { ok: true as const, query: '' } : evaluateAction(action, values, quote);
    if (!value.ok) return value;
    out += value.query;
    at = closeEnd + 2;
    if (trimRight) at = skipWhitespace(text, at);
  }
}

function evaluateAction(action: string, values: TemplateValues, quote: Quote): RenderResult {
  const show = `{{ ${action} }}`;
  if (action === '') return { ok: false, message: `${show}: empty action` };
  const scalar = SCALARS.find((s) => s === action);
  if (scalar) {
    const value = values[scalar];
    if (value === undefined || value === '') return { ok: false, message: `${show}: no value (${WHY_EMPTY[scalar] ?? 'empty'})` };
    return { ok: true, query: value };
  }
  const key = /^variables\.([A-Za-z_][A-Za-z0-9_]*)$/.exec(action)?.[1] ?? /^index\s+variables\s+"([^"\\]*)"$/.exec(action)?.[1];
  if (key !== undefined) {
    const value = Object.hasOwn(values.variables, key) ? values.variables[key] : undefined;
    if (value === undefined) {
      const known = Object.keys(values.variables);
      return { ok: false, message: `${show}: map has no entry for key "${key}" (templateVariables has ${known.length ? known.join(', ') : 'none'})` };
    }
    return placeVariable(show, value, quote);
  }
  if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(action)) {
    return { ok: false, message: `${show}: unknown variable "${action}" (known: ${SCALARS.join(', ')}, variables.<key>)` };
  }
  return { ok: false, message: `${show}: unsupported action; Davy renders Flagger's variables only` };
}

function skipTrimMarker(text: string, at: number): number {
  return /^-\s/.test(text.slice(at, at + 2)) ? skipWhitespace(text, at + 1) : skipWhitespace(text, at);
}

function skipWhitespace(text: string, from: number): number {
  let at = from;
  while (at < text.length && /\s/.test(text[at] ?? '')) at += 1;
  return at;
}

function excerpt(text: string, at: number): string {
  return JSON.stringify(text.slice(at, at + 40));
}

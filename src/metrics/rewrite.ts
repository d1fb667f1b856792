// Flagger-name rewriting (DESIGN.md, "Compatibility with Flagger's names"). Flagger calls the
// workload under test `<target>` and the stable one `<target>-primary`; in Davy they are
// `<target>-canary` and `<target>`. So that a Flagger query keeps its meaning, label matcher values
// that name those workloads are rewritten:
//
//   destination_name="podinfo"          -> destination_name="podinfo-canary"
//   app=~"podinfo|podinfo-primary"      -> app=~"podinfo-canary|podinfo"
//   pod=~"podinfo-[0-9a-zA-Z]+(-.+)"    -> pod=~"podinfo-canary-[0-9a-zA-Z]+(-.+)"
//
// Only whole tokens are rewritten: the name must not touch another name character on its left
// (letters, digits, `.`, `-`) nor on its right, except a `-` that starts a regex construct (the
// pod-name pattern above). So `podinfo-canary`, `my-podinfo` and `podinfo.test` stay as written.
// Only label matcher values change, never metric names, functions or other strings, and never the
// values of labels that name Services (`destination_service_name`, `service`, ...): Davy keeps
// Flagger's Service names, so those already mean what Flagger meant.

import { CANARY_SUFFIX, PRIMARY_SUFFIX } from '../api/defaults.js';

interface Edit {
  start: number;
  end: number;
  text: string;
}

const QUOTES = new Set(['"', "'", '`']);
const LABEL_NAME = /[A-Za-z_][A-Za-z0-9_]*/y;
const OPERATOR = /=~|!~|!=|=/y;

/** Labels whose values are left alone: the metric name and anything naming a Service. */
const isExempt = (label: string): boolean => label === '__name__' || /service/i.test(label);

export function rewriteFlaggerNames(query: string, target: string): string {
  if (!target) return query;
  const token = tokenPattern(target);
  const edits: Edit[] = [];
  for (const matcher of labelMatchers(query)) {
    if (isExempt(matcher.label)) continue;
    const value = query.slice(matcher.start, matcher.end);
    const rewritten = value.replace(token, (_whole, primary: string | undefined) => (primary ? target : `${target}${CANARY_SUFFIX}`));
    if (rewritten !== value) edits.push({ start: matcher.start, end: matcher.end, text: rewritten });
  }
  let out = query;
  for (const edit of edits.reverse()) out = `${out.slice(0, edit.start)}${edit.text}${out.slice(edit.end)}`;
  return out;
}

function tokenPattern(target: string): RegExp {
  const name = target.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const primary = PRIMARY_SUFFIX.replace(/-/g, '\\-');
  return new RegExp(`(?<![A-Za-z0-9.-])${name}(${primary})?(?![A-Za-z0-9.]|-[A-Za-z0-9])`, 'g');
}

export interface LabelMatcher {
  label: string;
  operator: string;
  /** Offsets of the value's text between its quotes. */
  start: number;
  end: number;
}

/**
 * The label matchers of every selector in a PromQL text, skipping string literals and comments
 * outside selectors. A selector it cannot read ends the scan: the rest is left as written, and
 * Prometheus reports the syntax error.
 */
export function labelMatchers(query: string): LabelMatcher[] {
  const found: LabelMatcher[] = [];
  let at = 0;
  while (at < query.length) {
    const ch = query[at] ?? '';
    if (QUOTES.has(ch)) {
      at = skipString(query, at);
      if (at < 0) break;
    } else if (ch === '#') {
      const eol = query.indexOf('\n', at);
      at = eol < 0 ? query.length : eol + 1;
    } else if (ch === '{') {
      const end = readSelector(query, at + 1, found);
      if (end < 0) break;
      at = end;
    } else {
      at += 1;
    }
  }
  return found;
}

/** Reads `label op "value", ...}` from `at`; returns the offset after `}`, or -1 if unreadable. */
function readSelector(query: string, from: number, found: LabelMatcher[]): number {
  let at = from;
  for (;;) {
    at = skipSpace(query, at, true);
    const ch = query[at];
    if (ch === undefined) return -1;
    if (ch === '}') return at + 1;
    let label: string;
    if (QUOTES.has(ch)) {
      // Prometheus 3: a quoted metric name, or a quoted label name before an operator.
      const end = skipString(query, at);
      if (end < 0) return -1;
      label = query.slice(at + 1, end - 1);
      at = end;
    } else {
      LABEL_NAME.lastIndex = at;
      const name = LABEL_NAME.exec(query);
      if (!name) return -1;
      label = name[0];
      at = LABEL_NAME.lastIndex;
    }
    at = skipSpace(query, at, false);
    OPERATOR.lastIndex = at;
    const operator = OPERATOR.exec(query);
    if (!operator) continue;
    at = skipSpace(query, OPERATOR.lastIndex, false);
    if (!QUOTES.has(query[at] ?? '')) return -1;
    const end = skipString(query, at);
    if (end < 0) return -1;
    found.push({ label, operator: operator[0], start: at + 1, end: end - 1 });
    at = end;
  }
}

function skipSpace(query: string, from: number, commas: boolean): number {
  let at = from;
  while (at < query.length && (/\s/.test(query[at] ?? '') || (commas && query[at] === ','))) at += 1;
  return at;
}

/** The offset after the string literal opening at `from`, -1 if unterminated; backquoted strings have no escapes. */
function skipString(query: string, from: number): number {
  const quote = query[from];
  let at = from + 1;
  while (at < query.length) {
    const ch = query[at];
    if (ch === '\\' && quote !== '`') {
      at += 2;
      continue;
    }
    if (ch === quote) return at + 1;
    at += 1;
  }
  return -1;
}

// `davy status NAME`: one canary in detail, as lines. Pure: a CanaryView (status-model.ts) and
// the clock in, text out. With `relative` off (a watch written to a file or pipe), times are
// absolute, so a frame changes only when the canary does.

import type { Paint } from './format/ansi.js';
import { checkSummary, formatThreshold, formatValue, paintVerdict } from './format/checks.js';
import { bar } from './format/progress.js';
import { fields, table, type Column } from './format/table.js';
import { isoSeconds, relative, span } from './format/time.js';
import type { CheckRecord, TransitionRecord } from '../stepper/index.js';
import type { CanaryView, Waiting } from './status-model.js';

export interface RenderOptions {
  now: Date;
  paint: Paint;
  /** "in 12s" next to times (a live terminal); absolute times only when false. */
  relative: boolean;
  /** The command name to suggest: `davy` or `kubectl davy`. */
  program: string;
}

/** The longest label ("Pending action"), so the values sit in the same column whichever show. */
const LABEL_WIDTH = 14;

/** Checks shown in detail; the JSON output has the whole bounded history. */
export const DETAIL_CHECKS = 12;

export function when(at: string | undefined, o: RenderOptions): string {
  if (at === undefined) return '';
  const rel = o.relative ? relative(at, o.now) : '';
  return rel ? `${isoSeconds(at)} (${rel})` : isoSeconds(at);
}

const label = (view: CanaryView): string => `${view.namespace}/${view.name}`;

/** `[████░░░░] weight 15% of 50% (step 3 of 10)` or `[██░░] iteration 2 of 5`. */
export function progressText(view: CanaryView, paint: Paint): string {
  const p = view.progress;
  const done = view.phase === 'Promoting' || view.phase === 'Finalising' || view.phase === 'Succeeded';
  if (p.kind === 'weight') {
    const fraction = done ? 1 : p.maxWeight > 0 ? p.weight / p.maxWeight : 0;
    const rungs = p.rungs > 0 && !done ? ` (step ${p.rung} of ${p.rungs})` : '';
    return `${paint.cyan(bar(fraction))} weight ${p.weight}% of ${p.maxWeight}%${rungs}${p.mirror ? ', mirrored' : ''}`;
  }
  const fraction = done ? 1 : p.iterations > 0 ? p.iteration / p.iterations : 0;
  const what = p.abTesting ? ' (matched traffic to the canary)' : '';
  return `${paint.cyan(bar(fraction))} iteration ${p.iteration} of ${p.iterations}${what}`;
}

function phaseText(view: CanaryView, o: RenderOptions): string {
  const phase = view.phase || 'not stepped yet';
  const since = view.phaseSince ? ` since ${when(view.phaseSince, o)}` : '';
  const why = view.reason ? `: ${view.reason}${view.message ? `, ${view.message}` : ''}` : '';
  const painted = view.phase === 'Failed' ? o.paint.red(phase) : view.phase === 'Succeeded' ? o.paint.green(phase) : o.paint.bold(phase);
  return `${painted}${since}${why}`;
}

function stateText(view: CanaryView): string | undefined {
  if (view.stateKind === 'corrupt') return `unreadable (${view.stateError ?? ''}); the stepper re-initialises it from the cluster on its next step`;
  if (view.stateKind === 'empty') return 'none yet: the stepper has not stepped this canary';
  return undefined;
}

/** A step this late means no stepper is stepping (its CronJob runs every minute). */
const OVERDUE_MS = 2 * 60_000;

function dueText(at: string, o: RenderOptions): string {
  const late = o.now.getTime() - Date.parse(at);
  if (!o.relative) return ` due at ${isoSeconds(at)}`;
  if (late < 1000) return ` ${relative(at, o.now)}`;
  return `, due ${relative(at, o.now)}${late > OVERDUE_MS ? ' (overdue: is the stepper running?)' : ''}`;
}

export function waitingText(w: Waiting, o: RenderOptions): string {
  const at = w.at ? dueText(w.at, o) : '';
  const deadline = w.deadline ? `, deadline ${when(w.deadline, o)}` : '';
  return `${w.text}${at}${deadline}`;
}

export function estimateText(view: CanaryView, o: RenderOptions, short = false): string {
  const e = view.estimate;
  if (e.kind === 'eta' && short) return `${o.relative ? `in ~${span(e.remainingMs)}` : `at ${isoSeconds(e.at)}`} if every check passes`;
  if (e.kind === 'eta') return `expected ${when(e.at, o)} if every remaining check passes (a lower bound: rollouts take time)`;
  if (e.kind === 'afterApproval') return `about ${span(e.afterMs)} after approval, if every remaining check passes`;
  return `no estimate: ${e.why}`;
}

function actionLines(view: CanaryView, o: RenderOptions): [string, string][] {
  const out: [string, string][] = [];
  const last = view.lastAction;
  if (last) out.push(['Last action', `${last.action} by ${last.by ?? 'unknown'} ${when(last.at, o)}: ${last.outcome}, ${last.message}`]);
  const pending = view.pendingAction;
  if (pending && 'error' in pending) out.push(['Pending action', o.paint.yellow(`${pending.error}; the stepper ignores it`)]);
  else if (pending) {
    const at = pending.at ? ` ${when(pending.at, o)}` : '';
    out.push(['Pending action', `${pending.action} by ${pending.by ?? 'unknown'}${at}, not handled by the stepper yet`]);
  }
  return out;
}

function revisionText(view: CanaryView): string {
  if (view.revision === undefined) return '';
  if (view.revision === view.stableRevision) return `${view.revision} (stable)`;
  const role = view.phase === 'Failed' ? 'failed' : view.phase === 'Initialized' || view.phase === 'Succeeded' ? 'last analysed' : 'under analysis';
  return `${view.revision} ${role}, stable ${view.stableRevision ?? 'unknown'}`;
}

/** The command that gets a canary out of where it stands, when there is one. */
function hint(view: CanaryView, o: RenderOptions): [string, string][] {
  const ref = `${view.name}${view.namespace === 'default' ? '' : ` -n ${view.namespace}`}`;
  if (view.phase === 'Failed' && view.reason !== 'BootstrapDeadline') return [['Retry', `\`${o.program} retry ${ref}\` re-runs the revision with no template change`]];
  if (view.paused) return [['Resume', `\`${o.program} resume ${ref}\``]];
  return [];
}

function summary(view: CanaryView, o: RenderOptions): string[] {
  const state = stateText(view);
  const revision = revisionText(view);
  const failed = `${view.failedChecks} of ${view.threshold}`;
  const pairs: [string, string][] = [
    ['Canary', o.paint.bold(label(view))],
    ['Target', `${view.target} (${view.provider}, ${view.strategy}, interval ${view.interval})`],
    ...(state ? [['State', o.paint.yellow(state)] as [string, string]] : []),
    ['Phase', phaseText(view, o)],
    ['Progress', progressText(view, o.paint)],
    ['Failed checks', view.failedChecks > 0 ? o.paint.red(failed) : failed],
    ...(revision ? [['Revision', revision] as [string, string]] : []),
    ...(view.suspended ? [['Suspended', 'spec.suspend is true'] as [string, string]] : []),
    ...(view.paused ? [['Paused', `by ${view.paused.by ?? 'unknown'} ${when(view.paused.at, o)}: weights and iterations hold, the checks go on`] as [string, string]] : []),
  ];
  view.waiting.forEach((w, i) => pairs.push([i === 0 ? 'Waiting for' : '', waitingText(w, o)]));
  pairs.push(['Promotion', estimateText(view, o)]);
  pairs.push(...actionLines(view, o), ...hint(view, o));
  return fields(pairs, LABEL_WIDTH);
}

function checkColumns(o: RenderOptions): Column<CheckRecord>[] {
  return [
    { header: 'time', value: (c) => isoSeconds(c.at) },
    { header: 'check', value: (c) => (c.kind === 'hook' ? `${c.hookType ?? 'webhook'} ${c.name}` : c.name) },
    { header: 'value', value: (c) => formatValue(c.value), align: 'right' },
    { header: 'threshold', value: (c) => formatThreshold(c.min, c.max) },
    { header: 'verdict', value: (c) => c.verdict, style: (cell, c) => paintVerdict(o.paint, c.verdict, cell) },
    { header: 'message', value: (c) => c.message ?? '' },
  ];
}

/** The checks of the revision under analysis (all of them when none is recorded), oldest first. */
export function runChecks(view: CanaryView): CheckRecord[] {
  const ofRun =
    view.revision === undefined
      ? view.checks
      : view.checks.filter((check) => check.revision === undefined || check.revision === view.revision);
  return ofRun.length > 0 ? ofRun : view.checks;
}

function checkLines(view: CanaryView, o: RenderOptions): string[] {
  const all = runChecks(view);
  if (all.length === 0) return ['Checks: none recorded yet'];
  const shown = all.slice(-DETAIL_CHECKS);
  const of = shown.length < all.length ? `, the last ${shown.length} of ${all.length}` : '';
  const queries = new Map<string, string>();
  for (const c of all) if (c.query) queries.set(c.name, c.query);
  return [
    `Checks${view.revision ? ` of revision ${view.revision}` : ''}${of}:`,
    ...table(checkColumns(o), shown),
    ...(queries.size > 0 ? ['', 'Queries (as last sent):', ...[...queries].map(([name, q]) => `  ${name}: ${q}`)] : []),
  ];
}

const TRANSITION_COLUMNS: Column<TransitionRecord>[] = [
  { header: 'time', value: (t) => isoSeconds(t.at) },
  { header: 'from', value: (t) => t.from || '(new)' },
  { header: 'to', value: (t) => t.to },
  { header: 'reason', value: (t) => t.reason },
  { header: 'message', value: (t) => t.message ?? '' },
];

export function renderDetail(view: CanaryView, o: RenderOptions): string[] {
  const transitions = view.transitions.length === 0 ? ['Transitions: none yet'] : ['Transitions:', ...table(TRANSITION_COLUMNS, view.transitions)];
  return [...summary(view, o), '', ...checkLines(view, o), '', ...transitions];
}

/** The latest tick's checks, on one line: what a watch shows under each canary. */
export function lastChecksLine(view: CanaryView, o: RenderOptions): string | undefined {
  const checks = runChecks(view);
  const last = checks.at(-1);
  if (!last) return undefined;
  const tick = checks.filter((c) => c.at === last.at);
  return `checks at ${isoSeconds(last.at)}: ${tick.map((c) => checkSummary(o.paint, { ...c, name: c.kind === 'hook' ? `${c.hookType ?? 'webhook'} ${c.name}` : c.name })).join(', ')}`;
}

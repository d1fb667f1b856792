// `davy status` without a name: the table `kubectl get canaries` shows, computed from each
// canary's state annotation; and the frame `davy status --watch` redraws, a progress bar per
// canary. Pure: views and the clock in, lines out.

import { formatValue } from './format/checks.js';
import { table, type Column } from './format/table.js';
import { isoSeconds } from './format/time.js';
import type { CanaryView } from './status-model.js';
import { estimateText, lastChecksLine, progressText, waitingText, type RenderOptions } from './status-render.js';

const columns = (allNamespaces: boolean, o: RenderOptions): Column<CanaryView>[] => [
  ...(allNamespaces ? [{ header: 'namespace', value: (v: CanaryView) => v.namespace }] : []),
  { header: 'name', value: (v) => v.name },
  {
    header: 'status',
    value: (v) => (v.stateKind === 'corrupt' ? `${v.status.phase || 'Unreadable'}*` : v.status.phase || ''),
    style: (cell, v) => (v.status.phase === 'Failed' ? o.paint.red(cell) : v.status.phase === 'Succeeded' ? o.paint.green(cell) : cell),
  },
  { header: 'weight', value: (v) => formatValue(v.status.canaryWeight ?? 0) },
  { header: 'failedChecks', value: (v) => formatValue(v.status.failedChecks ?? 0) },
  { header: 'interval', value: (v) => v.interval },
  { header: 'lastTransitionTime', value: (v) => isoSeconds(v.status.lastTransitionTime) },
];

/** The table, then a note per canary whose state annotation cannot be read. */
export function renderTable(views: readonly CanaryView[], allNamespaces: boolean, o: RenderOptions): string[] {
  if (views.length === 0) return [];
  const notes = views
    .filter((v) => v.stateKind === 'corrupt')
    .map((v) => o.paint.yellow(`* ${v.namespace}/${v.name}: davy.dev/state is unreadable (${v.stateError ?? ''}); the status shown is the stored one, if any`));
  return [...table(columns(allNamespaces, o), views), ...(notes.length > 0 ? ['', ...notes] : [])];
}

const pad = (text: string, width: number): string => text + ' '.repeat(Math.max(0, width - [...text].length));

/** One canary in a watch: a progress line, then its latest checks and what it waits for. */
function watchBlock(view: CanaryView, nameWidth: number, o: RenderOptions): string[] {
  const failed = view.failedChecks > 0 ? o.paint.red(`failed ${view.failedChecks}/${view.threshold}`) : `failed ${view.failedChecks}/${view.threshold}`;
  const phase = pad(view.phase || '-', 16);
  const painted = view.phase === 'Failed' ? o.paint.red(phase) : view.phase === 'Succeeded' ? o.paint.green(phase) : o.paint.bold(phase);
  const head = `${pad(`${view.namespace}/${view.name}`, nameWidth)}  ${painted} ${progressText(view, o.paint)}  ${failed}`;
  const details: string[] = [];
  if (view.stateKind === 'corrupt') details.push(o.paint.yellow(`davy.dev/state is unreadable: ${view.stateError ?? ''}`));
  const checks = lastChecksLine(view, o);
  if (checks) details.push(checks);
  for (const w of view.waiting) details.push(`waiting for ${waitingText(w, o)}`);
  if (view.estimate.kind !== 'none') details.push(`promotion ${estimateText(view, o, true)}`);
  if (view.pendingAction && !('error' in view.pendingAction)) details.push(`pending action: ${view.pendingAction.action} by ${view.pendingAction.by ?? 'unknown'}`);
  return [head, ...details.map((d) => `    ${d}`)];
}

/** A watch frame for several canaries (without the header line the watch loop adds). */
export function renderWatchList(views: readonly CanaryView[], o: RenderOptions): string[] {
  if (views.length === 0) return ['No canaries found.'];
  const nameWidth = Math.max(...views.map((v) => [...`${v.namespace}/${v.name}`].length));
  return views.flatMap((v) => watchBlock(v, nameWidth, o));
}

// `davy status [NAME] [-n NS | -A] [--watch] [-o text|json]`: where each release stands, read from
// the Canary objects alone. All I/O is injected (StatusIO): tests run it on an in-memory
// KubeClient and a fake clock; status-command.ts wires the real ones.

import { isProviderName } from '../api/providers.js';
import type { Canary } from '../api/types.js';
import {
  ALL_NAMESPACES_FLAG, CLUSTER_FLAGS, CLUSTER_FLAGS_USAGE, OUTPUT_FLAG,
  booleanFlag, clusterFlags, outputFormat, parseFlags, stringFlag,
  type ClusterFlags, type OutputFormat,
} from '../config/cli.js';
import type { StepOptions } from '../stepper/index.js';
import type { Paint } from './format/ansi.js';
import { renderTable, renderWatchList } from './status-list.js';
import { canaryRef, describeFailure, isFailure, openSession, type ClusterSession, type Connect } from './status-kube.js';
import { canaryView, type CanaryView } from './status-model.js';
import type { SimulationCache } from './status-estimate.js';
import { renderDetail, type RenderOptions } from './status-render.js';
import { watchLoop, type Frame, type WatchIO } from './status-watch.js';
import { API_VERSION } from '../api/keys.js';

export interface StatusIO extends Omit<WatchIO, 'signal'> {
  stdout(text: string): void;
  stderr(text: string): void;
  connect: Connect;
  paint: Paint;
  /** `davy`, or `kubectl davy` when run as the kubectl plugin. */
  program: string;
  /** Called once a watch starts: a signal that Ctrl-C aborts (only then is Ctrl-C caught). */
  interrupt?: () => AbortSignal;
}

export const statusUsage = (program: string): string => `Usage: ${program} status [NAME] [-n NS | -A] [--watch] [-o text|json]

Without NAME: the canaries of a namespace as \`kubectl get canaries\` lists them (NAME, STATUS,
WEIGHT, FAILEDCHECKS, INTERVAL, LASTTRANSITIONTIME), computed from each canary's davy.dev/state
annotation, so it is right before the status subresource is written.
With NAME: that canary in detail: phase, weight or iteration, the revision under analysis and the
stable one, the recorded checks (query, value, threshold, verdict), the transitions, what it waits
for and until when, the last action, and an estimate of the time to promotion.

${CLUSTER_FLAGS_USAGE}
  -A, --all-namespaces    every namespace (without NAME)
  -w, --watch             redraw every 2s with a progress bar per canary, until Ctrl-C
  -o, --output FORMAT     text (default) or json (with --watch: one JSON document per change)
      --mesh-provider P   the stepper's --mesh-provider, for canaries that name no provider

Exit status: 0 shown, 1 no such canary or the API server refused, 2 usage error or no cluster.
`;

const STATUS_FLAGS = { ...CLUSTER_FLAGS, ...ALL_NAMESPACES_FLAG, ...OUTPUT_FLAG, watch: { type: 'boolean', short: 'w' }, 'mesh-provider': { type: 'string' } } as const;

interface StatusArgs {
  name?: string;
  cluster: ClusterFlags;
  watch: boolean;
  format: OutputFormat;
  stepOptions: StepOptions;
}

function parseStatusArgs(argv: string[]): StatusArgs | { help: true } | { error: string } {
  const parsed = parseFlags(argv, STATUS_FLAGS);
  if (parsed.kind === 'help') return { help: true };
  if (parsed.kind === 'error') return { error: parsed.error };
  const { values, positionals } = parsed;
  if (positionals.length > 1) return { error: `one canary name at most, got ${positionals.join(' ')}` };
  const cluster = clusterFlags(values);
  const name = positionals[0];
  if (name !== undefined && cluster.allNamespaces) return { error: 'a canary cannot be looked up by name across all namespaces: use -n' };
  if (cluster.allNamespaces && cluster.namespace !== undefined) return { error: '-A and -n exclude each other' };
  const format = outputFormat(values);
  if (typeof format !== 'string') return format;
  const mesh = stringFlag(values, 'mesh-provider');
  if (mesh !== undefined && !isProviderName(mesh)) return { error: `--mesh-provider: unknown provider ${JSON.stringify(mesh)}` };
  return {
    ...(name === undefined ? {} : { name }),
    cluster,
    watch: booleanFlag(values, 'watch'),
    format,
    stepOptions: mesh === undefined ? {} : { meshProvider: mesh },
  };
}

class CanaryMissing extends Error {}

const byName = (left: CanaryView, right: CanaryView): number =>
  left.namespace.localeCompare(right.namespace) || left.name.localeCompare(right.name);

/** One poll: the views and how they read. Throws CanaryMissing for a named canary that does not exist. */
async function poll(
  args: StatusArgs,
  session: ClusterSession,
  io: StatusIO,
  cache: SimulationCache,
  live: boolean,
): Promise<Frame> {
  const now = io.now();
  const o: RenderOptions = { now, paint: io.paint, relative: live, program: io.program };
  const viewOptions = { stepOptions: args.stepOptions, cache };
  if (args.name !== undefined) {
    const canary = await session.client.get(canaryRef(args.name, session.namespace));
    if (!canary) throw new CanaryMissing(`canary ${JSON.stringify(args.name)} not found in namespace ${session.namespace}`);
    const view = canaryView(canary as unknown as Canary, now, viewOptions);
    return { lines: renderDetail(view, o), json: view };
  }
  const namespace = args.cluster.allNamespaces ? undefined : session.namespace;
  const list = await session.client.list(API_VERSION, 'Canary', namespace);
  // The table needs no estimate; the watch's progress bars show one.
  const views = list.items
    .map((item) => canaryView(item as unknown as Canary, now, { ...viewOptions, estimate: args.watch }))
    .sort(byName);
  const lines = args.watch ? renderWatchList(views, o) : renderTable(views, args.cluster.allNamespaces, o);
  return { lines, json: { canaries: views } };
}

export async function runStatus(argv: string[], io: StatusIO): Promise<number> {
  const args = parseStatusArgs(argv);
  if ('help' in args) {
    io.stdout(statusUsage(io.program));
    return 0;
  }
  if ('error' in args) {
    io.stderr(`${io.program} status: ${args.error}\n\n${statusUsage(io.program)}`);
    return 2;
  }
  const opened = await openSession(io.connect, args.cluster);
  if (isFailure(opened)) {
    io.stderr(`${io.program} status: ${opened.message}\n`);
    return opened.code;
  }
  const session = opened;
  try {
    const cache: SimulationCache = new Map();
    // A one-off text report says "in 12s"; a watch decides per output (watchLoop).
    const first = await poll(args, session, io, cache, !args.watch && args.format === 'text');
    if (args.watch) {
      const signal = io.interrupt?.() ?? new AbortController().signal;
      await watchLoop((live) => poll(args, session, io, cache, live), { ...io, signal }, { format: args.format, title: `${io.program} status --watch` });
      return 0;
    }
    if (args.format === 'json') io.stdout(`${JSON.stringify(first.json, null, 2)}\n`);
    else if (first.lines.length === 0) io.stderr(`No canaries found${args.cluster.allNamespaces ? '' : ` in namespace ${session.namespace}`}.\n`);
    else io.stdout(`${first.lines.join('\n')}\n`);
    return 0;
  } catch (error) {
    if (error instanceof CanaryMissing) {
      io.stderr(`${io.program} status: ${error.message}\n`);
      return 1;
    }
    const failure = describeFailure(error);
    io.stderr(`${io.program} status: ${failure.message}\n`);
    return failure.code;
  } finally {
    session.close();
  }
}

// Flags shared by the operator's commands (`davy status`, `simulate`, `promote|abort|retry|pause|
// resume`) and the environment they read, parsed once by each command's composition root.
// The flags follow kubectl's spelling, so `kubectl davy status -n test` reads like kubectl.

import { parseArgs } from 'node:util';

export type OutputFormat = 'text' | 'json';
export const OUTPUT_FORMATS: readonly OutputFormat[] = ['text', 'json'];

/** A command-specific flag, as node:util parseArgs declares it. */
export interface FlagSpec {
  type: 'string' | 'boolean';
  short?: string;
  multiple?: boolean;
}

export type FlagValues = Record<string, string | boolean | (string | boolean)[] | undefined>;

/** The flags every cluster command accepts. */
export const CLUSTER_FLAGS: Record<string, FlagSpec> = {
  namespace: { type: 'string', short: 'n' },
  kubeconfig: { type: 'string' },
  context: { type: 'string' },
};
export const OUTPUT_FLAG: Record<string, FlagSpec> = { output: { type: 'string', short: 'o' } };
export const ALL_NAMESPACES_FLAG: Record<string, FlagSpec> = { 'all-namespaces': { type: 'boolean', short: 'A' } };

export interface ClusterFlags {
  /** -n; undefined means the kubeconfig context's namespace, else "default". */
  namespace?: string;
  allNamespaces: boolean;
  kubeconfig?: string;
  context?: string;
}

export type ParsedFlags =
  | { kind: 'ok'; values: FlagValues; positionals: string[] }
  | { kind: 'help' }
  | { kind: 'error'; error: string };

/** Parses argv against `flags` plus -h/--help. Usage mistakes come back as a sentence, never a throw. */
export function parseFlags(argv: readonly string[], flags: Record<string, FlagSpec>): ParsedFlags {
  let parsed: { values: FlagValues; positionals: string[] };
  try {
    parsed = parseArgs({ args: [...argv], options: { ...flags, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
  } catch (error) {
    // node's messages carry a second sentence about `--` that does not help here.
    const message = error instanceof Error ? error.message.split('. To specify')[0]! : String(error);
    return { kind: 'error', error: message };
  }
  if (parsed.values.help === true) return { kind: 'help' };
  for (const [name, spec] of Object.entries(flags)) {
    const value = parsed.values[name];
    if (spec.type === 'string' && !spec.multiple && value === '') return { kind: 'error', error: `--${name} needs a value` };
  }
  return { kind: 'ok', values: parsed.values, positionals: parsed.positionals };
}

export const stringFlag = (values: FlagValues, name: string): string | undefined => {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
};

export const booleanFlag = (values: FlagValues, name: string): boolean => values[name] === true;

export function clusterFlags(values: FlagValues): ClusterFlags {
  const namespace = stringFlag(values, 'namespace');
  const kubeconfig = stringFlag(values, 'kubeconfig');
  const context = stringFlag(values, 'context');
  return {
    allNamespaces: booleanFlag(values, 'all-namespaces'),
    ...(namespace === undefined ? {} : { namespace }),
    ...(kubeconfig === undefined ? {} : { kubeconfig }),
    ...(context === undefined ? {} : { context }),
  };
}

/** -o/--output: text unless json is asked for; anything else is a usage error. */
export function outputFormat(values: FlagValues): OutputFormat | { error: string } {
  const value = stringFlag(values, 'output') ?? 'text';
  return (OUTPUT_FORMATS as readonly string[]).includes(value) ? (value as OutputFormat) : { error: `--output must be text or json, not ${JSON.stringify(value)}` };
}

/** What the operator's commands read from the environment: nothing else reads process.env. */
export interface CliEnvironment {
  /** $KUBECONFIG (a path list); client-node reads it itself when no --kubeconfig is given. */
  kubeconfig?: string;
  /** $USER (or $USERNAME): who runs an action when the kubeconfig names no user. */
  user?: string;
  /** $NO_COLOR set: no ANSI colours (cursor movement for --watch still happens on a terminal). */
  noColor: boolean;
}

export function cliEnvironment(env: Readonly<Record<string, string | undefined>>): CliEnvironment {
  const user = env.USER || env.USERNAME || env.LOGNAME;
  return {
    ...(env.KUBECONFIG ? { kubeconfig: env.KUBECONFIG } : {}),
    ...(user ? { user } : {}),
    noColor: env.NO_COLOR !== undefined && env.NO_COLOR !== '',
  };
}

/** The usage lines of the shared flags, for each command's --help. */
export const CLUSTER_FLAGS_USAGE = `  -n, --namespace NS      the canary's namespace (default: the kubeconfig context's, else "default")
      --kubeconfig FILE   the kubeconfig to use (default: $KUBECONFIG, then ~/.kube/config, then in-cluster)
      --context NAME      a kubeconfig context other than the current one`;

/**
 * The name to print in usage and hints: `kubectl davy` when run as the kubectl plugin (kubectl runs
 * `kubectl-davy` from the PATH with the same arguments), else `davy`.
 */
export function programName(scriptPath: string | undefined): string {
  const base = (scriptPath ?? '').split(/[\\/]/).pop() ?? '';
  return /^kubectl-davy(\.js)?$/.test(base) ? 'kubectl davy' : 'davy';
}

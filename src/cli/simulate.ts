// `davy simulate -f FILE [--fail-at STEP] [--mesh-provider NAME] [-o text|json]`: the timeline a
// Canary would follow for a new revision, with no cluster. It validates first (an invalid Canary
// is not simulated), then runs simulate(), which runs the stepper's own step() on a model of the
// cluster. All I/O is injected (SimulateIO); simulate-command.ts wires files and streams.

import { parseAllDocuments } from 'yaml';
import { formatFieldError } from '../api/field-errors.js';
import { isProviderName, type ProviderName } from '../api/providers.js';
import type { Canary } from '../api/types.js';
import { validateResource } from '../api/validate.js';
import { OUTPUT_FLAG, outputFormat, parseFlags, stringFlag, type OutputFormat } from '../config/cli.js';
import { simulate } from '../simulate/index.js';
import type { Paint } from './format/ansi.js';
import { renderSimulation, simulationReport, type SimulationReport } from './simulate-render.js';

export interface SimulateIO {
  stdout(text: string): void;
  stderr(text: string): void;
  readFile(path: string): Promise<string>;
  readStdin(): Promise<string>;
  paint: Paint;
  program: string;
}

export const simulateUsage = (program: string): string => `Usage: ${program} simulate -f FILE|- [--fail-at STEP] [--mesh-provider NAME] [-o text|json]

Prints the timeline each Canary in FILE would follow for a new revision, with no cluster: time
offset, weight or iteration, the webhooks called, the checks, the events; then the time to
promotion and the worst-case time to rollback. It runs the stepper's own step() on a model of the
cluster in which webhooks approve and the copy and rollouts are ready at once. The Canary is
validated first; other kinds in FILE are skipped.

  -f, --filename FILE     the manifest (YAML or JSON, several documents allowed), or - for stdin
      --fail-at STEP      every metric fails from analysis step STEP on (1-based; an analysis
                          step is a step that queries metrics, numbered in the timeline)
      --mesh-provider P   the stepper's --mesh-provider, for Canaries that name no provider
  -o, --output FORMAT     text (default) or json

Exit status: 0 simulated, 1 invalid or no Canary, 2 usage error or unreadable file.
`;

const SIMULATE_FLAGS = { ...OUTPUT_FLAG, filename: { type: 'string', short: 'f' }, 'fail-at': { type: 'string' }, 'mesh-provider': { type: 'string' } } as const;

interface SimulateArgs {
  file: string;
  failAt?: number;
  meshProvider?: ProviderName;
  format: OutputFormat;
}

function parseSimulateArgs(argv: string[]): SimulateArgs | { help: true } | { error: string } {
  const parsed = parseFlags(argv, SIMULATE_FLAGS);
  if (parsed.kind === 'help') return { help: true };
  if (parsed.kind === 'error') return { error: parsed.error };
  const { values, positionals } = parsed;
  if (positionals.length > 0) return { error: `unexpected argument ${JSON.stringify(positionals[0])}` };
  const file = stringFlag(values, 'filename');
  if (file === undefined) return { error: '-f FILE (or -f - for stdin) is required' };
  const failText = stringFlag(values, 'fail-at');
  const failAt = failText === undefined ? undefined : Number(failText);
  if (failAt !== undefined && (!Number.isInteger(failAt) || failAt < 1)) return { error: `--fail-at must be a whole number from 1, not ${JSON.stringify(failText)}` };
  const mesh = stringFlag(values, 'mesh-provider');
  if (mesh !== undefined && !isProviderName(mesh)) return { error: `--mesh-provider: unknown provider ${JSON.stringify(mesh)}` };
  const format = outputFormat(values);
  if (typeof format !== 'string') return format;
  const optional = {
    ...(failAt === undefined ? {} : { failAt }),
    ...(mesh === undefined ? {} : { meshProvider: mesh }),
  };
  return { file, format, ...optional };
}

interface Loaded {
  canaries: { address: string; value: unknown }[];
  problems: string[];
}

const isCanary = (value: unknown): boolean => (value as { kind?: unknown } | null)?.kind === 'Canary';

/** The Canary documents of a file (JSON, or a YAML stream), with syntax errors as problems. */
function loadCanaries(file: string, content: string): Loaded {
  const out: Loaded = { canaries: [], problems: [] };
  let values: unknown[];
  try {
    values = /^\s*\{/.test(content) ? [JSON.parse(content) as unknown] : [];
  } catch {
    values = [];
  }
  if (values.length === 0) {
    const docs = parseAllDocuments(content);
    for (const [i, doc] of docs.entries()) {
      const problem = doc.errors[0];
      if (problem) out.problems.push(`${file}[${i}]: YAML syntax error: ${problem.message.split('\n')[0] ?? ''}`);
      else values.push(doc.toJS({ maxAliasCount: 100 }) as unknown);
    }
  }
  const items = values.flatMap((v) => ((v as { kind?: unknown; items?: unknown } | null)?.kind === 'List' && Array.isArray((v as { items: unknown[] }).items) ? (v as { items: unknown[] }).items : [v]));
  const canaries = items.filter(isCanary);
  out.canaries = canaries.map((value, i) => ({ address: canaries.length > 1 ? `${file}[${i}]` : file, value }));
  return out;
}

async function read(args: SimulateArgs, io: SimulateIO): Promise<string | { error: string }> {
  try {
    return args.file === '-' ? await io.readStdin() : await io.readFile(args.file);
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error) };
  }
}

export async function runSimulate(argv: string[], io: SimulateIO): Promise<number> {
  const args = parseSimulateArgs(argv);
  const command = `${io.program} simulate`;
  if ('help' in args) {
    io.stdout(simulateUsage(io.program));
    return 0;
  }
  if ('error' in args) {
    io.stderr(`${command}: ${args.error}\n\n${simulateUsage(io.program)}`);
    return 2;
  }
  const file = args.file === '-' ? '<stdin>' : args.file;
  const content = await read(args, io);
  if (typeof content !== 'string') {
    io.stderr(`${command}: ${file}: cannot read: ${content.error}\n`);
    return 2;
  }
  const loaded = loadCanaries(file, content);
  const problems = [...loaded.problems];
  if (loaded.canaries.length === 0 && problems.length === 0) problems.push(`${file}: no Canary in this file`);
  const warnings: string[] = [];
  for (const { address, value } of loaded.canaries) {
    const result = validateResource(value, args.meshProvider ? { meshProvider: args.meshProvider } : {});
    problems.push(...result.errors.map((e) => `${address}: ${formatFieldError(e)}`));
    warnings.push(...result.warnings.map((w) => `${address}: Warning: ${w}`));
  }
  for (const w of warnings) io.stderr(`${w}\n`);
  if (problems.length > 0) {
    for (const p of problems) io.stderr(`${p}\n`);
    io.stderr(`${command}: not simulated: fix the problems above (\`${io.program} validate -f ${file}\` checks them alone)\n`);
    return 1;
  }
  const reports: SimulationReport[] = [];
  const texts: string[][] = [];
  for (const { value } of loaded.canaries) {
    const canary = value as Canary;
    const stepOptions = args.meshProvider ? { meshProvider: args.meshProvider } : {};
    const sim = simulate(canary, { stepOptions, ...(args.failAt === undefined ? {} : { failAt: args.failAt }) });
    const report = simulationReport(canary, sim, {
      ...(args.failAt === undefined ? {} : { failAt: args.failAt }),
      ...(args.meshProvider ? { meshProvider: args.meshProvider } : {}),
    });
    reports.push(report);
    texts.push(renderSimulation(canary, report, io.paint));
  }
  if (args.format === 'json') io.stdout(`${JSON.stringify({ simulations: reports }, null, 2)}\n`);
  else io.stdout(`${texts.map((t) => t.join('\n')).join('\n\n')}\n`);
  return 0;
}

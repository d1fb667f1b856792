// `davy validate -f FILE|- ... [--cluster] [--output text|json]`: the offline validator for CI.
// All I/O is injected (ValidateIO) so the command is a pure function of its inputs and tests run it
// in memory; the composition root wires files, stdin and the cluster.
//
// Decisions: documents of other kinds (a Deployment next to its Canary) are skipped with a note, so
// a whole directory of manifests can be checked; a YAML syntax error makes its document invalid
// (exit 1: the input was read, it is wrong); exit 2 is for usage errors, unreadable files and a
// cluster that cannot be asked. A file with one document is addressed as `FILE`, a stream of several
// as `FILE[i]` (0-based), a `kind: List` item as `...items[j]`.

import { parseAllDocuments } from 'yaml';
import { checkResourceAgainstCluster, overlayLookup, type ClusterLookup, type ClusterObject } from '../api/cluster-checks.js';
import { formatFieldError, type FieldError } from '../api/field-errors.js';
import { GROUP } from '../api/keys.js';
import { isProviderName, type ProviderName } from '../api/providers.js';
import { FLAGGER_KINDS, type Canary, type MetricTemplate } from '../api/types.js';
import { validateResource } from '../api/validate.js';
import { effectiveAnalysis } from '../api/defaults.js';
import { renderMetric } from '../metrics/evaluate.js';
import { queryScope } from '../metrics/render.js';

export interface ValidateIO {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  readFile: (path: string) => Promise<string>;
  readStdin: () => Promise<string>;
  /** For --cluster: a lookup on the current kubeconfig context; without it --cluster is refused. */
  clusterLookup?: () => ClusterLookup | Promise<ClusterLookup>;
}

export const VALIDATE_USAGE = `Usage: davy validate -f FILE|- [-f FILE ...] [--cluster] [--show-queries] [-n NAMESPACE] [--mesh-provider NAME] [--output text|json]

Validates Canary, MetricTemplate and AlertProvider manifests (multi-document YAML or JSON) and
prints every problem as "FILE: path: message". Other kinds are skipped with a note.

  -f, --filename FILE     a file to read, or - for stdin (repeatable)
      --cluster           also check references against the cluster (target, templates, names)
      --show-queries      print each valid Canary's metric queries as the stepper will send them
                          (rendered, Flagger's names rewritten; MetricTemplates from the files
                          given, or from the cluster with --cluster)
  -n, --namespace NS      namespace of documents that name none (default "default")
      --mesh-provider P   the stepper's --mesh-provider, for Canaries that name no provider
  -o, --output FORMAT     text (default) or json

Exit status: 0 valid, 1 invalid, 2 usage error or unreadable input.
`;

interface Options {
  files: string[];
  cluster: boolean;
  showQueries: boolean;
  namespace: string;
  meshProvider?: ProviderName;
  output: 'text' | 'json';
}

type Parsed = { options: Options } | { error: string } | { help: true };

const STDIN = '-';
const STDIN_NAME = '<stdin>';

function parseArgs(argv: string[]): Parsed {
  const options: Options = { files: [], cluster: false, showQueries: false, namespace: 'default', output: 'text' };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = (): string | undefined => inline ?? argv[++i];
    if (flag === '-h' || flag === '--help') return { help: true };
    if (flag === '--cluster') options.cluster = true;
    else if (flag === '--show-queries') options.showQueries = true;
    else if (flag === '-f' || flag === '--filename') {
      const file = value();
      if (file === undefined || file === '') return { error: `${flag} needs a file name or -` };
      options.files.push(file);
    } else if (flag === '-n' || flag === '--namespace') {
      const ns = value();
      if (!ns) return { error: `${flag} needs a namespace` };
      options.namespace = ns;
    } else if (flag === '-o' || flag === '--output') {
      const format = value();
      if (format !== 'text' && format !== 'json') return { error: `${flag} must be text or json` };
      options.output = format;
    } else if (flag === '--mesh-provider') {
      const provider = value();
      if (!isProviderName(provider)) return { error: `--mesh-provider: unknown provider ${JSON.stringify(provider ?? '')}` };
      options.meshProvider = provider;
    } else return { error: `unknown argument ${JSON.stringify(arg)}` };
  }
  if (options.files.length === 0) return { error: 'at least one -f FILE (or -f - for stdin) is required' };
  return { options };
}

/** One problem as the JSON output carries it. */
export interface ReportedError {
  message: string;
  path?: string;
  type?: string;
  value?: unknown;
  detail?: string;
  supported?: readonly string[];
  line?: number;
  column?: number;
}

export interface DocumentReport {
  file: string;
  /** The name used in text output: FILE, FILE[i] or FILE[i].items[j]. */
  address: string;
  index: number;
  status: 'valid' | 'invalid' | 'skipped';
  apiVersion?: string;
  kind?: string;
  namespace?: string;
  name?: string;
  errors: ReportedError[];
  warnings: string[];
  note?: string;
  /** With --show-queries, a valid Canary's metrics: the query as sent, or why it cannot be rendered. */
  queries?: RenderedQuery[];
}

export interface RenderedQuery {
  metric: string;
  query: string;
  error?: string;
}

interface Loaded {
  report: DocumentReport;
  /** The parsed document, when it parsed. */
  value?: unknown;
}

const record = (v: unknown): Record<string, unknown> | undefined => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined);
const text = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

function describe(value: unknown): Pick<DocumentReport, 'apiVersion' | 'kind' | 'namespace' | 'name'> {
  const obj = record(value);
  const meta = record(obj?.metadata);
  const out: Pick<DocumentReport, 'apiVersion' | 'kind' | 'namespace' | 'name'> = {};
  for (const [key, v] of [['apiVersion', obj?.apiVersion], ['kind', obj?.kind], ['namespace', meta?.namespace], ['name', meta?.name]] as const) {
    const s = text(v);
    if (s !== undefined) out[key] = s;
  }
  return out;
}

/** flagger.app objects (any version) and the three kinds (any group) are validated; the rest skipped. */
function isFlaggerDocument(value: unknown): boolean {
  const obj = record(value);
  if (!obj) return true;
  const group = text(obj.apiVersion)?.split('/')[0];
  const kind = text(obj.kind);
  const hasIdentity = obj.apiVersion !== undefined || obj.kind !== undefined;
  return !hasIdentity || group === GROUP || (FLAGGER_KINDS as readonly string[]).includes(kind ?? '');
}

const fromFieldError = (e: FieldError): ReportedError => ({ ...e, message: formatFieldError(e) });

/**
 * Splits a file into documents (a YAML stream; JSON is YAML) with List items expanded. The YAML
 * parser, unlike JSON.parse, refuses a duplicate key instead of keeping its last value silently,
 * so JSON goes through it too. Text that was not UTF-8 (decoded into U+FFFD) is refused whole: a
 * manifest with mangled bytes would otherwise validate as something its author never wrote.
 */
function loadDocuments(file: string, content: string): Loaded[] {
  const mangled = content.indexOf('\uFFFD');
  const docs: { value?: unknown; syntax?: ReportedError }[] =
    mangled >= 0 ? [{ syntax: notUtf8(content, mangled) }] : parseYaml(content);
  const nonEmpty = docs
    .map((doc, index) => ({ ...doc, index }))
    .filter((doc) => doc.syntax || (doc.value !== null && doc.value !== undefined));
  const multi = nonEmpty.length > 1;
  return nonEmpty.flatMap(({ value, syntax, index }): Loaded[] => {
    const address = multi ? `${file}[${index}]` : file;
    const base = { file, index, errors: [] as ReportedError[], warnings: [] as string[] };
    if (syntax) return [{ report: { ...base, address, status: 'invalid', errors: [syntax] } }];
    const obj = record(value);
    if (obj && obj.kind === 'List' && Array.isArray(obj.items)) {
      const items: unknown[] = obj.items;
      return items.map((item, j) => ({ report: { ...base, address: `${address}.items[${j}]`, status: 'valid', ...describe(item) }, value: item }));
    }
    return [{ report: { ...base, address, status: 'valid', ...describe(value) }, value }];
  });
}

function notUtf8(content: string, at: number): ReportedError {
  const before = content.slice(0, at).split('\n');
  const line = before.length;
  const column = (before[line - 1]?.length ?? 0) + 1;
  return { message: `line ${line}, column ${column}: not valid UTF-8 (a byte sequence that is not UTF-8, or U+FFFD): save the file as UTF-8`, line, column };
}

function parseYaml(content: string): { value?: unknown; syntax?: ReportedError }[] {
  return parseAllDocuments(content).map((doc) => {
    const problem = doc.errors[0];
    if (problem) {
      const pos = problem.linePos?.[0];
      const where = pos ? `line ${pos.line}, column ${pos.col}: ` : '';
      // The library's message repeats the position ("... at line 3, column 5:"); ours leads with it.
      const first = (problem.message.split('\n')[0] ?? problem.message).replace(/ at line \d+, column \d+:?$/, '');
      return { syntax: { message: `${where}YAML syntax error: ${first}`, ...(pos ? { line: pos.line, column: pos.col } : {}) } };
    }
    try {
      return { value: doc.toJS({ maxAliasCount: 100 }) as unknown };
    } catch (error) {
      return { syntax: { message: `YAML error: ${error instanceof Error ? error.message : String(error)}` } };
    }
  });
}

function validateDocuments(loaded: Loaded[], options: Options): void {
  for (const { report, value } of loaded) {
    if (report.status === 'invalid') continue;
    if (!isFlaggerDocument(value)) {
      const who = [report.apiVersion, report.kind, [report.namespace, report.name].filter(Boolean).join('/')].filter(Boolean).join(' ');
      report.status = 'skipped';
      report.note = `skipped ${who || 'document'}: not a flagger.app kind`;
      continue;
    }
    const result = validateResource(value, options.meshProvider ? { meshProvider: options.meshProvider } : {});
    report.errors.push(...result.errors.map(fromFieldError));
    report.warnings.push(...result.warnings);
    if (result.errors.length > 0) report.status = 'invalid';
  }
}

/** The documents given, each with a namespace (--namespace when it names none), over `lookup`. */
function givenOver(lookup: ClusterLookup, loaded: Loaded[], options: Options): ClusterLookup {
  const withNamespace = (value: unknown): ClusterObject => {
    const obj = record(value) ?? {};
    const meta = record(obj.metadata) ?? {};
    return { ...obj, metadata: { ...meta, namespace: text(meta.namespace) ?? options.namespace } };
  };
  return overlayLookup(lookup, loaded.filter((l) => record(l.value)).map((l) => withNamespace(l.value)));
}

/** Without --cluster, a reference the files do not hold cannot be resolved, and says how it could be. */
const NOTHING_ELSE: ClusterLookup = {
  get: () => Promise.reject(new Error('not among the files given (add it with -f, or use --cluster)')),
  list: () => Promise.resolve({ items: [] }),
};

/** Cluster checks for documents that are otherwise valid; the other documents count as existing. */
async function checkCluster(loaded: Loaded[], options: Options, lookup: ClusterLookup): Promise<void> {
  const overlay = givenOver(lookup, loaded, options);
  for (const { report, value } of loaded) {
    if (report.status !== 'valid') continue;
    const result = await checkResourceAgainstCluster(value, overlay, { namespace: options.namespace, secrets: 'check' });
    report.errors.push(...result.errors.map(fromFieldError));
    if (result.errors.length > 0) report.status = 'invalid';
  }
}

/** --show-queries: every metric of each valid Canary, rendered as the stepper will send it. */
async function renderQueries(loaded: Loaded[], options: Options, lookup: ClusterLookup): Promise<void> {
  const objects = givenOver(lookup, loaded, options);
  const templates = {
    template: async (name: string, namespace: string): Promise<MetricTemplate | undefined> =>
      (await objects.get({ apiVersion: `${GROUP}/v1beta1`, kind: 'MetricTemplate', name, namespace })) as MetricTemplate | undefined,
  };
  for (const { report, value } of loaded) {
    if (report.status !== 'valid' || report.kind !== 'Canary') continue;
    const given = value as Canary;
    const namespaced = { ...given.metadata, namespace: report.namespace ?? options.namespace };
    const canary: Canary = { ...given, metadata: namespaced };
    const namespace = canary.metadata.namespace ?? options.namespace;
    const mesh = options.meshProvider ? { meshProvider: options.meshProvider } : {};
    const analysis = effectiveAnalysis(canary.spec, { namespace, ...mesh });
    const scope = queryScope(canary, analysis);
    report.queries = [];
    for (const metric of analysis.metrics) {
      const rendered = await renderMetric(scope, analysis, metric, templates);
      report.queries.push({ metric: metric.name, query: rendered.query, ...(rendered.kind === 'error' ? { error: rendered.message } : {}) });
    }
  }
}

function printText(reports: DocumentReport[], io: ValidateIO): void {
  for (const r of reports) {
    for (const e of r.errors) io.stdout(`${r.address}: ${e.message}\n`);
    for (const w of r.warnings) io.stdout(`${r.address}: Warning: ${w}\n`);
    if (r.note) io.stdout(`${r.address}: Note: ${r.note}\n`);
    for (const q of r.queries ?? []) io.stdout(`${r.address}: Query: ${q.metric}: ${q.error ?? q.query}\n`);
  }
  const count = (s: DocumentReport['status']): number => reports.filter((r) => r.status === s).length;
  io.stderr(`${reports.length} document(s): ${count('valid')} valid, ${count('invalid')} invalid, ${count('skipped')} skipped\n`);
}

async function readAll(
  options: Options,
  io: ValidateIO,
): Promise<{ loaded: Loaded[]; unreadable: { file: string; error: string }[] }> {
  const loaded: Loaded[] = [];
  const unreadable: { file: string; error: string }[] = [];
  for (const file of options.files) {
    const name = file === STDIN ? STDIN_NAME : file;
    try {
      const content = file === STDIN ? await io.readStdin() : await io.readFile(file);
      // One by one: spreading 200,000 documents into push() would overflow the stack.
      for (const document of loadDocuments(name, content)) loaded.push(document);
    } catch (error) {
      unreadable.push({ file: name, error: error instanceof Error ? error.message : String(error) });
    }
  }
  return { loaded, unreadable };
}

export async function runValidate(argv: string[], io: ValidateIO): Promise<number> {
  const parsed = parseArgs(argv);
  if ('help' in parsed) {
    io.stdout(VALIDATE_USAGE);
    return 0;
  }
  if ('error' in parsed) {
    io.stderr(`davy validate: ${parsed.error}\n\n${VALIDATE_USAGE}`);
    return 2;
  }
  const { options } = parsed;
  if (options.cluster && !io.clusterLookup) {
    io.stderr('davy validate: --cluster needs access to a cluster, which this build does not provide\n');
    return 2;
  }
  const { loaded, unreadable } = await readAll(options, io);
  validateDocuments(loaded, options);
  let clusterError: string | undefined;
  let cluster: ClusterLookup | undefined;
  if (options.cluster && io.clusterLookup) {
    try {
      cluster = await io.clusterLookup();
      await checkCluster(loaded, options, cluster);
    } catch (error) {
      clusterError = error instanceof Error ? error.message : String(error);
    }
  }
  if (options.showQueries && !clusterError) await renderQueries(loaded, options, cluster ?? NOTHING_ELSE);
  const reports = loaded.map((l) => l.report);
  if (options.output === 'json') {
    const valid = unreadable.length === 0 && !clusterError && reports.every((r) => r.status !== 'invalid');
    io.stdout(`${JSON.stringify({ valid, documents: reports, unreadable, ...(clusterError ? { clusterError } : {}) }, null, 2)}\n`);
  } else {
    for (const u of unreadable) io.stderr(`davy validate: ${u.file}: cannot read: ${u.error}\n`);
    if (clusterError) io.stderr(`davy validate: cluster checks failed: ${clusterError}\n`);
    printText(reports, io);
  }
  if (unreadable.length > 0 || clusterError) return 2;
  return reports.some((r) => r.status === 'invalid') ? 1 : 0;
}

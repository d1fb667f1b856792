// The real helm (module helm.sh/helm/v4), built once into the cache by hack/build-helm.sh, and the
// chart's renderings as objects for comparison.
import { execFileSync, spawnSync } from 'node:child_process';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';

export const ROOT = path.resolve(import.meta.dirname, '../..');
export const CHART = path.join(ROOT, 'deploy/helm/davy');

export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; annotations?: Record<string, string>; labels?: Record<string, string> };
  [field: string]: unknown;
}

let binary: string | undefined;

/** helm's path, built on first use (minutes once; then cached by version and Go version). */
export function helmBinary(): string {
  binary ??= execFileSync(path.join(ROOT, 'hack/build-helm.sh'), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
  return binary;
}

export interface HelmRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function helm(args: string[], env: NodeJS.ProcessEnv = {}): HelmRun {
  const result = spawnSync(helmBinary(), args, { encoding: 'utf8', env: { ...process.env, ...env } });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

export const manifests = (yaml: string): Manifest[] =>
  parseAllDocuments(yaml).map((doc) => doc.toJS() as Manifest).filter(Boolean);

/** `helm template` of the chart into `namespace`, CRDs included, with `--set` pairs; throws on failure. */
export function render(namespace: string, set: Record<string, string> = {}, release = 'davy'): Manifest[] {
  const flags = Object.entries(set).flatMap(([key, value]) => ['--set', `${key}=${value}`]);
  const run = helm(['template', release, CHART, '--namespace', namespace, '--include-crds', ...flags]);
  if (run.status !== 0) throw new Error(`helm template failed: ${run.stderr}`);
  return manifests(run.stdout);
}

export const find = (objects: Manifest[], kind: string, name: string): Manifest | undefined =>
  objects.find((o) => o.kind === kind && o.metadata.name === name);

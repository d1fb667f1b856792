// The real kstatus library (sigs.k8s.io/cli-utils/pkg/kstatus, what Flux's health checks use),
// through test/kstatus: objects in as JSON, its verdicts out. hack/build-kstatus.sh builds the
// program once into the cache; without Go there is nothing to ask, and callers skip with a reason.
import { execFileSync, spawnSync } from 'node:child_process';
import path from 'node:path';

export type KstatusStatus = 'InProgress' | 'Current' | 'Failed' | 'Terminating' | 'NotFound' | 'Unknown';

export interface KstatusVerdict {
  kind: string;
  namespace?: string;
  name: string;
  status: KstatusStatus;
  message: string;
}

const root = path.resolve(import.meta.dirname, '../..');
let binary: string | undefined;

export const hasGo = (): boolean => spawnSync('go', ['version']).status === 0;

/** The program's path, built on first use (a minute once; cached across runs by its sources' hash). */
export function kstatusBinary(): string {
  binary ??= execFileSync(path.join(root, 'hack/build-kstatus.sh'), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
  return binary;
}

/** kstatus's verdict on each object, in order. */
export function kstatusOf(objects: readonly object[]): KstatusVerdict[] {
  const input = objects.map((o) => JSON.stringify(o)).join('\n');
  const result = spawnSync(kstatusBinary(), [], { input, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`kstatus exited ${result.status}: ${result.stderr}`);
  return result.stdout.trim().split('\n').map((line) => JSON.parse(line) as KstatusVerdict);
}

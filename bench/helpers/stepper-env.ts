// What every stepper benchmark starts from: the build checked, the machine named, the local
// control plane's environment with Davy's webhook (it holds new revisions and validates every
// Canary created), the stepper's own kubeconfig, and a stop on SIGINT/SIGTERM that stops whatever
// was registered in `cleanups` (with-cluster.sh stops the cluster).
import fs from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { startEnvironment, type Environment } from '../../test/harness/environment.js';
import { stepperKubeconfig } from '../../test/harness/stepper.js';
import { cleanups, requireBuild } from './stepper-process.js';
import { machine } from './stepper-report.js';

export interface BenchEnvironment {
  env: Environment;
  /** A directory for this benchmark's files (kubeconfigs, stepper logs). */
  work: string;
  /** The stepper identity's kubeconfig, and the API server it names. */
  kubeconfig: string;
  server: string;
  /** The cluster's PKI directory, for a proxy in front of the API server. */
  pki: string;
}

export async function startBenchEnvironment(name: string): Promise<BenchEnvironment> {
  requireBuild();
  process.stdout.write(`Machine: ${machine()}.\n`);
  const env = await startEnvironment();
  cleanups.add(() => env.stop());
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      void Promise.allSettled([...cleanups].map((stop) => stop())).finally(() => process.exit(130));
    });
  }
  const work = path.join(env.stateDir, name);
  fs.mkdirSync(work, { recursive: true });
  await env.webhook();
  const kubeconfig = await stepperKubeconfig(env.cluster, path.join(work, 'stepper.kubeconfig'));
  const server = (parseYaml(fs.readFileSync(kubeconfig, 'utf8')) as { clusters: { cluster: { server: string } }[] }).clusters[0]!.cluster.server;
  const pki = path.dirname(process.env.CA_CERT ?? path.join(env.stateDir, 'cluster/pki/ca.crt'));
  return { env, work, kubeconfig, server, pki };
}

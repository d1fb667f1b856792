// The local control plane as the e2e tests and the demo see it: a kubeconfig, real kubectl, and
// the project's own KubeClient.
import { spawn } from 'node:child_process';
import { NodeKubeClient } from '../../src/kube/node-client.js';
import { eventually } from './process.js';

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

export class Cluster {
  readonly kube: NodeKubeClient;

  constructor(readonly kubeconfig: string, readonly kubectlPath: string) {
    this.kube = NodeKubeClient.fromKubeconfig({ kubeconfig });
  }

  static fromEnv(env: NodeJS.ProcessEnv = process.env): Cluster {
    const kubeconfig = env.DAVY_E2E_KUBECONFIG ?? env.KUBECONFIG;
    if (!kubeconfig) throw new Error('DAVY_E2E_KUBECONFIG is not set: run the e2e tests through `make test-e2e`');
    return new Cluster(kubeconfig, env.KUBECTL ?? 'kubectl');
  }

  /** Runs real kubectl against the cluster; never throws on a non-zero exit. */
  kubectl(args: string[], input?: string): Promise<KubectlResult> {
    return new Promise((resolve, reject) => {
      const child = spawn(this.kubectlPath, ['--kubeconfig', this.kubeconfig, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
      // kubectl may exit before reading stdin (nothing to read): EPIPE then, not an uncaught error.
      child.stdin.on('error', () => undefined);
      child.stdin.end(input ?? '');
    });
  }

  /** kubectl that must succeed. */
  async kubectlOk(args: string[], input?: string): Promise<string> {
    const result = await this.kubectl(args, input);
    if (result.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${result.code}): ${result.stderr || result.stdout}`);
    return result.stdout;
  }

  async createNamespace(name: string): Promise<void> {
    await this.kube.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
    await eventually(`the default ServiceAccount in ${name}`, () =>
      this.kube.get({ apiVersion: 'v1', kind: 'ServiceAccount', namespace: name, name: 'default' }), 30_000);
  }

  /**
   * Deletes a namespace; with `untilGone`, returns once it is gone, so that the next test may
   * create one of the same name (objects created in a namespace still terminating vanish with it).
   */
  async deleteNamespace(name: string, { untilGone = false } = {}): Promise<void> {
    await this.kube.delete({ apiVersion: 'v1', kind: 'Namespace', name }, { propagationPolicy: 'Background' });
    if (!untilGone) return;
    await eventually(`namespace ${name} to be gone`, async () =>
      ((await this.kube.get({ apiVersion: 'v1', kind: 'Namespace', name })) ? undefined : true), 120_000, 500);
  }

  close(): void {
    this.kube.close();
  }
}

let counter = 0;
/** A namespace name unique to this run and test. */
export function testNamespace(prefix: string): string {
  counter += 1;
  return `${prefix}-${process.pid % 10000}-${counter}`.toLowerCase().replace(/[^a-z0-9-]/g, '-').slice(0, 60);
}

// The stepper as e2e tests and the demo run it: a host process with the identity and permissions
// deploy/ grants (a token of the davy-stepper ServiceAccount), plus a receiver that answers and
// records the webhooks Canaries call.
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { parse as parseYaml } from 'yaml';
import { davyCli, startProcess, type Managed } from './process.js';
import type { Cluster } from './cluster.js';


/**
 * A kubeconfig whose user is a davy-system ServiceAccount (a token of it), as that component's pods
 * would be: e2e runs every Davy component with exactly the permissions deploy/ grants it.
 */
export async function serviceAccountKubeconfig(cluster: Cluster, account: string, file: string): Promise<string> {
  const token = (await cluster.kubectlOk(['-n', 'davy-system', 'create', 'token', account, '--duration=2h'])).trim();
  const admin = parseYaml(fs.readFileSync(cluster.kubeconfig, 'utf8')) as { clusters: { cluster: Record<string, string> }[] };
  const { server, 'certificate-authority-data': ca } = admin.clusters[0]!.cluster;
  fs.writeFileSync(file, [
    'apiVersion: v1', 'kind: Config',
    'clusters: [{name: local, cluster: {server: "' + server + '", certificate-authority-data: "' + ca + '"}}]',
    'users: [{name: ' + account + ', user: {token: "' + token + '"}}]',
    'contexts: [{name: local, context: {cluster: local, user: ' + account + '}}]',
    'current-context: local', '',
  ].join('\n'));
  return file;
}

/**
 * A kubeconfig whose user is the stepper's ServiceAccount, as the CronJob's pods would be, and the
 * per-namespace Secret grant deploy/stepper/rbac.yaml documents, in each of `namespaces`.
 */
export async function stepperKubeconfig(cluster: Cluster, file: string, namespaces: readonly string[] = []): Promise<string> {
  for (const namespace of namespaces) await grantStepperSecrets(cluster, namespace);
  return serviceAccountKubeconfig(cluster, 'davy-stepper', file);
}

/** The RoleBinding an operator creates to let the stepper list Secrets in one namespace. */
export async function grantStepperSecrets(cluster: Cluster, namespace: string): Promise<void> {
  const binding = {
    apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding',
    metadata: { name: 'davy-stepper-secrets', namespace },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'davy-stepper-secrets' },
    subjects: [{ kind: 'ServiceAccount', name: 'davy-stepper', namespace: 'davy-system' }],
  };
  await cluster.kubectlOk(['apply', '-f', '-'], JSON.stringify(binding));
}

export interface StepperOptions {
  kubeconfig: string;
  metricsServer: string;
  logFile: string;
  namespaces?: string[];
  extraArgs?: string[];
}

/**
 * The host processes' receivers (hooks, Prometheus, exporters) listen on 127.0.0.1, which the
 * default --allowed-hosts (in-cluster Service names) refuses: an operator's list naming them.
 */
export const HOST_ARGS = ['--allowed-hosts', 'cluster,127.0.0.1,localhost'];

/** `davy step --watch` as a host process. */
export function startStepper(options: StepperOptions): Managed {
  const args = [
    ...davyCli(), 'step', '--watch',
    '--kubeconfig', options.kubeconfig, '--metrics-server', options.metricsServer, '--log-level', 'debug', ...HOST_ARGS,
    ...(options.namespaces ?? []).flatMap((ns) => ['--namespace', ns]),
    ...(options.extraArgs ?? []),
  ];
  return startProcess(process.execPath, args, options.logFile);
}

/** `davy step --once`, to completion. */
export async function stepOnce(options: StepperOptions): Promise<number> {
  const proc = startProcess(process.execPath, [
    ...davyCli(), 'step', '--once',
    '--kubeconfig', options.kubeconfig, '--metrics-server', options.metricsServer, ...HOST_ARGS,
    ...(options.namespaces ?? []).flatMap((ns) => ['--namespace', ns]), ...(options.extraArgs ?? []),
  ], options.logFile);
  return new Promise((resolve) => proc.child.once('exit', (code) => resolve(code ?? -1)));
}

export interface HookCall {
  path: string;
  body: { name: string; namespace: string; phase: string; checksum?: string; metadata?: Record<string, string> };
}

/** Answers Flagger-style webhooks (200 unless told otherwise per path) and records every call. */
export class HookReceiver {
  readonly calls: HookCall[] = [];
  private readonly answers = new Map<string, number>();
  private server?: http.Server;

  /** The HTTP status to answer on a path, e.g. answer('/gate', 403). */
  answer(pathname: string, status: number): void {
    this.answers.set(pathname, status);
  }

  async listen(): Promise<string> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const pathname = new URL(req.url ?? '/', 'http://x').pathname;
        try {
          this.calls.push({ path: pathname, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as HookCall['body'] });
        } catch {
          this.calls.push({ path: pathname, body: { name: '', namespace: '', phase: 'unparsable' } });
        }
        res.writeHead(this.answers.get(pathname) ?? 200).end('ok');
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    if (this.server) await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }
}

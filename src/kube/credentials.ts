// Where the API server is and how to authenticate to it, without @kubernetes/client-node for the
// common cases: in-cluster ServiceAccount credentials, and kubeconfigs whose user is a token, a
// token file (read as kubectl does; client-node ignores it) or a client certificate. NodeKubeClient needed client-node only for
// this, and loading it is most of a process's memory (about 40 MiB of RSS, 2.8 MB of bundled
// code: BENCHMARKS.md, "The webhook's memory"). Anything else a kubeconfig may say (exec and
// auth-provider plugins, several files in KUBECONFIG, proxies, impersonation) is still handed to
// client-node's KubeConfig, imported only then.
import fs from 'node:fs';
import type https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';

export interface Credentials {
  server: URL;
  /** TLS and auth options for node:https (ca, cert, key, rejectUnauthorized, servername, headers). */
  options: https.RequestOptions;
}

/** Produces the credentials for each (re)connection; files are re-read, so rotated tokens are picked up. */
export interface CredentialSource {
  credentials(): Promise<Credentials>;
}

/** What NodeKubeClient uses of client-node's KubeConfig (which satisfies it), for callers that hold one. */
export interface KubeConfigLike {
  getCurrentCluster(): { server: string } | null;
  applyToHTTPSOptions(options: https.RequestOptions): Promise<void>;
}

export function fromKubeConfig(config: KubeConfigLike): CredentialSource {
  return {
    async credentials() {
      const cluster = config.getCurrentCluster();
      if (!cluster) throw new Error('kubeconfig has no current cluster');
      const options: https.RequestOptions = {};
      await config.applyToHTTPSOptions(options);
      return { server: new URL(cluster.server), options };
    },
  };
}

const SERVICE_ACCOUNT = '/var/run/secrets/kubernetes.io/serviceaccount';

/** client-node's loading, imported on first use: for what the small loader below does not handle. */
function fullKubeConfig(file: string | undefined): CredentialSource {
  let loaded: Promise<CredentialSource> | undefined;
  return {
    credentials() {
      // Through kubeconfig.ts, which names the one class used: a dynamic import of the package
      // itself would bundle all of it (17 MB rather than 2.8).
      loaded ??= import('./kubeconfig.js').then(({ loadKubeConfig }) => fromKubeConfig(loadKubeConfig(file)));
      return loaded.then((source) => source.credentials());
    },
  };
}

/**
 * The credentials client-node's `loadFromDefault` would find, in its order (KUBECONFIG, then
 * ~/.kube/config, then the in-cluster ServiceAccount), or those of `file`. A missing or unreadable
 * file throws now, as client-node's loading did.
 */
export function loadCredentials(file?: string, env: NodeJS.ProcessEnv = process.env): CredentialSource {
  if (file) return kubeconfigFile(file);
  const listed = (env.KUBECONFIG ?? '').split(path.delimiter).filter(Boolean);
  if (listed.length > 1) return fullKubeConfig(undefined); // merged files: client-node's rules
  if (listed.length === 1) return kubeconfigFile(listed[0]!);
  const home = path.join(env.HOME ?? os.homedir(), '.kube', 'config');
  if (fs.existsSync(home)) return kubeconfigFile(home);
  if (env.KUBERNETES_SERVICE_HOST && fs.existsSync(`${SERVICE_ACCOUNT}/token`)) return inCluster(env);
  return fullKubeConfig(undefined);
}

function inCluster(env: NodeJS.ProcessEnv): CredentialSource {
  const host = env.KUBERNETES_SERVICE_HOST!;
  const server = new URL(`https://${host.includes(':') ? `[${host}]` : host}:${env.KUBERNETES_SERVICE_PORT ?? '443'}`);
  return {
    async credentials() {
      const token = (await fs.promises.readFile(`${SERVICE_ACCOUNT}/token`, 'utf8')).trim();
      const ca = await fs.promises.readFile(`${SERVICE_ACCOUNT}/ca.crt`);
      return { server, options: { ca, headers: { authorization: `Bearer ${token}` } } };
    },
  };
}

interface KubeconfigDoc {
  'current-context'?: string;
  contexts?: { name: string; context?: { cluster?: string; user?: string } }[];
  clusters?: { name: string; cluster?: Record<string, unknown> }[];
  users?: { name: string; user?: Record<string, unknown> }[];
}

const CLUSTER_FIELDS = new Set(['server', 'certificate-authority', 'certificate-authority-data', 'insecure-skip-tls-verify', 'tls-server-name', 'extensions']);
const USER_FIELDS = new Set(['token', 'tokenFile', 'client-certificate', 'client-certificate-data', 'client-key', 'client-key-data', 'extensions']);

/** A kubeconfig file read and parsed now; handled here when every field of its current cluster and user is one of the above. */
function kubeconfigFile(file: string): CredentialSource {
  const doc = (parseYaml(fs.readFileSync(file, 'utf8')) ?? {}) as KubeconfigDoc;
  const context = doc.contexts?.find((c) => c.name === doc['current-context'])?.context;
  const cluster = doc.clusters?.find((c) => c.name === context?.cluster)?.cluster;
  const user = doc.users?.find((u) => u.name === context?.user)?.user ?? {};
  if (!cluster || typeof cluster.server !== 'string') return fullKubeConfig(file);
  if (Object.keys(cluster).some((k) => !CLUSTER_FIELDS.has(k)) || Object.keys(user).some((k) => !USER_FIELDS.has(k))) return fullKubeConfig(file);
  const dir = path.dirname(file);
  const str = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);
  const read = async (data: unknown, ref: unknown): Promise<Buffer | undefined> => {
    if (str(data)) return Buffer.from(str(data)!, 'base64');
    if (str(ref)) return fs.promises.readFile(path.resolve(dir, str(ref)!));
    return undefined;
  };
  const server = new URL(cluster.server);
  return {
    async credentials() {
      const options: https.RequestOptions = {};
      const ca = await read(cluster['certificate-authority-data'], cluster['certificate-authority']);
      if (ca) options.ca = ca;
      if (cluster['insecure-skip-tls-verify'] === true) options.rejectUnauthorized = false;
      if (str(cluster['tls-server-name'])) options.servername = str(cluster['tls-server-name'])!;
      const cert = await read(user['client-certificate-data'], user['client-certificate']);
      const key = await read(user['client-key-data'], user['client-key']);
      if (cert) options.cert = cert;
      if (key) options.key = key;
      const token = str(user.token) ?? (str(user.tokenFile) ? (await fs.promises.readFile(path.resolve(dir, str(user.tokenFile)!), 'utf8')).trim() : undefined);
      if (token) options.headers = { authorization: `Bearer ${token}` };
      return { server, options };
    },
  };
}

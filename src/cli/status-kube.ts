// The cluster side of the operator's commands (`davy status` and the actions): a session on the
// kubeconfig (client, namespace, who is asking), and failures mapped to exit codes. The command
// functions take a `connect` function, so tests hand them an in-memory KubeClient instead.

import { ApiError, NotFoundError, type KubeClient } from '../kube/client.js';
import type { CliEnvironment, ClusterFlags } from '../config/cli.js';
import { API_VERSION } from '../api/keys.js';

export interface ClusterSession {
  client: KubeClient;
  /** -n, else the kubeconfig context's namespace, else "default". */
  namespace: string;
  /** The kubeconfig's user name, else $USER: the `by` of an action. */
  user?: string;
  close(): void;
}

export type Connect = (flags: ClusterFlags) => ClusterSession | Promise<ClusterSession>;

export const canaryRef = (name: string, namespace: string) => ({ apiVersion: API_VERSION, kind: 'Canary', name, namespace });

/**
 * The real connection: @kubernetes/client-node's kubeconfig loading, Davy's KubeClient adapter.
 * Imported when connecting, so `--help` and usage errors answer without loading the client.
 */
export function kubeconfigConnect(env: CliEnvironment): Connect {
  return async (flags) => {
    const [{ loadKubeConfig }, { NodeKubeClient }] = await Promise.all([import('../kube/kubeconfig.js'), import('../kube/node-client.js')]);
    const config = loadKubeConfig(flags.kubeconfig);
    if (flags.context !== undefined) {
      if (!config.getContextObject(flags.context)) throw new Error(`the kubeconfig has no context ${JSON.stringify(flags.context)}`);
      config.setCurrentContext(flags.context);
    }
    const contextNamespace = config.getContextObject(config.getCurrentContext())?.namespace;
    const user = config.getCurrentUser()?.name || env.user;
    const client = new NodeKubeClient(config, { timeoutMs: 15_000 });
    return {
      client,
      namespace: flags.namespace ?? (contextNamespace || 'default'),
      ...(user ? { user } : {}),
      close: () => client.close(),
    };
  };
}

export interface Failure {
  /** 1: the API server answered no; 2: the cluster could not be asked at all. */
  code: 1 | 2;
  message: string;
}

/** An error from connecting or from the API server, as a sentence and an exit code. */
export function describeFailure(error: unknown): Failure {
  if (error instanceof NotFoundError && /no resource for kind|could not find the requested resource/.test(error.message)) {
    return { code: 1, message: `${error.message} (are the flagger.app CRDs installed?)` };
  }
  if (error instanceof ApiError) return { code: 1, message: `the API server refused: ${error.message}` };
  const message = error instanceof Error ? error.message : String(error);
  return { code: 2, message: `cannot reach the cluster: ${message}` };
}

/** Connects; a kubeconfig that cannot be used is a Failure (exit 2), not a throw. */
export async function openSession(connect: Connect, flags: ClusterFlags): Promise<ClusterSession | Failure> {
  try {
    return await connect(flags);
  } catch (error) {
    return { code: 2, message: `cannot use the kubeconfig: ${error instanceof Error ? error.message : String(error)}` };
  }
}

export const isFailure = (value: ClusterSession | Failure): value is Failure => 'code' in value;

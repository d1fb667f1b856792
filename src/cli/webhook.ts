// `davy webhook`: the composition root of the admission webhook. It parses the configuration,
// wires the validator, the logger and the metrics into the server, and turns SIGTERM/SIGINT
// into a graceful shutdown.
import { startWebhookServer, type RunningWebhook } from '../admission/server.js';
import type { ValidateFn } from '../admission/validate-handler.js';
import type { AddressPolicy } from '../api/address-policy.js';
import { checkResourceAgainstCluster, type ClusterLookup } from '../api/cluster-checks.js';
import { validateResource } from '../api/validate.js';
import { parseWebhookConfig, WEBHOOK_USAGE, type WebhookConfig } from '../config/webhook.js';
import type { NodeKubeClient } from '../kube/node-client.js';
import { createLogger, type Logger } from '../telemetry/logger.js';

export interface WebhookCommandDeps {
  logger?: Logger;
  /** Replaces the validator (tests). */
  validate?: ValidateFn;
  /** Stops the server when aborted; when given, process signals are not handled. */
  stop?: AbortSignal;
  /** Called once both ports listen. */
  onListening?: (webhook: RunningWebhook) => void;
  stdout?: NodeJS.WritableStream;
  stderr?: NodeJS.WritableStream;
}

/**
 * The /validate function: the pure validator, then (with --cluster-checks, and only for a spec
 * that is sound on its own) the cluster-aware checks, all errors and warnings together.
 */
export function webhookValidator(
  cluster: ClusterLookup | undefined, addressPolicy?: AddressPolicy, alertPolicy?: AddressPolicy,
): ValidateFn {
  const policies = { ...(addressPolicy ? { addressPolicy } : {}), ...(alertPolicy ? { alertPolicy } : {}) };
  return async (object, request) => {
    const own = validateResource(object);
    if (!cluster || own.errors.length > 0) return own;
    const options = { namespace: request.namespace || undefined, ...policies };
    const found = await checkResourceAgainstCluster(object, cluster, options);
    return { errors: [...own.errors, ...found.errors], warnings: [...own.warnings, ...found.warnings] };
  };
}

/**
 * The Kubernetes client is loaded only with --cluster-checks: @kubernetes/client-node is most of
 * the webhook's memory when loaded (about 40 MiB of its RSS; BENCHMARKS.md, "The webhook's memory").
 */
async function clusterClient(config: WebhookConfig): Promise<NodeKubeClient | undefined> {
  if (!config.clusterChecks) return undefined;
  const { NodeKubeClient } = await import('../kube/node-client.js');
  return NodeKubeClient.fromKubeconfig({ kubeconfig: config.kubeconfig, timeoutMs: 3000 });
}

/** Resolves with the reason the server should stop: a signal, or the injected abort. */
function stopRequested(stop: AbortSignal | undefined): Promise<string> {
  if (stop) {
    return new Promise((resolve) => {
      if (stop.aborted) resolve('aborted');
      else stop.addEventListener('abort', () => resolve('aborted'), { once: true });
    });
  }
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals): void => {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      resolve(signal);
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}

/**
 * Exit codes: 0 after a clean shutdown or --help, 1 when the server cannot start or had to cut reviews, 2 on usage
 * errors.
 */
export async function runWebhook(
  argv: string[],
  env: NodeJS.ProcessEnv,
  deps: WebhookCommandDeps = {},
): Promise<number> {
  const parsed = parseWebhookConfig(argv, env);
  if (!parsed.ok) {
    if (parsed.help) {
      (deps.stdout ?? process.stdout).write(WEBHOOK_USAGE);
      return 0;
    }
    (deps.stderr ?? process.stderr).write(`davy webhook: ${parsed.error}\n\n${WEBHOOK_USAGE}`);
    return 2;
  }
  const { config } = parsed;
  const logger = deps.logger ?? createLogger({ level: config.logLevel, defaultMeta: { component: 'webhook' } });
  let cluster: NodeKubeClient | undefined;
  try {
    cluster = deps.validate ? undefined : await clusterClient(config);
  } catch (error) {
    logger.error('cannot load credentials for --cluster-checks', { error });
    return 1;
  }
  const validate = deps.validate ?? webhookValidator(cluster, config.allowedHosts, config.alertHosts);

  let webhook: RunningWebhook;
  try {
    webhook = await startWebhookServer(
      {
        port: config.port,
        metricsPort: config.metricsPort,
        bindAddress: config.bindAddress,
        tlsCert: config.tlsCert,
        tlsKey: config.tlsKey,
        stepperIdentities: config.stepperIdentities,
        drainTimeoutMs: config.drainTimeoutSeconds * 1000,
        shutdownDelayMs: config.shutdownDelaySeconds * 1000,
        recordReviewsDir: config.recordReviews,
      },
      { logger, validate },
    );
  } catch (error) {
    logger.error('webhook cannot start', { error });
    cluster?.close();
    return 1;
  }
  const stopping = stopRequested(deps.stop);
  deps.onListening?.(webhook);
  const forced = await webhook.shutdown(await stopping);
  cluster?.close();
  return forced ? 1 : 0;
}

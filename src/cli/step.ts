// `davy step`: the composition root of the stepper. It parses the configuration, wires the
// Kubernetes client (its requests counted), the webhook caller, the logger and the metrics into
// the runner, serves /metrics when asked, and turns SIGTERM/SIGINT into a clean stop.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseStepConfig, STEP_USAGE, type GlobalNotifier, type StepConfig } from '../config/step.js';
import type { KubeClient } from '../kube/client.js';
import { NodeKubeClient } from '../kube/node-client.js';
import { crashAfterWrites } from '../kube/crash-after-writes.js';
import type { MetricProviderRegistry } from '../metrics/provider.js';
import { metricProviderRegistry } from '../metrics/providers/index.js';
import { NOTIFIERS } from '../notifiers/index.js';
import type { Notifier } from '../notifiers/notifier.js';
import { addressGuard, guardedCaller, serviceExistsIn } from '../runner/address-guard.js';
import { ChangeFeed } from '../runner/changes.js';
import { runSchedule, type PassReport, type ScheduleDeps } from '../runner/index.js';
import { createLogger, type Logger } from '../telemetry/logger.js';
import { StepperMetrics } from '../telemetry/stepper-metrics.js';
import { createWebhookCaller, type WebhookCaller } from '../webhooks/caller.js';

export interface StepCommandDeps {
  /** Replaces the API client built from --kubeconfig (tests, in-process e2e runs). */
  kube?: KubeClient;
  clock?: () => Date;
  logger?: Logger;
  webhooks?: WebhookCaller;
  metricProviders?: MetricProviderRegistry;
  /** Stops the run when aborted; when given, process signals are not handled. */
  stop?: AbortSignal;
  sleep?: ScheduleDeps['sleep'];
  onPass?: (report: PassReport) => void;
  /** Called once /metrics listens (with --metrics-port). */
  onMetricsListening?: (port: number) => void;
  stdout?: NodeJS.WritableStream;
  stderr?: NodeJS.WritableStream;
}

const globalNotifier = ({ type, address, token, proxy, channel, username }: GlobalNotifier): Notifier =>
  NOTIFIERS[type]({ address, channel, username, ...(token ? { token } : {}), ...(proxy ? { proxy } : {}) });

/** An AbortSignal that fires on SIGTERM or SIGINT (or the injected stop), and how to stop listening. */
function stopSignal(stop: AbortSignal | undefined, logger: Logger): { signal: AbortSignal; dispose: () => void } {
  if (stop) return { signal: stop, dispose: () => undefined };
  const controller = new AbortController();
  const onSignal = (signal: NodeJS.Signals): void => {
    logger.info('stopping: no new canary is started; running checks are cancelled', { signal });
    controller.abort(signal);
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  return {
    signal: controller.signal,
    dispose: () => {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
    },
  };
}

/** GET /metrics (and /healthz) on a plain-HTTP port while the stepper runs. */
async function serveMetrics(metrics: StepperMetrics, port: number, logger: Logger): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/metrics') {
      metrics.expose().then(
        ({ contentType, body }) => res.writeHead(200, { 'content-type': contentType }).end(body),
        (error: unknown) => {
          logger.warn('cannot render metrics', { error });
          res.writeHead(500).end();
        },
      );
      return;
    }
    if (req.method === 'GET' && req.url === '/healthz') return void res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, () => resolve());
  });
  return server;
}

function apiClient(config: StepConfig, metrics: StepperMetrics): NodeKubeClient {
  return NodeKubeClient.fromKubeconfig({
    ...(config.kubeconfig ? { kubeconfig: config.kubeconfig } : {}),
    onRequest: metrics.apiRequest,
    timeoutMs: 30_000,
  });
}

/** Watches on the stepper's namespaces and shard, through the API client (tests that inject one run without). */
const changeFeed = (client: NodeKubeClient, logger: Logger, metrics: StepperMetrics, config: StepConfig): ChangeFeed =>
  new ChangeFeed(client, logger, {
    namespaces: config.namespaces,
    metrics,
    ...(config.shard ? { shard: config.shard } : {}),
  });

/** Exit codes: see STEP_USAGE. */
export async function runStep(argv: string[], env: NodeJS.ProcessEnv, deps: StepCommandDeps = {}): Promise<number> {
  const parsed = parseStepConfig(argv, env);
  if (!parsed.ok) {
    if (parsed.help) {
      (deps.stdout ?? process.stdout).write(STEP_USAGE);
      return 0;
    }
    (deps.stderr ?? process.stderr).write(`davy step: ${parsed.error}\n\n${STEP_USAGE}`);
    return 2;
  }
  const { config } = parsed;
  const logger = deps.logger ?? createLogger({ level: config.logLevel, defaultMeta: { component: 'stepper' } });
  const metrics = new StepperMetrics();
  let client: NodeKubeClient | undefined;
  let server: Server | undefined;
  const stop = stopSignal(deps.stop, logger);
  try {
    client = deps.kube ? undefined : apiClient(config, metrics);
    if (config.metricsPort !== undefined) {
      server = await serveMetrics(metrics, config.metricsPort, logger);
      deps.onMetricsListening?.((server.address() as AddressInfo).port);
    }
  } catch (error) {
    logger.error('the stepper cannot start', { error });
    stop.dispose();
    client?.close();
    return 1;
  }
  try {
    const api = deps.kube ?? client;
    if (!api) throw new Error('no API client'); // unreachable: one of the two is always set
    const kube = config.crashAfterWrites ? crashAfterWrites(api, config.crashAfterWrites) : api;
    const addresses = addressGuard(config.allowedHosts, serviceExistsIn(kube));
    const result = await runSchedule(
      {
        kube,
        clock: deps.clock ?? (() => new Date()),
        logger,
        // Every call a Canary or MetricTemplate names passes the operator's --allowed-hosts.
        webhooks: guardedCaller(deps.webhooks ?? createWebhookCaller(), addresses),
        addressGuard: addresses,
        alertGuard: addressGuard(config.alertHosts, serviceExistsIn(kube)),
        // Flagger's global notifier: the operator's own URL, like --metrics-server, not a tenant's.
        ...(config.globalNotifier ? { notifier: globalNotifier(config.globalNotifier) } : {}),
        metrics,
        // keptn and externalmetrics reach the API server with the stepper's own client.
        metricProviders: deps.metricProviders ?? metricProviderRegistry({ kube, ...(client ? { api: client } : {}) }),
        ...(config.eventWebhook ? { eventWebhook: config.eventWebhook } : {}),
        ...(config.cloudEventsSink ? { cloudEventsSink: config.cloudEventsSink } : {}),
        ...(deps.sleep ? { sleep: deps.sleep } : {}),
        ...(deps.onPass ? { onPass: deps.onPass } : {}),
      },
      {
        mode: config.mode,
        pass: {
          namespaces: config.namespaces,
          ...(config.shard ? { shard: config.shard } : {}),
          meshProvider: config.meshProvider,
          ...(config.ingressAnnotationsPrefix ? { ingressAnnotationsPrefix: config.ingressAnnotationsPrefix } : {}),
          ...(config.ingressClass ? { ingressClass: config.ingressClass } : {}),
          ...(config.metricsServer ? { metricsServer: config.metricsServer } : {}),
          concurrency: config.concurrency,
        },
        pollIntervalMs: config.pollIntervalMs,
        ...(client && config.resyncMs > 0
          ? { changes: changeFeed(client, logger, metrics, config), resyncMs: config.resyncMs }
          : {}),
        signal: stop.signal,
      },
    );
    logger.info('stepper done', { ...result });
    return result.lastPassFailed ? 1 : 0;
  } finally {
    stop.dispose();
    client?.close();
    if (server) await new Promise<void>((resolve) => server?.close(() => resolve()));
  }
}

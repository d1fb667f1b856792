// Everything the e2e tests and the demo run against, besides the control plane itself (started
// by hack/with-cluster.sh): one shapeable metrics exporter, one Prometheus scraping it, what
// deploy/ installs except the webhook (CRDs, namespace, the stepper's RBAC), stand-in CRDs for the
// meshes and KEDA, and Davy's webhook on the host, started on first use.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MetricsExporter } from './exporter.js';
import { startPrometheus, type PrometheusServer } from './prometheus.js';
import { Cluster } from './cluster.js';
import { eventually } from './process.js';
import { startWebhook, type WebhookProcess } from './webhook.js';

const ROOT = path.resolve(import.meta.dirname, '../..');

export interface Environment {
  cluster: Cluster;
  exporter: MetricsExporter;
  prometheus: PrometheusServer;
  stateDir: string;
  /** Davy's webhook, started and registered on first use, shared by everything that needs it. */
  webhook(): Promise<WebhookProcess>;
  stop(): Promise<void>;
}

export async function startEnvironment(env: NodeJS.ProcessEnv = process.env): Promise<Environment> {
  const stateDir = env.DAVY_E2E_STATE ?? fs.mkdtempSync(path.join(os.tmpdir(), 'davy-e2e-'));
  const cluster = Cluster.fromEnv(env);
  const exporter = new MetricsExporter();
  const exporterPort = await exporter.listen();
  const prometheus = await startPrometheus(env.DAVY_E2E_PROMETHEUS ?? 'prometheus', path.join(stateDir, 'prometheus'), [`127.0.0.1:${exporterPort}`]);
  const deploy = path.join(ROOT, 'deploy');
  await cluster.kubectlOk(['apply', '-f', path.join(deploy, 'namespace.yaml')]);
  await cluster.kubectlOk(['apply', '-k', path.join(deploy, 'crds')]);
  // The stepper's identity and RBAC; its CronJob stays out (kwok runs no containers: the stepper
  // runs on the host with that identity).
  await cluster.kubectlOk(['apply', '-n', 'davy-system', '-f', path.join(deploy, 'stepper/rbac.yaml')]);
  await cluster.kubectlOk(['apply', '-f', path.join(ROOT, 'test/fixtures/crds')]);
  // `kubectl wait` fails at once, instead of waiting, on a CRD that has no conditions yet
  // ("<nil> is of the type <nil>"), which the more CRDs there are the likelier it meets: retry it.
  const wait = ['wait', '--for=condition=Established', '--timeout=60s', 'crd', '--all'];
  await eventually('the CRDs to be Established', async () => ((await cluster.kubectl(wait)).code === 0 ? true : undefined), 90_000, 500);

  let webhook: Promise<WebhookProcess> | undefined;
  return {
    cluster, exporter, prometheus, stateDir,
    webhook: () => (webhook ??= startWebhook(cluster, path.join(stateDir, 'webhook'))),
    async stop() {
      // The webhook's configurations go before its server, or labelled objects would be refused.
      if (webhook) await (await webhook.catch(() => undefined))?.teardown();
      await prometheus.stop();
      await exporter.close();
      cluster.close();
    },
  };
}

// Mocha root hooks for the e2e run: one metrics exporter and one Prometheus for all tests (the
// control plane is started by hack/e2e.sh), stopped at the end whatever happened.
import path from 'node:path';
import os from 'node:os';
import fs from 'node:fs';
import { MetricsExporter } from '../harness/exporter.js';
import { startPrometheus, type PrometheusServer } from '../harness/prometheus.js';
import { Cluster } from '../harness/cluster.js';
import { startWebhook, type WebhookProcess } from '../harness/webhook.js';

export interface E2eEnv {
  cluster: Cluster;
  exporter: MetricsExporter;
  prometheus: PrometheusServer;
  stateDir: string;
  /** Davy's webhook, started and registered on first use, shared by the tests that need it. */
  webhook(): Promise<WebhookProcess>;
}

let env: E2eEnv | undefined;
let webhook: Promise<WebhookProcess> | undefined;

/** The shared e2e environment, available inside tests and their hooks. */
export function e2e(): E2eEnv {
  if (!env) throw new Error('the e2e environment is not started (run through `make test-e2e`)');
  return env;
}

export const mochaHooks = {
  async beforeAll(this: Mocha.Context): Promise<void> {
    this.timeout(120_000);
    const stateDir = process.env.DAVY_E2E_STATE ?? fs.mkdtempSync(path.join(os.tmpdir(), 'davy-e2e-'));
    const cluster = Cluster.fromEnv();
    const exporter = new MetricsExporter();
    const exporterPort = await exporter.listen();
    const binary = process.env.DAVY_E2E_PROMETHEUS ?? 'prometheus';
    const prometheus = await startPrometheus(binary, path.join(stateDir, 'prometheus'), [`127.0.0.1:${exporterPort}`]);
    // What deploy/ installs besides the webhook (which runs on the host): CRDs, namespace, the stepper's RBAC.
    const deploy = path.resolve(import.meta.dirname, '../../deploy');
    await cluster.kubectlOk(['apply', '-f', path.join(deploy, 'namespace.yaml')]);
    await cluster.kubectlOk(['apply', '-k', path.join(deploy, 'crds')]);
    await cluster.kubectlOk(['apply', '-k', path.join(deploy, 'stepper')]);
    await cluster.kubectlOk(['wait', '--for=condition=Established', '--timeout=60s', 'crd/canaries.flagger.app', 'crd/metrictemplates.flagger.app', 'crd/alertproviders.flagger.app']);
    env = {
      cluster, exporter, prometheus, stateDir,
      webhook: () => (webhook ??= startWebhook(cluster, path.join(stateDir, 'webhook'))),
    };
  },
  async afterAll(this: Mocha.Context): Promise<void> {
    this.timeout(60_000);
    if (!env) return;
    if (webhook) await (await webhook.catch(() => undefined))?.teardown();
    webhook = undefined;
    await env.prometheus.stop();
    await env.exporter.close();
    env.cluster.close();
    env = undefined;
  },
};

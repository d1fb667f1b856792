// Davy's webhook as the e2e tests and the demo run it: a host process serving HTTPS on loopback,
// with certificates from certs/generate.sh, registered by URL with a caBundle, so the apiserver's
// real admission chain calls it. Its cluster checks run with a token of deploy/'s davy-webhook
// ServiceAccount under deploy/'s RBAC, so a permission deploy/ lacks fails a test.
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { davyCli, startProcess, freePort, eventually, type Managed } from './process.js';
import { HOST_ARGS, serviceAccountKubeconfig } from './stepper.js';
import type { Cluster } from './cluster.js';

const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '../..');

/** The identity deploy/ gives the stepper; the webhook lets it set and release holds. */
export const STEPPER_USER = 'system:serviceaccount:davy-system:davy-stepper';

export interface WebhookProcess {
  url: string;
  metricsUrl: string;
  certDir: string;
  /** (Re)starts the server on the same ports and certificates. */
  start(): Promise<void>;
  /** Stops the server; the configurations stay registered (failurePolicy Fail then refuses). */
  stop(): Promise<void>;
  /** Removes the configurations, then stops the server. */
  teardown(): Promise<void>;
  /** How many /mutate reviews the server has answered, from its own metrics. */
  mutateCalls(): Promise<number>;
  /** The server process's id while it runs (the benchmarks read its CPU and memory). */
  pid(): number | undefined;
}

export async function startWebhook(cluster: Cluster, dir: string): Promise<WebhookProcess> {
  fs.mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const metricsPort = await freePort();
  const url = `https://127.0.0.1:${port}`;
  const certDir = path.join(dir, 'certs');
  await run(path.join(ROOT, 'certs/generate.sh'), ['--out', certDir, '--san', 'IP:127.0.0.1', '--webhook-url', url]);
  const ca = fs.readFileSync(path.join(certDir, 'ca.crt'));
  const base = path.join(ROOT, 'deploy/webhook/base');
  await cluster.kubectlOk(['apply', '-n', 'davy-system', '-f', path.join(base, 'serviceaccount.yaml'), '-f', path.join(base, 'rbac.yaml')]);
  const kubeconfig = await serviceAccountKubeconfig(cluster, 'davy-webhook', path.join(dir, 'webhook.kubeconfig'));
  let proc: Managed | undefined;

  const start = async (): Promise<void> => {
    proc = startProcess(process.execPath, [
      ...davyCli(), 'webhook',
      '--port', String(port), '--metrics-port', String(metricsPort), '--bind-address', '127.0.0.1',
      '--tls-cert', path.join(certDir, 'tls.crt'), '--tls-key', path.join(certDir, 'tls.key'),
      '--stepper-identity', STEPPER_USER, '--log-level', 'debug',
      '--cluster-checks', '--kubeconfig', kubeconfig, ...HOST_ARGS,
    ], path.join(dir, 'webhook.log'));
    await eventually('the webhook to be ready', () => readyz(url, ca), 30_000).catch((error: Error) => {
      throw new Error(`${error.message}\n${proc?.tail() ?? ''}`);
    });
  };
  const stop = async (): Promise<void> => proc?.stop();
  const configs = path.join(certDir, 'webhook-configurations.yaml');

  const teardown = async (): Promise<void> => {
    await cluster.kubectl(['delete', '--ignore-not-found', '-f', configs]);
    await stop();
  };

  await start();
  try {
    await cluster.kubectlOk(['apply', '-f', configs]);
    // The apiserver picks configurations up through an informer: wait until ours is in effect.
    await eventually('the validating webhook to be in effect', async () => {
      const probe = await cluster.kubectl(['create', '--dry-run=server', '-f', '-'], PROBE_CANARY);
      return /must not exceed maxWeight/.test(probe.stderr) ? true : undefined;
    }, 30_000);
  } catch (error) {
    await teardown(); // a registered Fail-policy webhook with no server would block labelled objects
    throw error;
  }

  return {
    url,
    metricsUrl: `http://127.0.0.1:${metricsPort}/metrics`,
    certDir,
    start,
    stop,
    teardown,
    pid: () => proc?.child.pid,
    async mutateCalls() {
      const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
      return text.split('\n').filter((l) => l.startsWith('davy_webhook_requests_total{') && l.includes('path="/mutate"'))
        .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
    },
  };
}

function readyz(url: string, ca: Buffer): Promise<true | undefined> {
  return new Promise((resolve) => {
    https.get(`${url}/readyz`, { ca }, (res) => {
      res.resume();
      resolve(res.statusCode === 200 ? true : undefined);
    }).on('error', () => resolve(undefined));
  });
}

/** A Canary the CRD schema accepts and Davy's validator refuses, to see the webhook in effect. */
export const PROBE_CANARY = `apiVersion: flagger.app/v1beta1
kind: Canary
metadata: {name: davy-probe, namespace: default}
spec:
  targetRef: {apiVersion: apps/v1, kind: Deployment, name: davy-probe}
  service: {port: 80}
  analysis: {interval: 1m, threshold: 1, maxWeight: 50, stepWeight: 60}
`;

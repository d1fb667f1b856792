// The configuration of `davy webhook`, parsed once from argv and the environment. This is the
// only place the command reads environment variables; flags win over them.
import { DEFAULT_ALERT_HOSTS, DEFAULT_ALLOWED_HOSTS, parseAddressPolicy, type AddressPolicy } from '../api/address-policy.js';
import { parseArgs } from 'node:util';
import type { LogLevel } from '../telemetry/logger.js';

export const DEFAULT_STEPPER_IDENTITY = 'system:serviceaccount:davy-system:davy-stepper';
const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];

export interface WebhookConfig {
  port: number;
  metricsPort: number;
  /** Both listeners bind here; all interfaces when undefined. */
  bindAddress?: string;
  tlsCert: string;
  tlsKey: string;
  /** Usernames, or `group:NAME` for groups, whose updates pass as sent (the stepper's). */
  stepperIdentities: string[];
  logLevel: LogLevel;
  drainTimeoutSeconds: number;
  /** Seconds shutdown keeps serving, each answer closing its connection, before it stops accepting. */
  shutdownDelaySeconds: number;
  /** Add the cluster-aware checks (references exist, names are free) to /validate. */
  clusterChecks: boolean;
  /** Kubeconfig for those checks; in-cluster credentials or ~/.kube/config when undefined. */
  kubeconfig?: string;
  /** Development aid: write every decoded AdmissionReview to this directory. */
  recordReviews?: string;
  /** The stepper's --allowed-hosts, for the addressNotAllowed warning of the cluster checks. */
  allowedHosts: AddressPolicy;
  /** The stepper's --alert-hosts, for the same warning on AlertProviders. */
  alertHosts: AddressPolicy;
}

export type WebhookConfigResult = { ok: true; config: WebhookConfig } | { ok: false; help: true } | { ok: false; help: false; error: string };

export const WEBHOOK_USAGE = `Usage: davy webhook --tls-cert FILE --tls-key FILE [flags]

Serves POST /mutate and POST /validate over HTTPS (TLS 1.2+), GET /healthz and GET /readyz, and
Prometheus metrics at /metrics on a plain-HTTP port. Certificates are reloaded when their files
change. SIGTERM or SIGINT: not ready, then (with --shutdown-delay) keep serving while clients
close their connections, stop accepting, finish in-flight reviews, exit 0.

Flags:
  --port P                 HTTPS port (default 8443; 0 picks a free one)
  --tls-cert FILE          serving certificate (PEM), required
  --tls-key FILE           its private key (PEM), required
  --metrics-port M         plain-HTTP metrics port (default 8080; 0 picks a free one)
  --bind-address ADDR      address both ports bind to (default: all interfaces)
  --stepper-identity NAME  a username, or group:NAME, allowed to set and release holds; repeatable
                           (env DAVY_STEPPER_IDENTITY, a comma list; default ${DEFAULT_STEPPER_IDENTITY})
  --log-level L            debug, info, warn or error (env DAVY_LOG_LEVEL; default info)
  --drain-timeout S        seconds shutdown waits for in-flight reviews (default 25)
  --shutdown-delay S       seconds shutdown first keeps serving, each answer closing its
                           connection, or until no connection is open (default 0; within
                           --drain-timeout): the apiserver then closes its keep-alive
                           connections itself instead of racing the server's close
  --cluster-checks         /validate also checks references against the cluster (read-only)
  --kubeconfig FILE        kubeconfig for those checks (default: in-cluster, then ~/.kube/config)
  --allowed-hosts LIST     the stepper's --allowed-hosts (env DAVY_ALLOWED_HOSTS; default
                           ${DEFAULT_ALLOWED_HOSTS}): the cluster checks warn of hook URLs and
                           MetricTemplate addresses the stepper will refuse to call
  --alert-hosts LIST       the stepper's --alert-hosts (env DAVY_ALERT_HOSTS; default
                           ${DEFAULT_ALERT_HOSTS}): the cluster checks warn of AlertProvider
                           addresses and proxies the stepper will not post to
  --record-reviews DIR     development aid, off by default: write every AdmissionReview received
                           to DIR as it was sent (whole objects and user identities: never in
                           production); see deploy/webhook/README.md
  -h, --help               this text
`;

const fail = (error: string): WebhookConfigResult => ({ ok: false, help: false, error });

function integer(name: string, text: string | undefined, fallback: number, max: number): number | string {
  if (text === undefined) return fallback;
  if (!/^\d+$/.test(text) || Number(text) > max) return `--${name}: must be an integer from 0 to ${max}, got ${JSON.stringify(text)}`;
  return Number(text);
}

const list = (text: string | undefined): string[] => (text ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');

export function parseWebhookConfig(argv: readonly string[], env: NodeJS.ProcessEnv): WebhookConfigResult {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        port: { type: 'string' },
        'metrics-port': { type: 'string' },
        'bind-address': { type: 'string' },
        'tls-cert': { type: 'string' },
        'tls-key': { type: 'string' },
        'stepper-identity': { type: 'string', multiple: true },
        'allowed-hosts': { type: 'string' },
        'alert-hosts': { type: 'string' },
        'log-level': { type: 'string' },
        'drain-timeout': { type: 'string' },
        'shutdown-delay': { type: 'string' },
        'cluster-checks': { type: 'boolean' },
        kubeconfig: { type: 'string' },
        'record-reviews': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    return fail(error instanceof Error ? error.message : String(error));
  }
  if (values.help) return { ok: false, help: true };

  const port = integer('port', values.port, 8443, 65535);
  const metricsPort = integer('metrics-port', values['metrics-port'], 8080, 65535);
  const drain = integer('drain-timeout', values['drain-timeout'], 25, 3600);
  const delay = integer('shutdown-delay', values['shutdown-delay'], 0, 3600);
  for (const parsed of [port, metricsPort, drain, delay]) if (typeof parsed === 'string') return fail(parsed);
  const tlsCert = values['tls-cert'];
  const tlsKey = values['tls-key'];
  if (!tlsCert || !tlsKey) return fail('--tls-cert and --tls-key are required');
  const logLevel = values['log-level'] ?? env.DAVY_LOG_LEVEL ?? 'info';
  if (!LOG_LEVELS.includes(logLevel as LogLevel)) return fail(`--log-level: must be one of ${LOG_LEVELS.join(', ')}, got ${JSON.stringify(logLevel)}`);
  const flagged = (values['stepper-identity'] ?? []).flatMap(list);
  const fromEnv = list(env.DAVY_STEPPER_IDENTITY);
  const stepperIdentities = flagged.length > 0 ? flagged : fromEnv.length > 0 ? fromEnv : [DEFAULT_STEPPER_IDENTITY];
  if (stepperIdentities.some((id) => id === 'group:')) return fail('--stepper-identity: "group:" needs a group name');

  const allowedHosts = parseAddressPolicy(values['allowed-hosts'] ?? env.DAVY_ALLOWED_HOSTS ?? DEFAULT_ALLOWED_HOSTS);
  if (!allowedHosts.ok) return fail(`--allowed-hosts: ${allowedHosts.error}`);
  const alertHosts = parseAddressPolicy(values['alert-hosts'] ?? env.DAVY_ALERT_HOSTS ?? DEFAULT_ALERT_HOSTS, undefined, '--alert-hosts');
  if (!alertHosts.ok) return fail(`--alert-hosts: ${alertHosts.error}`);

  const config: WebhookConfig = {
    port: port as number,
    metricsPort: metricsPort as number,
    tlsCert,
    tlsKey,
    stepperIdentities,
    logLevel: logLevel as LogLevel,
    drainTimeoutSeconds: drain as number,
    shutdownDelaySeconds: delay as number,
    clusterChecks: values['cluster-checks'] ?? false,
    allowedHosts: allowedHosts.policy,
    alertHosts: alertHosts.policy,
  };
  if (values['bind-address']) config.bindAddress = values['bind-address'];
  if (values.kubeconfig) config.kubeconfig = values.kubeconfig;
  if (values['record-reviews'] !== undefined) {
    if (values['record-reviews'] === '') return fail('--record-reviews: needs a directory');
    config.recordReviews = values['record-reviews'];
  }
  return { ok: true, config };
}

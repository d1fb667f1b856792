// The configuration of `davy step`, parsed once from argv and the environment. This is the only
// place the command reads environment variables: JOB_COMPLETION_INDEX (an Indexed Job's shard,
// with `--shard N`), DAVY_LOG_LEVEL, DAVY_ALLOWED_HOSTS, DAVY_ALERT_HOSTS, DAVY_CLOUDEVENTS_SINK
// and Flagger's EVENT_WEBHOOK_URL, SLACK_URL, SLACK_TOKEN, SLACK_PROXY_URL, MSTEAMS_URL and
// MSTEAMS_PROXY_URL; flags win over them.
import { parseArgs } from 'node:util';
import { DEFAULT_ALERT_HOSTS, DEFAULT_ALLOWED_HOSTS, decideAddress, parseAddressPolicy, type AddressPolicy } from '../api/address-policy.js';
import { parseDuration } from '../api/durations.js';
import { DAVY_PROVIDERS, isDavyProvider, type DavyProvider } from '../api/providers.js';
import { DEFAULT_CHANNEL, DEFAULT_USERNAME } from '../notifiers/notifier.js';
import type { LogLevel } from '../telemetry/logger.js';

/** An annotation key's prefix or an ingress class: a DNS subdomain (lowercase, dots, at most 253 characters). */
const ANNOTATION_PREFIX = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];

export type StepMode = { kind: 'once' } | { kind: 'for'; durationMs: number } | { kind: 'watch' };

export interface StepConfig {
  mode: StepMode;
  /** Empty: every namespace. */
  namespaces: string[];
  shard?: { index: number; count: number; by?: 'canary' | 'namespace' };
  metricsServer?: string;
  /** Flagger's global event webhook (`-event-webhook`, EVENT_WEBHOOK_URL), for canaries with no `event` webhook. */
  eventWebhook?: string;
  /** Davy's CloudEvents sink (DAVY_CLOUDEVENTS_SINK): one CloudEvent per transition is posted there. */
  cloudEventsSink?: string;
  meshProvider: DavyProvider;
  /** nginx: the canary annotations' prefix (Flagger's -ingress-annotations-prefix). */
  ingressAnnotationsPrefix?: string;
  /** contour: the HTTPProxy ingress class (Flagger's -ingress-class). */
  ingressClass?: string;
  kubeconfig?: string;
  logLevel: LogLevel;
  /** Serve /metrics on this port while running. */
  metricsPort?: number;
  /** The longest sleep between passes. */
  pollIntervalMs: number;
  /** While the watches run, the longest sleep between whole passes; 0: no watches. */
  resyncMs: number;
  /** Canaries stepped at once. */
  concurrency: number;
  /** Test aid: SIGKILL the process right after this many writes were answered. */
  crashAfterWrites?: number;
  /** The hosts hook URLs and MetricTemplate addresses may name (src/api/address-policy.ts). */
  allowedHosts: AddressPolicy;
  /** The hosts AlertProviders' addresses and proxies may name; any (`*`) unless the operator narrows it. */
  alertHosts: AddressPolicy;
  /**
   * Flagger's global notifier (`-slack-url` ..., `-msteams-url` ...): every alert of a canary
   * without `analysis.alerts` goes there. MS Teams wins when both are given, as in Flagger.
   */
  globalNotifier?: GlobalNotifier;
}

export interface GlobalNotifier {
  type: 'slack' | 'msteams';
  address: string;
  token?: string;
  proxy?: string;
  channel: string;
  username: string;
}

export type StepConfigResult = { ok: true; config: StepConfig } | { ok: false; help: true } | { ok: false; help: false; error: string };

export const STEP_USAGE = `Usage: davy step [--once | --for D | --watch] [flags]

Steps every canary in reach: lists them and what they need, observes, runs the analysis checks,
decides one step each, writes its state, and brings the cluster to it. Stateless: any run may
stop at any moment; the next one converges.

Modes (one of them; default --once):
  --once                   one pass, then exit
  --for D                  passes until D (a duration: 55s, 2m) has passed, each when the next
                           canary is due; the CronJob runs --for 55s every minute
  --watch                  passes forever (until SIGTERM or SIGINT)

Flags:
  --namespace NS           step only the Canaries of NS; repeatable, or a comma list (default: all)
  --shard I/N              step only the canaries whose namespace/name hashes to shard I of N
                           (0 <= I < N); --shard N takes I from JOB_COMPLETION_INDEX (Indexed Jobs)
  --shard-by KEY           what --shard hashes: canary (namespace/name, the default) or namespace
                           (each shard then lists only its own namespaces' objects)
  --metrics-server URL     Prometheus for canaries that name none (default http://prometheus:9090)
  --event-webhook URL      every event of canaries with no event webhook is posted here, as
                           Flagger's -event-webhook does (default: EVENT_WEBHOOK_URL, else none)
  --cloudevents-sink URL   one CloudEvent (structured JSON) per transition of every canary is
                           posted here, retried until delivered (default: DAVY_CLOUDEVENTS_SINK,
                           else none); the URL must pass --allowed-hosts
  --mesh-provider NAME     the provider of canaries that name none (default istio):
                           ${DAVY_PROVIDERS.join(', ')}
  --ingress-annotations-prefix P
                           the prefix of the nginx canary annotations (default
                           nginx.ingress.kubernetes.io), as Flagger's flag of that name
  --ingress-class C        the ingressClassName of the contour router's HTTPProxies (default:
                           none, the default Contour), as Flagger's -ingress-class
  --kubeconfig FILE        credentials (default: in-cluster, then KUBECONFIG or ~/.kube/config)
  --log-level L            debug, info, warn or error (env DAVY_LOG_LEVEL; default info)
  --metrics-port P         serve Prometheus metrics at /metrics on P while running
  --poll-interval D        the longest wait between passes, so new revisions are seen (default 10s)
  --resync-period D        with --for and --watch, Canaries and canaried workloads are watched:
                           a change (a new revision, a spec edited, an action) is stepped at
                           once, and while the watches run, whole passes over resting canaries
                           (for what no watch sees: tracked ConfigMaps and Secrets) come at most
                           D apart instead of the poll interval (default 60s; 0: no watches)
  --concurrency N          canaries stepped at once (default 16)
  --allowed-hosts LIST     the hosts that Canaries' webhook URLs and MetricTemplates' provider
                           addresses may name, a comma list of: cluster (in-cluster Service
                           names), a host, *.domain, or * (any); env DAVY_ALLOWED_HOSTS;
                           default ${DEFAULT_ALLOWED_HOSTS}. Others fail their check, uncalled.
  --alert-hosts LIST       the hosts that AlertProviders' addresses and proxies may name, the same
                           kind of list (hooks.slack.com,*.webhook.office.com); env DAVY_ALERT_HOSTS;
                           default ${DEFAULT_ALERT_HOSTS} (any). Others are not posted to: a failed delivery.
  --slack-url URL          Flagger's global Slack notifier: every alert of a canary without
                           analysis.alerts is posted there (env SLACK_URL); with --slack-channel
                           C (default general), --slack-user U (default flagger), --slack-token T
                           (env SLACK_TOKEN) and --slack-proxy-url P (env SLACK_PROXY_URL)
  --msteams-url URL        Flagger's global MS Teams notifier, instead of Slack's when both are
                           given (env MSTEAMS_URL); with --msteams-proxy-url P (env
                           MSTEAMS_PROXY_URL)
  --crash-after-writes N   a test aid for crash safety: the process kills itself (SIGKILL) right
                           after its N-th API write is answered
  -h, --help               this text

Exit codes: 0 the passes ran (problems of single canaries are Events and logs, not failures), or
SIGTERM/SIGINT stopped it cleanly; 1 the stepper could not start, or its last pass could not
list the Canaries; 2 usage errors.
`;

const fail = (error: string): StepConfigResult => ({ ok: false, help: false, error });

function parseMode(values: { once?: boolean; for?: string; watch?: boolean }): StepMode | string {
  const chosen = [values.once && '--once', values.for !== undefined && '--for', values.watch && '--watch'].filter(Boolean);
  if (chosen.length > 1) return `${chosen.join(' and ')} cannot be combined`;
  if (values.watch) return { kind: 'watch' };
  if (values.for === undefined) return { kind: 'once' };
  const ms = parseDuration(values.for);
  if (ms === undefined || ms <= 0) return `--for: must be a positive duration such as 55s or 2m, got ${JSON.stringify(values.for)}`;
  return { kind: 'for', durationMs: ms };
}

const wholeNumber = (text: string | undefined): number | undefined => (text !== undefined && /^\d+$/.test(text) ? Number(text) : undefined);

/** `I/N`, or `N` with the index from JOB_COMPLETION_INDEX. */
function parseShard(text: string | undefined, env: NodeJS.ProcessEnv): StepConfig['shard'] | string | undefined {
  if (text === undefined) return undefined;
  const [first, second, ...rest] = text.split('/');
  const explicit = second !== undefined;
  const count = wholeNumber(explicit ? second : first);
  if (rest.length > 0 || count === undefined || count < 1) return `--shard: must be I/N or N with N >= 1, got ${JSON.stringify(text)}`;
  const index = explicit ? wholeNumber(first) : wholeNumber(env.JOB_COMPLETION_INDEX);
  if (index === undefined) {
    return explicit
      ? `--shard: I must be a whole number, got ${JSON.stringify(text)}`
      : `--shard ${text}: the shard index comes from JOB_COMPLETION_INDEX, which is ${env.JOB_COMPLETION_INDEX === undefined ? 'not set' : JSON.stringify(env.JOB_COMPLETION_INDEX)}`;
  }
  if (index >= count) return `--shard: the index ${index} must be below the shard count ${count}`;
  return { index, count };
}

const parsedOptions = {
  once: { type: 'boolean' },
  for: { type: 'string' },
  watch: { type: 'boolean' },
  namespace: { type: 'string', multiple: true },
  shard: { type: 'string' },
  'shard-by': { type: 'string' },
  'metrics-server': { type: 'string' },
  'event-webhook': { type: 'string' },
  'cloudevents-sink': { type: 'string' },
  'mesh-provider': { type: 'string' },
  'ingress-annotations-prefix': { type: 'string' },
  'ingress-class': { type: 'string' },
  kubeconfig: { type: 'string' },
  'log-level': { type: 'string' },
  'metrics-port': { type: 'string' },
  'poll-interval': { type: 'string' },
  'resync-period': { type: 'string' },
  concurrency: { type: 'string' },
  'crash-after-writes': { type: 'string' },
  'allowed-hosts': { type: 'string' },
  'alert-hosts': { type: 'string' },
  'slack-url': { type: 'string' },
  'slack-token': { type: 'string' },
  'slack-proxy-url': { type: 'string' },
  'slack-user': { type: 'string' },
  'slack-channel': { type: 'string' },
  'msteams-url': { type: 'string' },
  'msteams-proxy-url': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

const isHttpUrl = (u: string): boolean => /^https?:\/\/./.test(u) && URL.canParse(u);

/**
 * The sink, refused at start when the address policy refuses its host outright; an in-cluster
 * `<name>.<namespace>` host is checked against the cluster before each post, as hook URLs are.
 */
function parseSink(sink: string | undefined, policy: AddressPolicy): string | undefined | { error: string } {
  if (sink === undefined) return undefined;
  if (!isHttpUrl(sink)) return { error: `--cloudevents-sink: not an http(s) URL: ${JSON.stringify(sink)}` };
  const verdict = decideAddress(policy, sink);
  return verdict.verdict === 'refused' ? { error: `--cloudevents-sink: ${verdict.reason}` } : sink;
}

/** What parseArgs gives for parsedOptions. */
type ParsedValues = {
  [K in keyof typeof parsedOptions]?: (typeof parsedOptions)[K] extends { type: 'boolean' } ? boolean
    : (typeof parsedOptions)[K] extends { multiple: true } ? string[] : string;
};

/**
 * Flagger's global notifier flags (its env names too): MS Teams when its URL is given, else Slack
 * when its URL is given, else none. Each URL, and each proxy, must be http(s).
 */
function parseGlobalNotifier(values: ParsedValues, env: NodeJS.ProcessEnv): GlobalNotifier | undefined | string {
  type Text = 'msteams-url' | 'msteams-proxy-url' | 'slack-url' | 'slack-proxy-url' | 'slack-token' | 'slack-channel' | 'slack-user';
  const flag = (name: Text, variable?: string): string | undefined => values[name] ?? ((variable ? env[variable] : undefined) || undefined);
  const teams = flag('msteams-url', 'MSTEAMS_URL');
  const address = teams ?? flag('slack-url', 'SLACK_URL');
  if (address === undefined) return undefined;
  const type = teams !== undefined ? 'msteams' : 'slack';
  const proxy = type === 'msteams' ? flag('msteams-proxy-url', 'MSTEAMS_PROXY_URL') : flag('slack-proxy-url', 'SLACK_PROXY_URL');
  // The URL carries the service's secret: it is not echoed.
  if (!isHttpUrl(address)) return `--${type}-url: not an http(s) URL`;
  if (proxy !== undefined && !isHttpUrl(proxy)) return `--${type}-proxy-url: not an http(s) URL`;
  const token = type === 'slack' ? flag('slack-token', 'SLACK_TOKEN') : undefined;
  return {
    type,
    address,
    ...(token ? { token } : {}),
    ...(proxy ? { proxy } : {}),
    channel: flag('slack-channel') ?? DEFAULT_CHANNEL,
    username: flag('slack-user') ?? DEFAULT_USERNAME,
  };
}

type Outbound = Pick<StepConfig, 'allowedHosts' | 'alertHosts' | 'globalNotifier' | 'cloudEventsSink'>;

/** Where the stepper may call or post: the address policies, the global notifier, the CloudEvents sink. */
function parseOutbound(values: ParsedValues, env: NodeJS.ProcessEnv): Outbound | string {
  const allowedHosts = parseAddressPolicy(values['allowed-hosts'] ?? env.DAVY_ALLOWED_HOSTS ?? DEFAULT_ALLOWED_HOSTS);
  if (!allowedHosts.ok) return `--allowed-hosts: ${allowedHosts.error}`;
  const alertHosts = parseAddressPolicy(values['alert-hosts'] ?? env.DAVY_ALERT_HOSTS ?? DEFAULT_ALERT_HOSTS, undefined, '--alert-hosts');
  if (!alertHosts.ok) return `--alert-hosts: ${alertHosts.error}`;
  const globalNotifier = parseGlobalNotifier(values, env);
  if (typeof globalNotifier === 'string') return globalNotifier;
  const cloudEventsSink = parseSink(values['cloudevents-sink'] ?? (env.DAVY_CLOUDEVENTS_SINK || undefined), allowedHosts.policy);
  if (typeof cloudEventsSink === 'object') return cloudEventsSink.error;
  return {
    allowedHosts: allowedHosts.policy,
    alertHosts: alertHosts.policy,
    ...(globalNotifier ? { globalNotifier } : {}),
    ...(cloudEventsSink ? { cloudEventsSink } : {}),
  };
}

export function parseStepConfig(argv: readonly string[], env: NodeJS.ProcessEnv): StepConfigResult {
  let values;
  try {
    ({ values } = parseArgs({ args: [...argv], strict: true, allowPositionals: false, options: parsedOptions }));
  } catch (error) {
    return fail(error instanceof Error ? error.message : String(error));
  }
  if (values.help) return { ok: false, help: true };
  const mode = parseMode(values);
  if (typeof mode === 'string') return fail(mode);
  const shard = parseShard(values.shard, env);
  if (typeof shard === 'string') return fail(shard);
  const shardBy = values['shard-by'];
  if (shardBy !== undefined && shardBy !== 'canary' && shardBy !== 'namespace') return fail(`--shard-by: must be canary or namespace, got ${JSON.stringify(shardBy)}`);
  if (shardBy !== undefined && !shard) return fail('--shard-by: only with --shard');
  const meshProvider = values['mesh-provider'] ?? 'istio';
  if (!isDavyProvider(meshProvider)) return fail(`--mesh-provider: must be one of ${DAVY_PROVIDERS.join(', ')}, got ${JSON.stringify(meshProvider)}`);
  const prefix = values['ingress-annotations-prefix'];
  if (prefix !== undefined && !ANNOTATION_PREFIX.test(prefix)) {
    return fail(`--ingress-annotations-prefix: must be a DNS subdomain such as nginx.ingress.kubernetes.io, got ${JSON.stringify(prefix)}`);
  }
  const ingressClass = values['ingress-class'];
  if (ingressClass !== undefined && !ANNOTATION_PREFIX.test(ingressClass)) {
    return fail(`--ingress-class: must be a DNS subdomain such as contour, got ${JSON.stringify(ingressClass)}`);
  }
  const logLevel = values['log-level'] ?? env.DAVY_LOG_LEVEL ?? 'info';
  if (!LOG_LEVELS.includes(logLevel as LogLevel)) return fail(`--log-level: must be one of ${LOG_LEVELS.join(', ')}, got ${JSON.stringify(logLevel)}`);
  const metricsServer = values['metrics-server'];
  if (metricsServer !== undefined && !URL.canParse(metricsServer)) return fail(`--metrics-server: not a URL: ${JSON.stringify(metricsServer)}`);
  const eventWebhook = values['event-webhook'] ?? (env.EVENT_WEBHOOK_URL || undefined);
  if (eventWebhook !== undefined && !/^https?:\/\//.test(eventWebhook)) return fail(`--event-webhook: not an http(s) URL: ${JSON.stringify(eventWebhook)}`);
  const metricsPort = wholeNumber(values['metrics-port']);
  if (values['metrics-port'] !== undefined && (metricsPort === undefined || metricsPort > 65535)) {
    return fail(`--metrics-port: must be an integer from 0 to 65535, got ${JSON.stringify(values['metrics-port'])}`);
  }
  const poll = values['poll-interval'] === undefined ? 10_000 : parseDuration(values['poll-interval']);
  if (poll === undefined || poll < 1000) return fail(`--poll-interval: must be a duration of at least 1s, got ${JSON.stringify(values['poll-interval'])}`);
  const resync = values['resync-period'] === undefined ? 60_000 : parseDuration(values['resync-period']);
  if (resync === undefined || (resync > 0 && resync < 1000)) {
    return fail(`--resync-period: must be 0 or a duration of at least 1s, got ${JSON.stringify(values['resync-period'])}`);
  }
  const concurrency = values.concurrency === undefined ? 16 : wholeNumber(values.concurrency);
  if (concurrency === undefined || concurrency < 1 || concurrency > 64) return fail(`--concurrency: must be an integer from 1 to 64, got ${JSON.stringify(values.concurrency)}`);
  const crashAfterWrites = values['crash-after-writes'] === undefined ? undefined : wholeNumber(values['crash-after-writes']);
  if (values['crash-after-writes'] !== undefined && (crashAfterWrites === undefined || crashAfterWrites < 1)) {
    return fail(`--crash-after-writes: must be an integer of at least 1, got ${JSON.stringify(values['crash-after-writes'])}`);
  }
  const outbound = parseOutbound(values, env);
  if (typeof outbound === 'string') return fail(outbound);
  const { allowedHosts, alertHosts, globalNotifier, cloudEventsSink } = outbound;
  const namespaces = [...new Set((values.namespace ?? []).flatMap((n) => n.split(',')).map((n) => n.trim()).filter((n) => n !== ''))];
  return {
    ok: true,
    config: {
      mode,
      namespaces,
      ...(shard ? { shard: { ...shard, ...(shardBy === 'namespace' ? { by: shardBy } : {}) } } : {}),
      ...(metricsServer ? { metricsServer } : {}),
      ...(eventWebhook ? { eventWebhook } : {}),
      ...(cloudEventsSink ? { cloudEventsSink } : {}),
      meshProvider,
      ...(prefix === undefined ? {} : { ingressAnnotationsPrefix: prefix }),
      ...(ingressClass === undefined ? {} : { ingressClass }),
      ...(values.kubeconfig ? { kubeconfig: values.kubeconfig } : {}),
      logLevel: logLevel as LogLevel,
      ...(metricsPort === undefined ? {} : { metricsPort }),
      pollIntervalMs: poll,
      resyncMs: resync,
      concurrency,
      ...(crashAfterWrites === undefined ? {} : { crashAfterWrites }),
      allowedHosts,
      alertHosts,
      ...(globalNotifier ? { globalNotifier } : {}),
    },
  };
}

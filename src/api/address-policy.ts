// Which addresses the stepper may call on a user's behalf (issue 11): the webhook URLs Canaries
// name and the provider addresses MetricTemplates name. The stepper runs with a ServiceAccount
// token and inside the cluster network, so an arbitrary URL is a request from inside the cluster
// (cloud metadata endpoints, the apiserver, other tenants' services) whose answer lands in
// Events. The operator sets the policy (`--allowed-hosts`, deploy/stepper and deploy/webhook); the
// stepper refuses other addresses with a failed check, admission warns.
//
// A policy is a comma list of entries:
//   cluster         in-cluster Service names, the way Flagger's tutorials write them: a single
//                   label (`flagger-loadtester`), `<name>.<namespace>` when that Service exists
//                   (otherwise DNS would resolve it outside the cluster), and any host ending in
//                   `.svc` or `.svc.<cluster domain>`. IP addresses are not Service names.
//   *.example.com   any host under example.com (not example.com itself)
//   example.com     that host exactly (IP addresses too: 10.0.0.7)
//   *               any address: the policy is off
// The default is `cluster`.
//
// Pure: the `<name>.<namespace>` case is returned as a question (does this Service exist?) for
// the caller, which has the cluster.

export const DEFAULT_ALLOWED_HOSTS = 'cluster';
/** `--alert-hosts`: AlertProviders post to chat services outside the cluster by nature, so any host unless narrowed. */
export const DEFAULT_ALERT_HOSTS = '*';
export const DEFAULT_CLUSTER_DOMAIN = 'cluster.local';

export interface AddressPolicy {
  /** The entries as given, for messages. */
  text: string;
  any: boolean;
  cluster: boolean;
  clusterDomain: string;
  exact: readonly string[];
  /** `*.example.com` as `.example.com`. */
  suffixes: readonly string[];
  /** The flag the policy came from, for messages; `--allowed-hosts` when unset. */
  flag?: string;
}

export type AddressVerdict =
  | { verdict: 'allowed' }
  | { verdict: 'refused'; reason: string }
  /** Allowed if and only if the Service `name` exists in `namespace`. */
  | { verdict: 'ifService'; namespace: string; name: string };

const HOST_ENTRY = /^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const IPV6_ENTRY = /^\[[0-9a-f:.]+\]$/;

/** `--allowed-hosts` (or another policy flag, `flag`) parsed, or what is wrong with it. */
export function parseAddressPolicy(
  text: string, clusterDomain = DEFAULT_CLUSTER_DOMAIN, flag?: string,
): { ok: true; policy: AddressPolicy } | { ok: false; error: string } {
  const entries = text.split(',').map((e) => e.trim().toLowerCase()).filter((e) => e !== '');
  if (entries.length === 0) return { ok: false, error: 'must name at least one entry (cluster, a host, *.domain, or *)' };
  const exact: string[] = [];
  const suffixes: string[] = [];
  let any = false;
  let cluster = false;
  for (const entry of entries) {
    if (entry === '*') any = true;
    else if (entry === 'cluster') cluster = true;
    else if (entry.startsWith('*.') && HOST_ENTRY.test(entry)) suffixes.push(entry.slice(1));
    else if (HOST_ENTRY.test(entry) || IPV6_ENTRY.test(entry)) exact.push(entry);
    else return { ok: false, error: `${JSON.stringify(entry)} is not cluster, a host name, *.domain, an IP address or *` };
  }
  return { ok: true, policy: { text: entries.join(','), any, cluster, clusterDomain, exact, suffixes, ...(flag ? { flag } : {}) } };
}

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;
const isIp = (host: string): boolean => IPV4.test(host) || host.startsWith('[');

const flagOf = (policy: AddressPolicy): string => `the stepper's ${policy.flag ?? '--allowed-hosts'}`;

/** What the policy says of `address` (a URL). */
export function decideAddress(policy: AddressPolicy, address: string): AddressVerdict {
  let url: URL;
  try {
    url = new URL(address);
  } catch {
    return { verdict: 'refused', reason: `${JSON.stringify(address)} is not a URL` };
  }
  if (policy.any) return { verdict: 'allowed' };
  const host = url.hostname.toLowerCase().replace(/\.$/, '');
  if (policy.exact.includes(host)) return { verdict: 'allowed' };
  if (policy.suffixes.some((s) => host.endsWith(s) && host.length > s.length)) return { verdict: 'allowed' };
  const refused = { verdict: 'refused' as const, reason: `host ${host} is not allowed by ${flagOf(policy)} (${policy.text})` };
  if (!policy.cluster || isIp(host)) return refused;
  const labels = host.split('.');
  if (labels.length === 1) return { verdict: 'allowed' };
  if (host.endsWith('.svc') || host.endsWith(`.svc.${policy.clusterDomain}`)) return { verdict: 'allowed' };
  if (labels.length === 2) return { verdict: 'ifService', name: labels[0] ?? '', namespace: labels[1] ?? '' };
  return refused;
}

/** The refusal when `<name>.<namespace>` names no Service: the name would resolve outside the cluster. */
export const notAServiceReason = (policy: AddressPolicy, name: string, namespace: string): string =>
  `host ${name}.${namespace} names no Service ${name} in namespace ${namespace}, so it would resolve outside the cluster, ` +
  `which ${flagOf(policy)} (${policy.text}) does not allow`;

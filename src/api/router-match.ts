// What the header-only routers can route an A/B request on (flagger-compat §4): Flagger's match
// schema is Istio's, but ingress-nginx, Contour and Gloo route on request headers only, each with
// its own ways of matching one. The validator refuses the rest at admission and the routers check
// again before writing, from this one table, so a condition is never silently dropped (which
// would send requests the user meant to keep on the stable pods to the copy). App Mesh routes on
// headers too, from one match entry.
//
// Reads untrusted JSON: the validator calls it on whatever the user sent.
import type { ProviderName } from './providers.js';

export type HeaderMatchKind = 'exact' | 'prefix' | 'suffix' | 'regex';

/** The header match kinds each header-only router routes on; providers not listed are not limited here. */
export const ROUTER_HEADER_MATCHES: Partial<Record<ProviderName, readonly HeaderMatchKind[]>> = {
  nginx: ['exact', 'regex'],
  contour: ['exact', 'prefix', 'suffix'],
  gloo: ['exact', 'regex'],
  'appmesh:v1beta2': ['exact', 'prefix', 'suffix', 'regex'],
};

const MATCH_KINDS: readonly HeaderMatchKind[] = ['exact', 'prefix', 'suffix', 'regex'];
const NOT_HEADERS = ['queryParams', 'sourceLabels', 'withoutHeaders', 'uri', 'method', 'scheme', 'authority', 'port'];

export interface MatchProblem {
  /** The match entry. */
  index: number;
  /** The field of the entry, and the header under `headers`, when the problem is that narrow. */
  field?: string;
  header?: string;
  reason: string;
}

const record = (value: unknown): Record<string, unknown> | undefined =>
  value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;

/** The first condition of `match` the provider cannot route on, or undefined. */
export function matchProblem(provider: ProviderName, match: readonly unknown[]): MatchProblem | undefined {
  const kinds = ROUTER_HEADER_MATCHES[provider];
  if (!kinds) return undefined;
  const seen: { header?: string; cookie?: string } = {};
  if (provider === 'appmesh:v1beta2' && match.length > 1) return { index: 1, reason: 'App Mesh routes A/B requests on one match entry (its headers are ANDed)' };
  for (const [index, item] of match.entries()) {
    const entry = record(item) ?? {};
    const field = NOT_HEADERS.find((k) => entry[k] !== undefined);
    if (field) return { index, field, reason: `${provider} routes A/B requests on headers only` };
    const headers = Object.entries(record(entry.headers) ?? {});
    if (headers.length === 0) return { index, reason: `${provider} needs a header to route A/B requests on` };
    for (const [header, raw] of headers) {
      const value = record(raw) ?? {};
      const problem = provider === 'nginx' ? nginxProblem(header, value, seen) : kindProblem(provider, kinds, value);
      if (problem) return { index, field: 'headers', header, reason: problem };
    }
  }
  return undefined;
}

function kindProblem(provider: ProviderName, kinds: readonly HeaderMatchKind[], value: Record<string, unknown>): string | undefined {
  const kind = MATCH_KINDS.find((k) => typeof value[k] === 'string');
  return kind && kinds.includes(kind) ? undefined : `${provider} matches a header by ${kinds.join(', ')}`;
}

/** ingress-nginx has one canary-by-header (exact or pattern) and one canary-by-cookie (the cookie's name). */
function nginxProblem(header: string, value: Record<string, unknown>, seen: { header?: string; cookie?: string }): string | undefined {
  if (header.toLowerCase() === 'cookie') {
    if (typeof value.exact !== 'string') return 'nginx matches a cookie by its name, given as exact';
    if (seen.cookie !== undefined && seen.cookie !== value.exact) return `nginx routes on one cookie (already ${seen.cookie})`;
    seen.cookie = value.exact;
    return undefined;
  }
  if (seen.header !== undefined) return `nginx routes on one header (already ${seen.header}) and one cookie`;
  seen.header = header;
  return kindProblem('nginx', ROUTER_HEADER_MATCHES.nginx ?? [], value);
}

/** `spec.analysis.match[i].field.header`, as problems name it. */
export const matchPath = (p: MatchProblem): string =>
  `spec.analysis.match[${p.index}]${p.field ? `.${p.field}` : ''}${p.header ? `.${p.header}` : ''}`;

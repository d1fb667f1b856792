// A/B match entries as the header-only routers (nginx, contour, gloo) read them: Flagger's match
// schema is Istio's, and these proxies route on request headers only. A field they cannot route on
// is an InvalidSpec problem with its path, never a condition silently dropped (which would send
// requests the user meant to keep on the stable pods to the copy).
import type { HTTPMatchRequest, StringMatch } from '../api/types.js';
import { fail, ok, type Result } from '../workloads/result.js';

const NOT_HEADERS = ['queryParams', 'sourceLabels', 'withoutHeaders', 'uri', 'method', 'scheme', 'authority', 'port'] as const;

export interface HeaderCondition {
  name: string;
  value: StringMatch;
  /** The field path, for problems about this header. */
  path: string;
}

/** The headers of `match[index]`, at `spec.analysis.match[index]`. */
export function headerConditions(provider: string, match: HTTPMatchRequest, index: number): Result<HeaderCondition[]> {
  const path = `spec.analysis.match[${index}]`;
  const other = NOT_HEADERS.find((k) => match[k] !== undefined);
  if (other) return fail('InvalidSpec', `${path}.${other}: ${provider} routes A/B traffic on headers only`);
  const headers = Object.entries(match.headers ?? {}).map(([name, value]) => ({ name, value, path: `${path}.headers.${name}` }));
  if (headers.length === 0) return fail('InvalidSpec', `${path}: ${provider} needs a header to route A/B traffic on`);
  return ok(headers);
}

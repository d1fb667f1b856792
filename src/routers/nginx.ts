// The nginx provider (ingress-nginx; flagger-compat §5.2): the canary Ingress `<ingress>-canary`
// is the user's Ingress with its apex backends pointed at `<svc>-canary`, marked
// `<prefix>/canary: "true"`, and ingress-nginx sends `<prefix>/canary-weight` percent of the
// host's requests to it. The prefix is Flagger's `-ingress-annotations-prefix`, a `davy step`
// flag (default nginx.ingress.kubernetes.io), for controllers that read their own prefix.
//
// A/B: while the matched traffic goes to the copy, the weight is 0 and the by-header / by-cookie
// annotations route the requests that carry them: one header matched exactly
// (`canary-by-header` + `canary-by-header-value`) or by regex (`canary-by-header-pattern`), and one
// cookie (a `cookie` header whose exact value names it: `canary-by-cookie`). That is all
// ingress-nginx can express; a match it cannot is an InvalidSpec problem rather than a rule
// silently dropped. No mirroring.
import { effectiveAnalysis } from '../api/defaults.js';
import { matchPath, matchProblem } from '../api/router-match.js';
import type { Canary, HTTPMatchRequest } from '../api/types.js';
import { fail, ok, type Result } from '../workloads/result.js';
import { backendsOf, canaryIngressRouter, type CanaryIngressShape, type Ingress } from './canary-ingress.js';
import type { Routes } from './router.js';

export const DEFAULT_INGRESS_ANNOTATIONS_PREFIX = 'nginx.ingress.kubernetes.io';

/** What ingress-nginx routes an A/B request on: the by-header / by-cookie annotations' values. */
export interface NginxMatch {
  header?: string;
  headerValue?: string;
  headerPattern?: string;
  cookie?: string;
}

/** The one header and one cookie of `analysis.match`, or what ingress-nginx cannot express, with its field path. */
export function nginxMatch(match: readonly HTTPMatchRequest[]): Result<NginxMatch> {
  const problem = matchProblem('nginx', match);
  if (problem) return fail('InvalidSpec', `${matchPath(problem)}: ${problem.reason}`);
  const found: NginxMatch = {};
  for (const [name, value] of match.flatMap((m) => Object.entries(m.headers ?? {}))) {
    if (name.toLowerCase() === 'cookie') found.cookie = value.exact;
    else Object.assign(found, { header: name }, value.exact !== undefined ? { headerValue: value.exact } : { headerPattern: value.regex });
  }
  return ok(found);
}

export function nginxShape(prefix = DEFAULT_INGRESS_ANNOTATIONS_PREFIX): CanaryIngressShape {
  const key = (name: string) => `${prefix}/${name}`;
  const owns = (k: string) => k.startsWith(key('canary'));
  return {
    provider: 'nginx',
    owns,

    spec(original, svc) {
      for (const backend of backendsOf(original)) {
        if (backend.service?.name === svc.name) backend.service.name = svc.canaryName;
      }
      return original;
    },

    annotations(user, routes, canary) {
      const kept = Object.fromEntries(Object.entries(user).filter(([k]) => !owns(k)));
      const base = { ...kept, [key('canary')]: 'true', [key('canary-weight')]: String(routes.canary) };
      if (!abRouted(canary, routes)) return ok(base);
      const match = nginxMatch(canary.spec.analysis?.match ?? []);
      if (!match.ok) return match;
      const { header, headerValue, headerPattern, cookie } = match.value;
      return ok({
        ...base,
        [key('canary-weight')]: '0',
        ...(header !== undefined ? { [key('canary-by-header')]: header } : {}),
        ...(headerValue !== undefined ? { [key('canary-by-header-value')]: headerValue } : {}),
        ...(headerPattern !== undefined ? { [key('canary-by-header-pattern')]: headerPattern } : {}),
        ...(cookie !== undefined ? { [key('canary-by-cookie')]: cookie } : {}),
      });
    },

    read(clone: Ingress) {
      const annotations = clone.metadata.annotations ?? {};
      if (annotations[key('canary-by-header')] !== undefined || annotations[key('canary-by-cookie')] !== undefined) {
        return ok({ primary: 0, canary: 100, mirror: false });
      }
      const text = annotations[key('canary-weight')];
      const weight = text !== undefined && /^\d+$/.test(text) ? Number(text) : undefined;
      if (weight === undefined || weight > 100) {
        return fail('NotReconciled', `Ingress ${clone.metadata.namespace ?? ''}/${clone.metadata.name ?? ''}: ${key('canary-weight')} is ${JSON.stringify(text)}, not a percentage`);
      }
      return ok({ primary: 100 - weight, canary: weight, mirror: false });
    },
  };
}

/** An A/B canary sends its matched requests to the copy whenever the router is asked for canary 100. */
const abRouted = (canary: Canary, routes: Routes): boolean =>
  routes.canary === 100 && effectiveAnalysis(canary.spec, { meshProvider: 'nginx' }).strategy === 'ab-testing';

export const nginxRouter = canaryIngressRouter((deps) => nginxShape(deps.ingressAnnotationsPrefix));

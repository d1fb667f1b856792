// Session affinity as routing rules, for the routers that have it (istio, gatewayapi): what the
// cookies the stepper records (Routes.cookies) mean on the wire, whatever object carries them.
//
// - While a run has a canary cookie, the canary's answers set it, and a rule ahead of the weighted
//   one sends requests carrying it to the canary; with a primary cookie, the stable pods' answers
//   set it for one analysis interval, and a rule keeps requests carrying it on the stable pods.
// - At rest, the last run's cookie is expired: a rule matches requests carrying it, sends them to
//   the stable pods, and answers with the cookie at Max-Age=-1.
//
// Set-Cookie is `name=value; Max-Age=<n>` then the spec's attributes in Flagger's order (Domain,
// HttpOnly, Partitioned, Path, SameSite, Secure). The router reads the cookies back from the
// Set-Cookie values it wrote, so a pass that converges the object keeps them.
import { effectiveAnalysis } from '../api/defaults.js';
import type { Canary, SessionAffinity } from '../api/types.js';
import type { SessionCookies } from '../api/types-routing.js';

export const SET_COOKIE = 'Set-Cookie';
/** The request header the rules match; Gateway API and Istio compare header names case-insensitively. */
export const COOKIE_HEADER = 'Cookie';

/** What the rules of one canary carry for its cookies now. */
export interface StickyRules {
  /** Requests matching `match` go to the canary; the canary's answers carry `setCookie`. */
  canary?: { match: string; setCookie: string };
  /** Requests matching `match` stay on the stable pods; the stable pods' answers carry `setCookie`. */
  primary?: { match: string; setCookie: string };
  /** At rest: requests matching `match` go to the stable pods, and their answers expire the cookie. */
  expire?: { match: string; setCookie: string };
}

const escapeRegex = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A regular expression (RE2 and ECMAScript alike) for a Cookie header that carries `name=value`. */
export const cookieMatch = (cookie: string): string => `^(.*;\\s*)?${escapeRegex(cookie)}(\\s*;.*)?$`;

/** `name=value; Max-Age=<maxAge>` and the spec's attributes. */
export function setCookie(cookie: string, maxAge: number, affinity: SessionAffinity): string {
  const parts = [cookie, `Max-Age=${maxAge}`];
  if (affinity.domain) parts.push(`Domain=${affinity.domain}`);
  if (affinity.httpOnly) parts.push('HttpOnly');
  if (affinity.partitioned) parts.push('Partitioned');
  if (affinity.path) parts.push(`Path=${affinity.path}`);
  if (affinity.sameSite) parts.push(`SameSite=${affinity.sameSite}`);
  if (affinity.secure) parts.push('Secure');
  return parts.join('; ');
}

/** The `name=value` a Set-Cookie value starts with. */
export const cookieOf = (header: string): string => header.split(';', 1)[0]!.trim();

/** Whether a Set-Cookie value expires its cookie (the rule for the last run's cookie). */
export const expires = (header: string): boolean => /;\s*Max-Age=-1(;|$)/i.test(header);

/**
 * The rules for `cookies` on this canary: none unless it is a weighted canary with session
 * affinity (A/B and blue/green route by other means, and the validator says so).
 */
export function stickyRules(canary: Canary, cookies: SessionCookies | undefined): StickyRules {
  const affinity = canary.spec.analysis?.sessionAffinity;
  const analysis = effectiveAnalysis(canary.spec);
  if (!affinity || !cookies || analysis.strategy !== 'canary') return {};
  const maxAge = analysis.sessionAffinity?.maxAgeSeconds ?? 0;
  const rules: StickyRules = {};
  if (cookies.canary) rules.canary = { match: cookieMatch(cookies.canary), setCookie: setCookie(cookies.canary, maxAge, affinity) };
  if (cookies.canary && cookies.primary) {
    const interval = Math.floor(analysis.intervalMs / 1000);
    rules.primary = { match: cookieMatch(cookies.primary), setCookie: setCookie(cookies.primary, interval, affinity) };
  }
  if (!cookies.canary && cookies.expired) rules.expire = { match: cookieMatch(cookies.expired), setCookie: setCookie(cookies.expired, -1, affinity) };
  return rules;
}

/** Cookies read back from the Set-Cookie values on the canary's and the stable pods' answers and the expiring rule. */
export function cookiesFrom(headers: { canary?: string; primary?: string; expire?: string }): SessionCookies | undefined {
  const cookies: SessionCookies = {
    ...(headers.canary ? { canary: cookieOf(headers.canary) } : {}),
    ...(headers.primary ? { primary: cookieOf(headers.primary) } : {}),
    ...(headers.expire ? { expired: cookieOf(headers.expire) } : {}),
  };
  return Object.keys(cookies).length > 0 ? cookies : undefined;
}

// Session affinity (analysis.sessionAffinity): which cookies the routes carry, decided from the
// routes every step leaves. While the canary has traffic, a run has a canary cookie (and, with
// primaryCookieName, a primary cookie); when its traffic goes back to 0 the canary cookie becomes
// the expired one, which the router answers with Max-Age=-1 until the next run makes its own.
//
// A cookie's value is 10 letters derived from the canary, the run and the moment it was made, so
// step() stays a pure function and each run's cookie differs from the last one's.
import { createHash } from 'node:crypto';
import { capabilitiesOf } from './weights.js';
import type { SessionCookies, State } from './state.js';
import type { Context } from './tick.js';

const VALUE_LENGTH = 10;
const LETTERS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';

/** `name=<10 letters>` for this canary, run and moment; `salt` tells two cookies of one step apart. */
export function makeCookie(name: string, ctx: Context, state: State, salt: string): string {
  const digest = createHash('sha256').update(`${ctx.names.canary}/${state.run}/${state.revision ?? ''}/${ctx.at}/${salt}`).digest();
  const value = Array.from(digest.subarray(0, VALUE_LENGTH), (byte) => LETTERS[byte % LETTERS.length]).join('');
  return `${name}=${value}`;
}

const named = (cookie: string | undefined, name: string): boolean => cookie?.startsWith(`${name}=`) === true;

/** The cookies `state` should carry after a step; undefined when the canary has no session affinity. */
export function cookiesFor(state: State, ctx: Context): SessionCookies | undefined {
  const affinity = ctx.analysis.sessionAffinity;
  if (!affinity || ctx.analysis.strategy !== 'canary' || !capabilitiesOf(ctx.analysis).sessionAffinity) return undefined;
  const held = state.cookies ?? {};
  if (state.routes.canary === 0) {
    const expired = held.canary ?? held.expired;
    return expired === undefined ? undefined : { expired };
  }
  const kept = (cookie: string | undefined, name: string, salt: string): string =>
    cookie !== undefined && named(cookie, name) ? cookie : makeCookie(name, ctx, state, salt);
  const canary = kept(held.canary, affinity.cookieName, 'canary');
  const primaryName = affinity.primaryCookieName;
  const primary = primaryName === undefined ? undefined : kept(held.primary, primaryName, 'primary');
  const expired = held.expired;
  return { canary, ...(primary === undefined ? {} : { primary }), ...(expired === undefined ? {} : { expired }) };
}

/** Records the cookies the step's routes call for (settle() runs it on every decided step). */
export function settleCookies(state: State, ctx: Context): void {
  const cookies = cookiesFor(state, ctx);
  if (cookies) state.cookies = cookies;
  else delete state.cookies;
}

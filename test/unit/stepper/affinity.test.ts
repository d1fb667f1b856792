// Session affinity in the stepper: a run's cookies appear when the canary first gets traffic, stay
// the same for the whole run, become the expired cookie when traffic leaves the canary (promotion
// or rollback), and the next run makes new ones. The status shows them as Flagger's does.
import { expect } from 'chai';
import type { CanaryAnalysis } from '../../../src/api/types.js';
import { projectStatus } from '../../../src/stepper/status.js';
import { intent } from '../../../src/stepper/actions.js';
import { canary, released, toEnd } from './driver.js';

const ISTIO = { provider: 'istio' } as const;
const affinity = (extra: Partial<CanaryAnalysis> = {}) => canary({ sessionAffinity: { cookieName: 'flagger-cookie', ...extra.sessionAffinity }, ...extra }, ISTIO);
const COOKIE = /^flagger-cookie=[A-Za-z]{10}$/;

describe('stepper: session affinity cookies', () => {
  it('when a run advances and is promoted, then one canary cookie serves every step and becomes the expired cookie after', () => {
    const d = released(affinity());
    const seen = new Set<string>();
    while (d.state.phase !== 'Succeeded') {
      const entry = d.advance();
      if (entry.routes.canary > 0) seen.add(d.state.cookies?.canary ?? 'none');
      if (d.timeline.length > 100) throw new Error('did not end');
    }
    expect([...seen]).to.have.length(1);
    const [cookie] = [...seen];
    expect(cookie).to.match(COOKIE);
    expect(d.state.cookies).to.deep.equal({ expired: cookie });
    expect(d.cluster.routes?.cookies).to.deep.equal({ expired: cookie });
  });

  it('when the canary has traffic, then setRoutes carries the cookie and the status shows it as Flagger\'s sessionAffinityCookie', () => {
    const c = affinity({ sessionAffinity: { cookieName: 'flagger-cookie', primaryCookieName: 'flagger-primary' } });
    const d = released(c);
    d.runUntil((s) => s.routes.canary > 0, 20);
    const cookies = d.state.cookies!;
    expect(cookies.canary).to.match(COOKIE);
    expect(cookies.primary).to.match(/^flagger-primary=[A-Za-z]{10}$/);
    expect(cookies.primary!.split('=')[1]).to.not.equal(cookies.canary!.split('=')[1]);
    const setRoutes = intent(d.state, c.spec).find((a) => a.kind === 'setRoutes');
    expect(setRoutes).to.deep.include({ cookies });
    const status = projectStatus(d.state, c.spec, new Date(d.cluster.now));
    expect(status).to.include({ sessionAffinityCookie: cookies.canary, primarySessionAffinityCookie: cookies.primary });
    expect(status.previousSessionAffinityCookie).to.equal(undefined);
  });

  it('when a run is rolled back and the next one starts, then the first cookie is expired and the second run has its own', () => {
    const failing = { metric: () => ({ verdict: 'ok' as const, query: 'q', value: 0 }) };
    const spec = affinity({ threshold: 1, metrics: [{ name: 'request-success-rate', thresholdRange: { min: 99 }, interval: '1m' }] });
    const d = released(spec, failing);
    d.runUntil((s) => s.routes.canary > 0, 20);
    const first = d.state.cookies?.canary;
    toEnd(d);
    expect(d.state.phase).to.equal('Failed');
    expect(d.state.cookies).to.deep.equal({ expired: first });
    expect(projectStatus(d.state, spec.spec, new Date(d.cluster.now)).previousSessionAffinityCookie).to.equal(first);
  });

  it('when the provider cannot route by cookie or the canary is blue/green, then no cookie is made', () => {
    const osm = released(canary({ sessionAffinity: { cookieName: 'flagger-cookie' } }));
    osm.runUntil((s) => s.routes.canary > 0, 20);
    expect(osm.state.cookies).to.equal(undefined);
    const blueGreen = released(canary({ sessionAffinity: { cookieName: 'flagger-cookie' }, iterations: 2, stepWeight: undefined, maxWeight: undefined }, ISTIO));
    toEnd(blueGreen);
    expect(blueGreen.timeline.some((t) => t.routes.cookies !== undefined)).to.equal(false);
    expect(blueGreen.state.cookies).to.equal(undefined);
  });
});

// Flagger-name rewriting inside label matcher values only.
import { expect } from 'chai';
import fc from 'fast-check';
import { canaryFixture } from '../../fixtures/metrics/index.js';
import { labelMatchers, rewriteFlaggerNames } from '../../../src/metrics/rewrite.js';

const rw = (query: string): string => rewriteFlaggerNames(query, 'podinfo');

describe('rewrite: Flagger names in label matchers', () => {
  const cases: [string, string, string][] = [
    ['an exact destination_name', 'osm_request_total{destination_name="podinfo"}', 'osm_request_total{destination_name="podinfo-canary"}'],
    ['an app label', 'http_requests_total{ app="podinfo" }', 'http_requests_total{ app="podinfo-canary" }'],
    ['a regex naming the target', 'x{destination_workload=~"podinfo"}', 'x{destination_workload=~"podinfo-canary"}'],
    ['a deployment label', 'response_total{deployment="podinfo", direction="inbound"}', 'response_total{deployment="podinfo-canary", direction="inbound"}'],
    ['the primary', 'x{app="podinfo-primary"}', 'x{app="podinfo"}'],
    ['an alternation of both', 'x{app=~"podinfo|podinfo-primary"}', 'x{app=~"podinfo-canary|podinfo"}'],
    ['a pod-name regex', 'x{pod=~"podinfo-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)"}', 'x{pod=~"podinfo-canary-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)"}'],
    ['a primary pod-name regex', 'x{pod=~"podinfo-primary-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)"}', 'x{pod=~"podinfo-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)"}'],
    ['a negative matcher', 'x{app!="podinfo"}', 'x{app!="podinfo-canary"}'],
    ['single quotes and backquotes', "x{a='podinfo', b=`podinfo`}", "x{a='podinfo-canary', b=`podinfo-canary`}"],
    ['an anchored regex', 'x{app=~"^podinfo$"}', 'x{app=~"^podinfo-canary$"}'],
  ];
  for (const [what, query, expected] of cases) {
    it(`when a query has ${what}, then it is rewritten`, () => {
      expect(rw(query)).to.equal(expected);
    });
  }

  const untouched: [string, string][] = [
    ['the canary name already', 'x{app="podinfo-canary"}'],
    ['the name inside a longer name', 'x{app="my-podinfo", b="podinfo2", c="podinfo.test"}'],
    ['a broad regex that meant both sides', 'x{app=~"podinfo.*"}'],
    ['a metric named like the target', 'podinfo{job="x"} + podinfo_requests_total'],
    ['a string argument outside a selector', 'label_replace(up, "dst", "podinfo", "", "")'],
    ['a Service label', 'istio_requests_total{destination_service_name="podinfo", service="podinfo-primary"}'],
    ['a __name__ matcher', '{__name__="podinfo"}'],
  ];
  for (const [what, query] of untouched) {
    it(`when a query has ${what}, then it is left as written`, () => {
      expect(rw(query)).to.equal(query);
    });
  }

  it('when a selector sits in a comment, then only the selector outside it is rewritten', () => {
    expect(rw('# x{app="podinfo"}\nup{app="podinfo"}')).to.equal('# x{app="podinfo"}\nup{app="podinfo-canary"}');
  });

  it('when a matcher value contains an escaped quote, then the scan stays inside the string', () => {
    expect(rw('x{a="say \\"hi\\"", app="podinfo"}')).to.equal('x{a="say \\"hi\\"", app="podinfo-canary"}');
  });

  it('when a Prometheus 3 quoted metric name opens the selector, then only the matchers change', () => {
    expect(rw('{"podinfo", app="podinfo"}')).to.equal('{"podinfo", app="podinfo-canary"}');
  });

  it('when a selector is malformed, then the rest of the query is left alone', () => {
    expect(rw('x{app="podinfo", (} y{app="podinfo"}')).to.equal('x{app="podinfo-canary", (} y{app="podinfo"}');
  });

  it('when the 404s example is scanned, then it finds its seven matchers', () => {
    const query = canaryFixture('podinfo-canary-osm-404s').spec.analysis!.metrics![2]!.query!;
    expect(labelMatchers(query).map((m) => m.label)).to.deep.equal([
      'destination_namespace', 'destination_kind', 'destination_name', 'response_code',
      'destination_namespace', 'destination_kind', 'destination_name',
    ]);
  });

  it('when a rewritten query is rewritten again, then no name gets a second -canary', () => {
    // Idempotence where it matters: a rewritten query never grows "-canary-canary".
    fc.assert(fc.property(fc.array(fc.constantFrom('podinfo', 'podinfo-canary', 'podinfo-[0-9]+', 'x', '|'), { maxLength: 6 }), (parts) => {
      const once = rw(`m{app=~"${parts.join('')}"}`);
      expect(rw(once)).not.to.include('-canary-canary');
    }));
  });
});

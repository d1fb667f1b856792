// What the validator says about Gateway API canaries: Flagger's tutorial applies unchanged, and a
// bad gatewayRef, hostname, match or routeRef gets every error with its path at once.
import { expect } from 'chai';
import { formatFieldError } from '../../../src/api/field-errors.js';
import { validateCanary, validateResource } from '../../../src/api/validate.js';
import { tutorial, type TutorialFile } from './gatewayapi-fixtures.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- tests mutate parsed manifests freely */
const canaryDoc = (file: TutorialFile = 'podinfo-canary'): any => structuredClone(tutorial(file)[0]);
// Flagger's tutorial names no provider: Flagger runs with -mesh-provider=gatewayapi:v1, as the stepper would here.
const AS_INSTALLED = { meshProvider: 'gatewayapi:v1' } as const;
const errorsOf = (doc: unknown): string[] => validateCanary(doc, AS_INSTALLED).errors.map(formatFieldError).sort();

describe('validation of Gateway API canaries', () => {
  for (const file of ['podinfo-canary', 'podinfo-ab-canary', 'metric-templates'] as const) {
    it(`when Flagger's tutorial ${file}.yaml is validated as written, then every document is accepted`, () => {
      const docs = tutorial(file);
      expect(docs).to.not.be.empty;
      for (const doc of docs) expect(validateResource(doc, AS_INSTALLED).errors.map(formatFieldError)).to.deep.equal([]);
    });
  }

  it('when the tutorial canary names gatewayapi:v1beta1 or gatewayapi:v1, then both are accepted', () => {
    for (const provider of ['gatewayapi:v1', 'gatewayapi:v1beta1']) {
      const doc = canaryDoc();
      doc.spec.provider = provider;
      expect(errorsOf(doc)).to.deep.equal([]);
    }
  });

  it('when the tutorial\'s session-affinity canary is validated, then it is accepted without a warning', () => {
    const result = validateResource(tutorial('podinfo-canary-session-affinity')[0], AS_INSTALLED);
    expect(result.errors.map(formatFieldError)).to.deep.equal([]);
    expect(result.warnings).to.deep.equal([]);
  });

  it('when session affinity meets the user\'s own HTTPRoute, then it is refused, and with A/B testing it draws a warning', () => {
    const withRoute = canaryDoc('podinfo-canary-session-affinity');
    const { gatewayRefs: _g, hosts: _h, ...service } = withRoute.spec.service;
    withRoute.spec.service = { ...service, routeRef: { name: 'storefront' } };
    expect(errorsOf(withRoute)).to.deep.equal([
      'spec.analysis.sessionAffinity: Forbidden: session affinity adds routing rules, and Davy changes only the weights of the HTTPRoute that spec.service.routeRef names: remove one of the two',
    ]);
    const ab = canaryDoc('podinfo-ab-canary');
    ab.spec.analysis.sessionAffinity = { cookieName: 'flagger-cookie' };
    const result = validateCanary(ab, AS_INSTALLED);
    expect(result.errors).to.deep.equal([]);
    expect(result.warnings).to.deep.equal(['spec.analysis.sessionAffinity: applies to weighted canaries; with A/B testing no cookie is set']);
  });

  it('when every part of a gatewayRef is wrong and one is repeated, then each error names its field', () => {
    const doc = canaryDoc();
    doc.spec.provider = 'gatewayapi:v1';
    doc.spec.service.gatewayRefs = [
      { name: 'Gateway_1', group: 'Not A Group', kind: '9gateway', namespace: 'Istio-Ingress', sectionName: 'http_80', port: 0 },
      { name: 'gateway', namespace: 'istio-ingress' },
      { name: 'gateway', namespace: 'istio-ingress', group: 'gateway.networking.k8s.io', kind: 'Gateway' },
      { namespace: 'istio-ingress' },
    ];
    expect(errorsOf(doc)).to.deep.equal([
      'spec.service.gatewayRefs[0].group: Invalid value: "Not A Group": must be a DNS-1123 subdomain: lowercase letters, digits, \'-\' and \'.\', starting and ending with a letter or digit',
      'spec.service.gatewayRefs[0].kind: Invalid value: "9gateway": must be a kind: a letter, then letters, digits and \'-\', at most 63 characters',
      'spec.service.gatewayRefs[0].name: Invalid value: "Gateway_1": must be a DNS-1123 subdomain: lowercase letters, digits, \'-\' and \'.\', starting and ending with a letter or digit',
      'spec.service.gatewayRefs[0].namespace: Invalid value: "Istio-Ingress": must be a DNS-1123 label: lowercase letters, digits and \'-\', starting and ending with a letter or digit',
      'spec.service.gatewayRefs[0].port: Invalid value: 0: must be greater than or equal to 1',
      'spec.service.gatewayRefs[0].sectionName: Invalid value: "http_80": must be a DNS-1123 subdomain: lowercase letters, digits, \'-\' and \'.\', starting and ending with a letter or digit',
      'spec.service.gatewayRefs[2]: Duplicate value: {"name":"gateway","namespace":"istio-ingress","group":"gateway.networking.k8s.io","kind":"Gateway"}',
      'spec.service.gatewayRefs[3].name: Required value',
    ]);
  });

  it('when no gatewayRefs and no routeRef are given, then gatewayRefs is required', () => {
    const doc = canaryDoc();
    delete doc.spec.service.gatewayRefs;
    expect(errorsOf(doc)).to.deep.equal([
      'spec.service.gatewayRefs: Required value: Gateway API needs the Gateways the HTTPRoute attaches to (or routeRef, an existing HTTPRoute)',
    ]);
  });

  it('when hosts, matches and filters hold what an HTTPRoute cannot, then each is refused at its path', () => {
    const doc = canaryDoc('podinfo-ab-canary');
    doc.spec.service.hosts = ['www.example.com', '10.0.0.1', '*.Example.com'];
    doc.spec.service.match = [{ uri: { prefix: '/' }, scheme: { exact: 'https' }, headers: { 'x-a': { prefix: 'b' } }, method: { regex: 'GET|HEAD' } }];
    doc.spec.service.mirror = [{ backendRef: { name: 'shadow' } }];
    doc.spec.service.corsPolicy = { allowOrigins: [{ regex: '.*' }], maxAge: 'a day' };
    doc.spec.analysis.match.push({ headers: { 'x-canary': { suffix: 'yes' } }, sourceLabels: { app: 'web' } });
    expect(errorsOf(doc)).to.deep.equal([
      'spec.analysis.match[2].headers[x-canary].suffix: Unsupported value: "suffix": an HTTPRoute cannot express this match; supported values: "exact", "regex"',
      'spec.analysis.match[2].sourceLabels: Forbidden: an HTTPRoute match has no such field: the match would be dropped',
      'spec.service.corsPolicy.allowOrigins: Forbidden: Gateway API CORS takes plain origins, not patterns: use allowOrigin',
      'spec.service.corsPolicy.maxAge: Invalid value: "a day": must be a duration such as "30s", "1m" or "1m30s" (units ns, us, ms, s, m, h)',
      'spec.service.hosts[1]: Invalid value: "10.0.0.1": must be a hostname as an HTTPRoute takes it: a DNS-1123 subdomain, optionally starting with "*.", not an IP address',
      'spec.service.hosts[2]: Invalid value: "*.Example.com": must be a hostname as an HTTPRoute takes it: a DNS-1123 subdomain, optionally starting with "*.", not an IP address',
      'spec.service.match[0].headers[x-a].prefix: Unsupported value: "prefix": an HTTPRoute cannot express this match; supported values: "exact", "regex"',
      'spec.service.match[0].method.regex: Unsupported value: "regex": an HTTPRoute cannot express this match; supported values: "exact"',
      'spec.service.match[0].scheme: Forbidden: an HTTPRoute match has no such field: the match would be dropped',
      'spec.service.mirror[0].backendRef.port: Required value: a Service backendRef needs a port (the HTTPRoute CRD refuses it otherwise)',
    ]);
  });

  it('when routeRef names the user\'s HTTPRoute, then the canary needs no gatewayRefs', () => {
    const doc = canaryDoc();
    delete doc.spec.service.gatewayRefs;
    delete doc.spec.service.hosts;
    doc.spec.service.routeRef = { name: 'storefront' };
    expect(errorsOf(doc)).to.deep.equal([]);
  });

  it('when routeRef comes with the fields of a generated route, A/B and mirroring, or names another kind, then every conflict is reported', () => {
    const doc = canaryDoc('podinfo-ab-canary');
    doc.spec.service.routeRef = { name: 'Storefront', kind: 'GRPCRoute', group: 'example.com' };
    doc.spec.service.timeout = '10s';
    doc.spec.analysis.mirror = true; // also refused with A/B on its own (mirrorAB)
    const errors = errorsOf(doc);
    expect(errors).to.include.members([
      'spec.service.routeRef.name: Invalid value: "Storefront": must be a DNS-1123 subdomain: lowercase letters, digits, \'-\' and \'.\', starting and ending with a letter or digit',
      'spec.service.routeRef.kind: Unsupported value: "GRPCRoute": supported values: "HTTPRoute"',
      'spec.service.routeRef.group: Unsupported value: "example.com": supported values: "gateway.networking.k8s.io"',
      'spec.service.gatewayRefs: Forbidden: must be empty when routeRef is set: the referenced HTTPRoute keeps its own parentRefs, hostnames, matches, filters and timeouts, and Davy changes only its weights',
      'spec.service.hosts: Forbidden: must be empty when routeRef is set: the referenced HTTPRoute keeps its own parentRefs, hostnames, matches, filters and timeouts, and Davy changes only its weights',
      'spec.service.timeout: Forbidden: must be empty when routeRef is set: the referenced HTTPRoute keeps its own parentRefs, hostnames, matches, filters and timeouts, and Davy changes only its weights',
      'spec.analysis.match: Forbidden: A/B routing on match needs rules of Davy\'s own, and with routeRef Davy changes only the weights of the referenced HTTPRoute',
      'spec.analysis.mirror: Forbidden: mirroring needs rules of Davy\'s own, and with routeRef Davy changes only the weights of the referenced HTTPRoute',
    ]);
  });

  it('when routeRef is set on an istio canary, then it is a warning that istio ignores it', () => {
    const doc = canaryDoc();
    doc.spec.provider = 'istio';
    delete doc.spec.service.gatewayRefs;
    doc.spec.service.routeRef = { name: 'storefront' };
    const result = validateCanary(doc);
    expect(result.errors).to.deep.equal([]);
    expect(result.warnings).to.include('spec.service.routeRef: ignored by provider istio (used by gatewayapi:v1, gatewayapi:v1beta1)');
  });
});

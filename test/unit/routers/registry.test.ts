import { expect } from 'chai';
import fc from 'fast-check';
import { DAVY_PROVIDERS, PROVIDER_CAPABILITIES, type DavyProvider } from '../../../src/api/providers.js';
import { ROUTERS, ROUTING_KINDS, createRouter, type Routes } from '../../../src/routers/index.js';
import { example, knativeExample, value, versions } from './cluster.js';
import { gatewayExample } from './gatewayapi-fixtures.js';

/** Each provider's tutorial Canary, or the OSM one where the provider needs nothing more. */
function exampleFor(provider: DavyProvider) {
  if (provider === 'istio') return example('reviews-canary-istio', 'reviews-deployment');
  if (provider === 'knative') return knativeExample();
  if (provider.startsWith('gatewayapi')) return gatewayExample();
  if (provider === 'nginx') return example('podinfo-canary-nginx', 'podinfo-deployment', 'podinfo-ingress-nginx');
  if (provider === 'skipper') return example('podinfo-canary-skipper', 'podinfo-deployment', 'podinfo-ingress-skipper');
  if (provider === 'contour') return example('podinfo-canary-contour', 'podinfo-deployment');
  if (provider === 'traefik') return example('podinfo-canary-traefik', 'podinfo-deployment');
  if (provider === 'gloo') return example('podinfo-canary-gloo', 'podinfo-deployment');
  if (provider === 'kuma') return example('podinfo-canary-kuma', 'podinfo-deployment');
  if (provider === 'appmesh:v1beta2') return example('podinfo-canary-appmesh', 'podinfo-deployment');
  if (provider === 'apisix') return example('podinfo-canary-apisix', 'podinfo-deployment', 'podinfo-apisixroute');
  return example('podinfo-canary-osm', 'podinfo-deployment');
}

function cluster(provider: DavyProvider) {
  const ex = exampleFor(provider);
  ex.canary.spec.provider = provider;
  return { ...ex, router: createRouter(provider, { kube: ex.kube }) };
}

/** Routes a provider can express: any split with a weights router, mirroring only where supported. */
const routesFor = (provider: DavyProvider): fc.Arbitrary<Routes> => {
  const capabilities = PROVIDER_CAPABILITIES[provider];
  if (!capabilities.weights) {
    return fc.constantFrom<Routes>({ primary: 100, canary: 0, mirror: false }, { primary: 0, canary: 100, mirror: false });
  }
  return fc.record({ canary: fc.integer({ min: 0, max: 100 }), mirror: capabilities.mirror ? fc.boolean() : fc.constant(false) })
    .map(({ canary, mirror }) => ({ primary: 100 - canary, canary, mirror }));
};

describe('router registry', () => {
  it('when the registry is read, then every provider Davy routes has a router', () => {
    expect(Object.keys(ROUTERS).sort()).to.deep.equal([...DAVY_PROVIDERS].sort());
  });

  for (const provider of DAVY_PROVIDERS) {
    it(`when ${provider} reconciles, then every namespaced kind it writes is in ROUTING_KINDS, which the runner lists first`, async () => {
      const { kube, canary, router } = cluster(provider);
      const seeded = new Set(kube.objects().map((o) => `${o.kind}/${o.metadata.name ?? ''}`));
      await value(router.reconcile(canary));
      const written = kube.objects().filter((o) => o.metadata.namespace && o.kind !== 'Service' && !seeded.has(`${o.kind}/${o.metadata.name ?? ''}`));
      const listed = ROUTING_KINDS[provider].map((k) => `${k.apiVersion} ${k.kind}`);
      expect([...new Set(written.map((o) => `${o.apiVersion} ${o.kind}`))].filter((k) => !listed.includes(k))).to.deep.equal([]);
      // kuma's TrafficRoute is cluster-scoped; knative writes the Knative Service it targets.
      if (provider !== 'kubernetes' && provider !== 'kuma' && provider !== 'knative') expect(written.length, provider).to.be.greaterThan(0);
    });

    it(`when ${provider} routes are set to any valid split, then getRoutes reads the same split back and setting it again writes nothing`, async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(routesFor(provider), { minLength: 1, maxLength: 3 }), async (sequence) => {
          const { kube, canary, router } = cluster(provider);
          await value(router.reconcile(canary));
          for (const routes of sequence) {
            await value(router.setRoutes(canary, routes));
            expect(await value(router.getRoutes(canary))).to.deep.equal(routes);
            const before = versions(kube);
            await value(router.setRoutes(canary, routes));
            await value(router.reconcile(canary));
            expect(versions(kube)).to.deep.equal(before);
          }
          await value(router.finalize(canary));
          expect(kube.objects('Service').map((s) => s.metadata.name)).to.have.length(1);
        }),
        { numRuns: 15 },
      );
    });
  }
});

// Flagger's tutorials apply to Davy unchanged: each tutorial Canary kept in test/fixtures/routers
// passes Davy's validation with no error and no warning (knative: its builtin metrics are warned
// about), run the way Flagger's chart runs it (the Contour, Istio A/B and Linkerd tutorials name no
// provider: their steppers have --mesh-provider contour, istio and gatewayapi:v1beta1).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { expect } from 'chai';
import { parseAllDocuments } from 'yaml';
import { validateResource } from '../../../src/api/validate.js';

const DIR = new URL('../../fixtures/routers/', import.meta.url);
const ROUTER_TUTORIALS = ['nginx', 'skipper', 'contour', 'traefik', 'gloo', 'kuma', 'apisix', 'appmesh', 'knative', 'istio-ab', 'linkerd'];
const SHARED = new URL('../../../../shared/examples/', import.meta.url);

describe('Flagger\'s router tutorials as Davy validates them', () => {
  const files = readdirSync(DIR).filter((f) => ROUTER_TUTORIALS.some((r) => f.startsWith(`podinfo-canary-${r}`)));

  it('when the fixtures are listed, then every router tutorial has its Canary', () => {
    expect(ROUTER_TUTORIALS.filter((r) => !files.some((f) => f.startsWith(`podinfo-canary-${r}`)))).to.deep.equal([]);
  });

  // The e2e apply these copies: they must be the shared examples byte for byte (test/unit/api's
  // validate-warnings validates the shared examples themselves).
  it('when a shared example has a copy here, then the copy is the example unchanged', () => {
    const copies = readdirSync(SHARED).filter((f) => f.endsWith('.yaml') && existsSync(new URL(f, DIR)));
    expect(copies).to.include.members(['podinfo-canary-osm.yaml', 'reviews-canary-istio.yaml', 'podinfo-deployment.yaml']);
    for (const f of copies) expect(readFileSync(new URL(f, DIR), 'utf8'), f).to.equal(readFileSync(new URL(f, SHARED), 'utf8'));
  });

  for (const file of files) {
    it(`when ${file} is validated, then it has no error and no warning`, () => {
      const canary = parseAllDocuments(readFileSync(new URL(file, DIR), 'utf8')).map((d) => d.toJS() as { kind?: string } | null).find((d) => d?.kind === 'Canary');
      // As Flagger's chart runs each: contour by default, Linkerd's tutorial with gatewayapi:v1beta1, Istio's with istio.
      const meshProvider = file.includes('linkerd') ? 'gatewayapi:v1beta1' : file.includes('istio') ? 'istio' : 'contour';
      expect(validateResource(canary, { meshProvider })).to.deep.equal({ errors: [], warnings: [] });
    });
  }
});

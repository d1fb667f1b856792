import { expect } from 'chai';
import { ANNOTATION_ADOPTED, LABEL_MANAGED_BY_CANARY } from '../../../src/api/keys.js';
import type { Canary } from '../../../src/api/types.js';
import { buildServices, finalApex, type DesiredServices, type ExistingServices, type ServiceOptions } from '../../../src/workloads/services.js';
import type { Deployment, Service } from '../../../src/workloads/types.js';
import { canary, fixture } from '../../fixtures/routers/index.js';

const podinfo = () => fixture<Deployment>('podinfo-deployment', 'Deployment');
const reviews = () => fixture<Deployment>('reviews-deployment', 'Deployment');
const reviewsService = () => fixture<Service>('reviews-deployment', 'Service');

function build(c: Canary, target: Deployment, existing: ExistingServices = {}, options: Partial<ServiceOptions> = {}): DesiredServices {
  const result = buildServices(c, target, existing, { provider: c.spec.provider ?? 'istio', ...options });
  if (!result.ok) throw new Error(`${result.error.code}: ${result.error.message}`);
  return result.value;
}

/** What the API server would hold after creating `service`: a clusterIP, maybe nodePorts. */
function stored(service: Service, extra: Partial<Service['spec']> = {}): Service {
  return { ...service, metadata: { ...service.metadata, resourceVersion: '7', uid: 'svc-uid' }, spec: { clusterIP: '10.96.0.9', clusterIPs: ['10.96.0.9'], ...service.spec, ...extra } };
}

describe('buildServices', () => {
  describe('OSM podinfo (no Services yet)', () => {
    const services = build(canary('podinfo-canary-osm'), podinfo());

    it('when nothing exists, then apex and primary select the stable pods and canary the copy\'s', () => {
      expect(services.apex.object.metadata.name).to.equal('podinfo');
      expect(services.primary.object.metadata.name).to.equal('podinfo-primary');
      expect(services.canary.object.metadata.name).to.equal('podinfo-canary');
      expect(services.apex.object.spec?.selector).to.deep.equal({ app: 'podinfo' });
      expect(services.primary.object.spec?.selector).to.deep.equal({ app: 'podinfo' });
      expect(services.canary.object.spec?.selector).to.deep.equal({ app: 'podinfo-canary' });
    });

    it('when nothing exists, then each Service is a ClusterIP with port http 9898 -> 9898 TCP, owned by the Canary', () => {
      for (const { object, recreate } of [services.apex, services.primary, services.canary]) {
        expect(recreate).to.equal(false);
        expect(object.spec?.type).to.equal('ClusterIP');
        expect(object.spec?.ports).to.deep.equal([{ name: 'http', port: 9898, targetPort: 9898, protocol: 'TCP' }]);
        expect(object.metadata.labels?.[LABEL_MANAGED_BY_CANARY]).to.equal('podinfo');
        expect(object.metadata.ownerReferences?.[0]).to.include({ kind: 'Canary', name: 'podinfo', controller: true });
      }
      expect(services.primary.object.metadata.labels?.['app']).to.equal('podinfo-primary');
    });
  });

  describe('KEDA blue/green (service name podinfo-svc, port 80 -> 9898, portDiscovery)', () => {
    const services = build(canary('podinfo-canary-keda-bluegreen'), podinfo());

    it('when the service is named, then the Services are podinfo-svc, -primary and -canary', () => {
      expect([services.apex, services.primary, services.canary].map((s) => s.object.metadata.name))
        .to.deep.equal(['podinfo-svc', 'podinfo-svc-primary', 'podinfo-svc-canary']);
    });

    it('when portDiscovery is on, then the other container ports are added and the target port is not repeated', () => {
      expect(services.canary.object.spec?.ports).to.deep.equal([
        { name: 'http', port: 80, targetPort: 9898, protocol: 'TCP' },
        { name: 'http-metrics', port: 9797, targetPort: 9797, protocol: 'TCP' },
        { name: 'grpc', port: 9999, targetPort: 9999, protocol: 'TCP' },
      ]);
    });
  });

  it('when headless, appProtocol, trafficDistribution and apex/primary/canary metadata are set, then they are applied', () => {
    const c = canary('podinfo-canary-osm');
    c.spec.service = {
      ...c.spec.service, headless: true, appProtocol: 'http', trafficDistribution: 'PreferClose',
      apex: { labels: { tier: 'front' }, annotations: { note: 'apex' } }, primary: { annotations: { note: 'primary' } }, canary: { labels: { track: 'canary' } },
    };
    const services = build(c, podinfo());
    expect(services.apex.object.spec).to.include({ clusterIP: 'None', trafficDistribution: 'PreferClose' });
    expect(services.apex.object.spec?.ports?.[0]?.appProtocol).to.equal('http');
    expect(services.apex.object.metadata.labels).to.include({ tier: 'front' });
    expect(services.apex.object.metadata.annotations).to.include({ note: 'apex' });
    expect(services.primary.object.metadata.annotations).to.include({ note: 'primary' });
    expect(services.canary.object.metadata.labels).to.include({ track: 'canary' });
  });

  it('when the workload selector has other labels, then the Services keep them (they select only this workload\'s pods)', () => {
    const services = build(canary('reviews-canary-istio'), reviews());
    expect(services.primary.object.spec?.selector).to.deep.equal({ app: 'reviews', version: 'v1' });
    expect(services.canary.object.spec?.selector).to.deep.equal({ app: 'reviews-canary', version: 'v1' });
  });

  describe('existing Services Davy owns', () => {
    const c = canary('podinfo-canary-osm');
    const first = build(c, podinfo());

    it('when they exist, then clusterIP, nodePorts and other controllers\' annotations are kept', () => {
      const primary = stored(first.primary.object, { type: 'NodePort', ports: [{ name: 'http', port: 9898, targetPort: 9898, protocol: 'TCP', nodePort: 31234 }] });
      primary.metadata.annotations = { ...primary.metadata.annotations, 'cloud.example/lb': 'x' };
      const next = build(c, podinfo(), { primary }).primary;
      expect(next.recreate).to.equal(false);
      expect(next.object.spec).to.include({ clusterIP: '10.96.0.9', type: 'NodePort' });
      expect(next.object.spec?.ports?.[0]?.nodePort).to.equal(31234);
      expect(next.object.metadata.annotations).to.include({ 'cloud.example/lb': 'x' });
      expect(next.object.metadata.resourceVersion).to.equal('7');
    });

    it('when headless is switched on for an existing ClusterIP Service, then it must be recreated', () => {
      const headless = canary('podinfo-canary-osm');
      headless.spec.service.headless = true;
      const next = build(headless, podinfo(), { canary: stored(first.canary.object) }).canary;
      expect(next.recreate).to.equal(true);
      expect(next.object.spec?.clusterIP).to.equal('None');
    });

    it('when another controller owns the -canary Service, then the result is ObjectConflict', () => {
      const other = stored(first.canary.object);
      other.metadata.labels = {};
      other.metadata.ownerReferences = [{ apiVersion: 'example.com/v1', kind: 'App', name: 'x', uid: 'u', controller: true }];
      const result = buildServices(c, podinfo(), { canary: other }, { provider: 'osm' });
      expect(!result.ok && result.error.code).to.equal('ObjectConflict');
    });

    it('when apexSide is canary, then the apex selects the copy; when unset later, then it keeps that side', () => {
      const switched = build(c, podinfo(), { apex: stored(first.apex.object) }, { apexSide: 'canary' }).apex.object;
      expect(switched.spec?.selector).to.deep.equal({ app: 'podinfo-canary' });
      const kept = build(c, podinfo(), { apex: stored(switched) }).apex.object;
      expect(kept.spec?.selector).to.deep.equal({ app: 'podinfo-canary' });
    });

    it('when the Canary goes, then an apex Davy created is released: stable selector, no Davy ownership', () => {
      const apex = stored(build(c, podinfo(), {}, { apexSide: 'canary' }).apex.object);
      const released = finalApex(c, apex, { app: 'podinfo' })!;
      expect(released.spec?.selector).to.deep.equal({ app: 'podinfo' });
      expect(released.metadata.ownerReferences).to.equal(undefined);
      expect(released.metadata.labels).to.not.have.property(LABEL_MANAGED_BY_CANARY);
      expect(released.metadata.annotations).to.not.have.property('kustomize.toolkit.fluxcd.io/reconcile');
      expect(released.spec?.clusterIP).to.equal('10.96.0.9');
    });
  });

  describe('an existing apex the user made (adoption)', () => {
    const c = canary('reviews-canary-istio');

    it('when the bookinfo reviews Service exists, then only the adoption record is added', () => {
      const user = stored(reviewsService());
      const apex = build(c, reviews(), { apex: user }).apex.object;
      expect(apex.spec).to.deep.equal(user.spec);
      expect(apex.metadata.labels).to.deep.equal(user.metadata.labels);
      expect(apex.metadata.ownerReferences).to.equal(undefined);
      expect(JSON.parse(apex.metadata.annotations?.[ANNOTATION_ADOPTED] ?? '')).to.deep.equal({
        canary: 'reviews', original: { selector: { app: 'reviews' }, ports: [] },
      });
    });

    it('when the apex lacks the service port and the selector label, then they are added, and finalize restores it exactly', () => {
      const user = stored(reviewsService(), { selector: { service: 'reviews' }, ports: [{ name: 'admin', port: 8080, targetPort: 8080, protocol: 'TCP' }] });
      const adopted = build(c, reviews(), { apex: user }).apex.object;
      expect(adopted.spec?.selector).to.deep.equal({ service: 'reviews', app: 'reviews' });
      expect(adopted.spec?.ports?.map((p) => `${p.name}:${p.port}`)).to.deep.equal(['admin:8080', 'http:9080']);
      const again = build(c, reviews(), { apex: stored(adopted) }).apex.object;
      expect(again).to.deep.equal(stored(adopted));
      expect(finalApex(c, stored(again), { app: 'reviews', version: 'v1' })).to.deep.equal(stored(user));
    });

    it('when the adopted apex has one unnamed port and another is needed, then the result is ObjectConflict', () => {
      const user = stored(reviewsService(), { ports: [{ port: 8080, targetPort: 8080, protocol: 'TCP' }] });
      const result = buildServices(c, reviews(), { apex: user }, { provider: 'istio' });
      expect(!result.ok && result.error.code).to.equal('ObjectConflict');
    });

    it('when a user\'s apex is adopted by the kubernetes router\'s switch, then only its selector label moves', () => {
      const user = stored(reviewsService());
      const adopted = build(c, reviews(), { apex: user }, { apexSide: 'canary' }).apex.object;
      expect(adopted.spec?.selector).to.deep.equal({ app: 'reviews-canary' });
      expect(finalApex(c, stored(adopted), undefined)?.spec?.selector).to.deep.equal({ app: 'reviews' });
    });
  });
});

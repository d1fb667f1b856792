import { expect } from 'chai';
import { ANNOTATION_KEDA_PAUSED_REPLICAS, LABEL_MANAGED_BY_CANARY } from '../../../src/api/keys.js';
import { buildAutoscalerCopy, convergedAutoscalerCopy, rewriteName } from '../../../src/workloads/autoscalers.js';
import { converged } from '../../../src/workloads/meta.js';
import type { Autoscaler, HorizontalPodAutoscaler, ScaledObject } from '../../../src/workloads/types.js';
import { canary, fixture } from '../../fixtures/routers/index.js';

function copyOf<T extends Autoscaler>(file: 'podinfo-canary-osm' | 'podinfo-canary-keda-bluegreen', autoscaler: T, idle: boolean): T {
  const result = buildAutoscalerCopy(canary(file), autoscaler, { idle });
  if (!result.ok) throw new Error(result.error.message);
  return result.value as T;
}

describe('buildAutoscalerCopy', () => {
  describe('HPA (OSM podinfo)', () => {
    const hpa = fixture<HorizontalPodAutoscaler>('podinfo-deployment', 'HorizontalPodAutoscaler');
    const copy = copyOf('podinfo-canary-osm', hpa, true);

    it('when the podinfo HPA is copied, then podinfo-canary targets the Deployment podinfo-canary', () => {
      expect(copy.apiVersion).to.equal('autoscaling/v2');
      expect(copy.metadata.name).to.equal('podinfo-canary');
      expect(copy.spec?.scaleTargetRef).to.deep.equal({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'podinfo-canary' });
    });

    it('when the HPA is copied, then min, max and metrics are the user\'s and the Canary owns the copy', () => {
      expect(copy.spec).to.include({ minReplicas: 2, maxReplicas: 4 });
      expect(copy.spec?.['metrics']).to.deep.equal(hpa.spec?.['metrics']);
      expect(copy.metadata.labels?.[LABEL_MANAGED_BY_CANARY]).to.equal('podinfo');
      expect(copy.metadata.ownerReferences?.[0]).to.include({ kind: 'Canary', controller: true });
    });

    it('when the HPA is not autoscaling/v2, then the result is UnsupportedKind', () => {
      const result = buildAutoscalerCopy(canary('podinfo-canary-osm'), { ...hpa, apiVersion: 'autoscaling/v2beta2' }, { idle: true });
      expect(!result.ok && result.error.code).to.equal('UnsupportedKind');
    });
  });

  describe('KEDA ScaledObject (blue/green podinfo-so)', () => {
    const so = fixture<ScaledObject>('podinfo-scaledobject', 'ScaledObject');

    it('when podinfo-so is copied, then podinfo-so-canary targets podinfo-canary with the query rewritten to it', () => {
      const copy = copyOf('podinfo-canary-keda-bluegreen', so, false);
      expect(copy.metadata.name).to.equal('podinfo-so-canary');
      expect(copy.spec?.scaleTargetRef).to.deep.equal({ name: 'podinfo-canary' });
      expect(copy.spec?.triggers?.[0]?.metadata?.['query']).to.equal('sum(rate(http_requests_total{ app="podinfo-canary" }[30s]))');
      expect(copy.spec?.triggers?.[0]?.metadata?.['serverAddress']).to.equal('http://flagger-prometheus.flagger-system:9090');
    });

    it('when primaryScalerQueries and primaryScalerReplicas are set, then the copy keeps the user\'s bounds and query shape', () => {
      const copy = copyOf('podinfo-canary-keda-bluegreen', so, false);
      expect(copy.spec).to.include({ minReplicaCount: 1, maxReplicaCount: 3, pollingInterval: 10, cooldownPeriod: 20 });
      expect(JSON.stringify(copy)).to.not.include('podinfo-primary');
    });

    it('when the copy is idle, then it is paused at 0 replicas; when active, then it is not paused', () => {
      expect(copyOf('podinfo-canary-keda-bluegreen', so, true).metadata.annotations?.[ANNOTATION_KEDA_PAUSED_REPLICAS]).to.equal('0');
      expect(copyOf('podinfo-canary-keda-bluegreen', so, false).metadata.annotations).to.not.have.property(ANNOTATION_KEDA_PAUSED_REPLICAS);
    });

    it('when the stored copy is paused and the desired one is awake, then converging removes the pause and keeps what others added', () => {
      const stored = copyOf('podinfo-canary-keda-bluegreen', so, true);
      stored.metadata.annotations = { ...stored.metadata.annotations, 'example.com/note': 'kept' };
      const awake = convergedAutoscalerCopy(stored, copyOf('podinfo-canary-keda-bluegreen', so, false));
      expect(awake.metadata.annotations?.[ANNOTATION_KEDA_PAUSED_REPLICAS]).to.equal(undefined);
      expect(awake.metadata.annotations?.['example.com/note']).to.equal('kept');
      // A plain converge keeps every key it does not set: the pause would stay and the copy never scale.
      expect(converged(stored, copyOf('podinfo-canary-keda-bluegreen', so, false)).metadata.annotations?.[ANNOTATION_KEDA_PAUSED_REPLICAS]).to.equal('0');
      const asleep = convergedAutoscalerCopy(awake, copyOf('podinfo-canary-keda-bluegreen', so, true));
      expect(asleep.metadata.annotations?.[ANNOTATION_KEDA_PAUSED_REPLICAS]).to.equal('0');
    });

    it('when the user paused their ScaledObject, then the pause is not copied', () => {
      const paused = { ...so, metadata: { ...so.metadata, annotations: { [ANNOTATION_KEDA_PAUSED_REPLICAS]: '3', 'autoscaling.keda.sh/paused': 'true' } } };
      const copy = copyOf('podinfo-canary-keda-bluegreen', paused, false);
      expect(Object.keys(copy.metadata.annotations ?? {}).filter((k) => k.startsWith('autoscaling.keda.sh/'))).to.deep.equal([]);
    });

    it('when advanced.horizontalPodAutoscalerConfig.name is set, then the copy\'s HPA name gets -canary', () => {
      const named = { ...so, spec: { ...so.spec, advanced: { horizontalPodAutoscalerConfig: { name: 'podinfo-hpa' } } } };
      expect(copyOf('podinfo-canary-keda-bluegreen', named, false).spec?.advanced?.horizontalPodAutoscalerConfig?.name).to.equal('podinfo-hpa-canary');
    });
  });
});

describe('rewriteName', () => {
  const cases: [string, string][] = [
    ['sum(rate(http_requests_total{app="podinfo"}[1m]))', 'sum(rate(http_requests_total{app="podinfo-canary"}[1m]))'],
    ['{deployment=~"podinfo",namespace="test"}', '{deployment=~"podinfo-canary",namespace="test"}'],
    ['{app="podinfo-svc"}', '{app="podinfo-svc"}'],
    ['{app="mypodinfo"}', '{app="mypodinfo"}'],
    ['{app="podinfo_2"}', '{app="podinfo_2"}'],
    ['{app="podinfo-canary"}', '{app="podinfo-canary"}'],
    ['podinfo podinfo', 'podinfo-canary podinfo-canary'],
    ['http://podinfo.test:9898/', 'http://podinfo-canary.test:9898/'],
  ];
  for (const [query, expected] of cases) {
    it(`when the query is ${query}, then it becomes ${expected}`, () => {
      expect(rewriteName(query, 'podinfo', 'podinfo-canary')).to.equal(expected);
    });
  }

  it('when the name has regex characters, then they are matched literally', () => {
    expect(rewriteName('a="x.y" b="xzy"', 'x.y', 'x.y-canary')).to.equal('a="x.y-canary" b="xzy"');
  });

  it('when a query is rewritten twice, then the second pass changes nothing', () => {
    const once = rewriteName('{app="podinfo"}', 'podinfo', 'podinfo-canary');
    expect(rewriteName(once, 'podinfo', 'podinfo-canary')).to.equal(once);
  });
});

// The Istio tutorial end to end (issue 5): bookinfo's reviews with the Canary from shared/examples
// unchanged but for its interval (no provider field: the stepper's default mesh provider, istio,
// applies), VirtualService weights 10..50 at every step, then promotion.
import { expect } from 'chai';
import { e2e } from './hooks.js';
import { Scenario, example, inOrder } from './scenario.js';
import { eventually } from '../harness/process.js';
import type { KubeObject } from '../../src/kube/client.js';

interface VirtualService extends KubeObject {
  spec: { hosts?: string[]; http?: { route?: { destination: { host: string }; weight?: number }[] }[] };
}

const reviews = (image: string): KubeObject => ({
  apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'reviews', namespace: 'default', labels: { app: 'reviews' } },
  spec: {
    replicas: 2,
    selector: { matchLabels: { app: 'reviews' } },
    template: { metadata: { labels: { app: 'reviews' } }, spec: { containers: [{ name: 'reviews', image, ports: [{ containerPort: 9080 }] }] } },
  },
});

describe('stepper: the Istio tutorial (reviews, default mesh provider), names intact', function () {
  this.timeout(600_000);
  const scenario = new Scenario('default', 'reviews');
  after(async () => {
    await scenario.stopStepper();
    await scenario.receiver.close();
    await e2e().cluster.kubectl(['-n', 'default', 'patch', 'canary', 'reviews', '--type=merge', '-p', '{"metadata":{"finalizers":null}}']);
    await e2e().cluster.kubectl(['-n', 'default', 'delete', '--ignore-not-found', 'canary/reviews', 'deployment/reviews', 'deployment/reviews-canary', 'service/reviews', 'service/reviews-primary', 'service/reviews-canary', 'virtualservice/reviews', 'destinationrule/reviews-primary', 'destinationrule/reviews-canary']);
  });

  it('when a new image is set, then the VirtualService routes 10, 20 ... 50% to reviews-canary and the release is promoted', async () => {
    await scenario.setup();
    await scenario.apply([reviews('docker.io/istio/examples-bookinfo-reviews-v1:1.20.2')]);
    await eventually('reviews to be available', async () => ((await scenario.pods('app=reviews')).length === 2 ? true : undefined), 60_000);
    const healthy = { requestsPerSecond: 20, successRate: 1, latencyMs: 40 };
    e2e().exporter.shapeIstio('default', 'reviews-canary', healthy);
    const canary = scenario.shorten(example('reviews-canary-istio.yaml')[0]!);
    expect(canary.spec).to.not.have.property('provider');
    await scenario.apply([canary]);
    scenario.startStepper(['--mesh-provider', 'istio']);
    await scenario.waitPhase('Initialized', 90_000);

    const seen: number[] = [];
    const timer = setInterval(() => {
      void e2e().cluster.kube.get<VirtualService>({ apiVersion: 'networking.istio.io/v1beta1', kind: 'VirtualService', namespace: 'default', name: 'reviews' }).then((vs) => {
        const routes = vs?.spec.http?.[0]?.route ?? [];
        const canaryWeight = routes.find((r) => r.destination.host === 'reviews-canary')?.weight ?? 0;
        const primaryWeight = routes.find((r) => r.destination.host === 'reviews-primary')?.weight ?? 0;
        if (canaryWeight + primaryWeight === 100 && seen.at(-1) !== canaryWeight) seen.push(canaryWeight);
      }, () => undefined);
    }, 400);
    await e2e().cluster.kubectlOk(['-n', 'default', 'set', 'image', 'deployment/reviews', 'reviews=docker.io/istio/examples-bookinfo-reviews-v2:1.20.2']);
    await scenario.waitPhase('Succeeded', 300_000).finally(() => clearInterval(timer));

    expect(seen).to.deep.equal([0, 10, 20, 30, 40, 50, 0]);
    const events = await scenario.eventsUntil('Promotion completed! Scaling down reviews.default');
    expect(inOrder(events, [
      'New revision detected! Scaling up reviews.default',
      ...[10, 20, 30, 40, 50].map((w) => `Advance reviews.default canary weight ${w}`),
      'Promotion completed! Scaling down reviews.default',
    ]), events.join('\n')).to.equal(true);
    const pods = await scenario.pods('app=reviews');
    expect(pods.every((p) => p.image.includes('reviews-v2'))).to.equal(true);
  });
});

// The Gateway API tutorial manifests (test/fixtures/tutorials/gatewayapi, Flagger's, unchanged) as
// fresh clones, and a MemoryKube holding one tutorial Canary with the podinfo Deployment it targets.
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import type { Canary } from '../../../src/api/types.js';
import type { KubeObject } from '../../../src/kube/client.js';
import type { HTTPRoute } from '../../../src/routers/gatewayapi-spec.js';
import { MemoryKube } from '../../support/memory-kube.js';

export type TutorialFile =
  | 'gateway'
  | 'metric-templates'
  | 'podinfo-canary'
  | 'podinfo-ab-canary'
  | 'podinfo-canary-session-affinity'
  | 'podinfo-deployment'
  | 'podinfo-hpa';

export const tutorialPath = (file: TutorialFile): URL => new URL(`../../fixtures/tutorials/gatewayapi/${file}.yaml`, import.meta.url);

/** Every document of a tutorial file, parsed afresh. */
export function tutorial(file: TutorialFile): KubeObject[] {
  const text = readFileSync(tutorialPath(file), 'utf8');
  return parseAllDocuments(text).map((d) => d.toJS() as KubeObject).filter(Boolean);
}

export interface GatewayExample {
  kube: MemoryKube;
  canary: Canary;
}

/** A tutorial Canary (with a uid, as stored) for `provider`, and the podinfo Deployment in its namespace. */
export function gatewayExample(file: TutorialFile = 'podinfo-canary', provider: 'gatewayapi:v1' | 'gatewayapi:v1beta1' = 'gatewayapi:v1'): GatewayExample {
  const canary = tutorial(file)[0] as unknown as Canary;
  canary.spec.provider = provider;
  canary.metadata.uid = 'uid-test-podinfo';
  const deployment = tutorial('podinfo-deployment')[0]!;
  deployment.metadata.namespace = canary.metadata.namespace ?? '';
  const kube = new MemoryKube().seed(canary as unknown as KubeObject, deployment);
  return { kube, canary };
}

/** The user's HTTPRoute of the routeRef tests (test/fixtures/routers), in `namespace`. */
export function storefrontRoute(namespace: string): HTTPRoute {
  const text = readFileSync(new URL('../../fixtures/routers/gatewayapi-storefront-httproute.yaml', import.meta.url), 'utf8');
  const route = parseAllDocuments(text)[0]!.toJS() as HTTPRoute;
  route.metadata.namespace = namespace;
  return route;
}

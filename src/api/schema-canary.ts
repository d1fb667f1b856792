// The Canary's schema: Flagger's fields and types, Davy's two additions, and a few CEL rules that
// guard the stored object even without the webhook. Semantics (weights, durations, providers) are
// the validator's, so that one denial lists every problem.

import { ALERT_SEVERITIES, CANARY_PHASES, WEBHOOK_TYPES } from './types.js';
import { FLAGGER_PROVIDERS } from './providers.js';
import { arr, bool, enumOf, int, intOrString, num, obj, semanticEnumOf, str, stringMap, type Schema } from './schema-openapi.js';
import {
  abMatchRequest,
  corsPolicy,
  customMetadata,
  gatewayParentRef,
  headers,
  httpMatchRequest,
  mirrorFilter,
  routeReference,
  trafficPolicy,
} from './schema-routing.js';

const objectRef = (kinds: readonly string[] | undefined, description: string, withNamespace = false): Schema =>
  obj(
    {
      apiVersion: str(),
      kind: kinds ? semanticEnumOf(kinds) : str(),
      name: str(),
      ...(withNamespace ? { namespace: str() } : {}),
    },
    { description, required: ['apiVersion', 'kind', 'name'] },
  );

const autoscalerRef = (): Schema => {
  const ref = objectRef(['HorizontalPodAutoscaler', 'ScaledObject'], 'The autoscaler of the target (autoscaling/v2 HorizontalPodAutoscaler or keda.sh/v1alpha1 ScaledObject)');
  ref.properties = {
    ...ref.properties,
    primaryScalerQueries: stringMap('ScaledObject only: trigger name to query for the stable side (accepted for compatibility)'),
    primaryScalerReplicas: obj(
      { minReplicas: int(undefined, { minimum: 1 }), maxReplicas: int(undefined, { minimum: 1 }) },
      {
        description: 'Replica bounds for the stable side (accepted for compatibility)',
        validations: [{ rule: '!has(self.minReplicas) || !has(self.maxReplicas) || self.minReplicas <= self.maxReplicas', message: 'minReplicas must not exceed maxReplicas' }],
      },
    ),
  };
  ref['x-kubernetes-validations'] = [
    { rule: "!has(self.primaryScalerQueries) || self.kind == 'ScaledObject'", message: 'primaryScalerQueries applies only to a ScaledObject' },
  ];
  return ref;
};

const service = (): Schema =>
  obj(
    {
      name: str('Apex service name (default targetRef.name); Davy also creates <name>-primary and <name>-canary'),
      port: int('Service port'),
      portName: str('Name of the service port (default http)'),
      targetPort: intOrString('Container port number or name (default port)'),
      appProtocol: str('Application protocol of the port'),
      trafficDistribution: enumOf(['PreferClose', 'PreferSameZone', 'PreferSameNode'], 'Service trafficDistribution'),
      portDiscovery: bool('Add every other container port to the generated services'),
      headless: bool('Generate headless services'),
      timeout: str('Request timeout (Go duration)'),
      backendTimeout: str('Per-backend request timeout (Gateway API)'),
      gateways: arr(str(), 'Istio gateways (default mesh)'),
      gatewayRefs: arr(gatewayParentRef(), 'Gateway API parent references', 32),
      routeRef: routeReference(),
      hosts: arr(str(), 'Host names of the service'),
      delegation: bool('Generate an Istio delegate VirtualService'),
      trafficPolicy: trafficPolicy(),
      match: arr(httpMatchRequest(), 'Base routing match'),
      rewrite: obj({ uri: str(), authority: str(), type: enumOf(['ReplaceFullPath', 'ReplacePrefixMatch']) }, { description: 'URI and authority rewrite' }),
      retries: obj({ attempts: int(), perTryTimeout: str(), retryOn: str() }, { description: 'Retry policy' }),
      headers: headers(),
      mirror: arr(mirrorFilter(), 'Gateway API request mirror filters'),
      corsPolicy: corsPolicy(),
      meshName: str('App Mesh mesh name'),
      backends: arr(str(), 'App Mesh backends'),
      apex: customMetadata('Labels and annotations for the apex service'),
      primary: customMetadata('Labels and annotations for the primary service'),
      canary: customMetadata('Labels and annotations for the canary service'),
      unmanagedMetadata: obj({ annotations: arr(str()), labels: arr(str()) }, { description: 'Keys Davy leaves alone on its services' }),
    },
    { description: 'The services Davy generates for the target', required: ['port'] },
  );

const metric = (): Schema =>
  obj(
    {
      name: str('request-success-rate, request-duration, or any name with templateRef or query'),
      interval: str('Query window (Go duration, default 1m)'),
      threshold: num('Deprecated: use thresholdRange'),
      thresholdRange: obj(
        { min: num('Lowest accepted value'), max: num('Highest accepted value') },
        { validations: [{ rule: '!has(self.min) || !has(self.max) || self.min <= self.max', message: 'min must not exceed max' }] },
      ),
      query: str('Deprecated inline PromQL: use templateRef'),
      templateRef: obj({ name: str(), namespace: str() }, { description: 'MetricTemplate reference', required: ['name'] }),
      templateVariables: stringMap('Variables for the template, as variables.<key>'),
      onNoData: enumOf(['fail', 'hold', 'pass'], 'Davy addition: what no data means: fail (default, a failed check), hold (neither advance nor fail), pass'),
    },
    {
      required: ['name'],
      validations: [{ rule: '!has(self.query) || !has(self.templateRef)', message: 'query and templateRef are mutually exclusive' }],
    },
  );

const webhook = (): Schema =>
  obj(
    {
      name: str(),
      type: enumOf(['', ...WEBHOOK_TYPES], 'When the hook runs (default rollout)'),
      url: str('http or https URL'),
      timeout: str('Per-attempt timeout (Go duration, default 10s)'),
      retries: int('Retries after a failed attempt'),
      disableTLS: bool('Skip TLS verification'),
      muteAlert: bool('Do not alert while this confirm hook waits'),
      metadata: stringMap('Sent in the payload'),
    },
    { required: ['name', 'url'] },
  );

const alert = (): Schema =>
  obj(
    {
      name: str(),
      severity: enumOf(['', ...ALERT_SEVERITIES], 'info receives everything, warn warn and error, error only errors'),
      providerRef: obj({ name: str(), namespace: str() }, { required: ['name'] }),
    },
    { required: ['name', 'providerRef'] },
  );

const sessionAffinity = (): Schema =>
  obj(
    {
      cookieName: str('Cookie that pins a client to the canary'),
      primaryCookieName: str('Cookie that pins a client to the primary'),
      maxAge: int('Cookie lifetime in seconds (default 86400)'),
      domain: str(),
      httpOnly: bool(),
      partitioned: bool(),
      path: str(),
      sameSite: enumOf(['Strict', 'Lax', 'None']),
      secure: bool(),
    },
    {
      required: ['cookieName'],
      validations: [{ rule: '!has(self.primaryCookieName) || self.primaryCookieName != self.cookieName', message: 'primaryCookieName must differ from cookieName' }],
    },
  );

export const analysisSchema = (description: string): Schema =>
  obj(
    {
      interval: str('Step interval (Go duration)'),
      iterations: int('Analysis runs for blue/green, or A/B with match'),
      threshold: int('Failed checks before rollback'),
      maxWeight: int('Canary weight at which promotion starts (default 100)'),
      stepWeight: int('Canary weight increment'),
      stepWeights: arr(int(), 'Canary weights, strictly increasing'),
      stepWeightPromotion: int('Primary weight increment while promoting (default: all at once)'),
      mirror: bool('Mirror traffic to the canary (Istio)'),
      mirrorWeight: int('Percentage of traffic mirrored (Istio, default 100)'),
      primaryReadyThreshold: int('Percentage of available pods for the primary to be ready (default 100)'),
      canaryReadyThreshold: int('Percentage of available pods for the canary to be ready (default 100)'),
      match: arr(abMatchRequest(), 'A/B testing conditions'),
      metrics: arr(metric(), 'Metric checks'),
      webhooks: arr(webhook(), 'Hooks'),
      alerts: arr(alert(), 'Alerts'),
      sessionAffinity: sessionAffinity(),
      rewriteQueries: bool('Davy addition (default true): read label values naming the target in queries as the workload under test, as Flagger meant them; false renders queries verbatim'),
    },
    { description },
  );

export const canarySpecSchema = (): Schema =>
  obj(
    {
      provider: semanticEnumOf(FLAGGER_PROVIDERS, 'Traffic provider (default: the stepper\'s --mesh-provider)'),
      metricsServer: str('Prometheus URL for builtin and inline metrics'),
      targetRef: objectRef(['DaemonSet', 'Deployment', 'Service'], 'The workload under analysis (apps/v1 Deployment or DaemonSet)'),
      autoscalerRef: autoscalerRef(),
      ingressRef: objectRef(['Ingress'], 'Ingress to clone (NGINX, Skipper)'),
      routeRef: objectRef(['ApisixRoute'], 'ApisixRoute to clone (APISIX)'),
      upstreamRef: objectRef(['Upstream'], 'Gloo Upstream to copy settings from', true),
      service: service(),
      analysis: analysisSchema('How a new revision is analysed'),
      progressDeadlineSeconds: int('Seconds a rollout may take to make progress (default 600)'),
      skipAnalysis: bool('Promote without analysis'),
      revertOnDeletion: bool('Accepted for compatibility: Davy always cleans up on deletion'),
      suspend: bool('Stop stepping this canary'),
    },
    { description: 'The desired state of a Canary', required: ['targetRef', 'analysis'] },
  );

export const canaryStatusSchema = (): Schema =>
  obj(
    {
      observedGeneration: int('The metadata.generation this status answers'),
      phase: enumOf(CANARY_PHASES, 'Analysis phase'),
      failedChecks: int('Failed checks in the current run'),
      canaryWeight: int('Traffic weight routed to the canary'),
      iterations: int('Completed iterations of the current run'),
      trackedConfigs: stringMap('Checksums of the ConfigMaps and Secrets the target uses'),
      lastAppliedSpec: str('Revision under analysis'),
      lastPromotedSpec: str('Revision the stable pods run'),
      lastTrackedRevision: str('Change fence of the target'),
      lastTransitionTime: { type: 'string', format: 'date-time' },
      sessionAffinityCookie: str(),
      primarySessionAffinityCookie: str(),
      previousSessionAffinityCookie: str(),
      conditions: arr(conditionSchema()),
    },
    { description: 'The observed state of a Canary, a projection of Davy\'s state annotation' },
  );

export const conditionSchema = (): Schema =>
  obj(
    {
      type: str(),
      status: str(),
      reason: str(),
      message: str(),
      lastUpdateTime: { type: 'string', format: 'date-time' },
      lastTransitionTime: { type: 'string', format: 'date-time' },
    },
    { required: ['type', 'status'] },
  );

/** The spec schema the validator checks (built once; the CRD builder makes its own copy). */
export const CANARY_SPEC_SCHEMA: Schema = canarySpecSchema();

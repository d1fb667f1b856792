// Invalid Canaries, one or more per rule. `fixture` is a valid manifest under test/fixtures/api.

import { AB_PROVIDER_LIST, DAVY_PROVIDER_LIST, long, type Doc, type InvalidCase } from './helpers.js';

const ISTIO = 'canary-istio.yaml';
const AB = 'canary-ab.yaml';
const NOT_OBJECT = 'must be a Kubernetes object (a mapping with apiVersion, kind, metadata and spec)';
const UNKNOWN = 'Forbidden: unknown field: not in the flagger.app/v1beta1 schema, the API server would drop it';
const DURATION = 'must be a duration such as "30s", "1m" or "1m30s" (units ns, us, ms, s, m, h)';
const DNS1123_LABEL = "must be a DNS-1123 label: lowercase letters, digits and '-', starting and ending with a letter or digit";
const DNS1035_LABEL = "must be a DNS-1035 label: lowercase letters, digits and '-', starting with a letter and ending with a letter or digit";
const SUBDOMAIN = "must be a DNS-1123 subdomain: lowercase letters, digits, '-' and '.', starting and ending with a letter or digit";
const TARGET_PORT = "must be a port number between 1 and 65535 or a port name (IANA_SVC_NAME: at most 15 lowercase letters, digits and '-', with at least one letter)";
const COOKIE = 'must be a valid cookie name: an RFC 6265 token, without spaces, control characters or separators such as ()<>@,;:\\"/[]?={}';
const URL = 'must be an absolute http or https URL';
const ATTRIBUTE = "must be printable ASCII without spaces or ';' (it goes into the Set-Cookie header as it is)";

const analysis = (d: Doc): Doc => d.spec.analysis as Doc;
const withoutWeights = (d: Doc): void => {
  delete analysis(d).stepWeight;
  delete analysis(d).maxWeight;
};

export const canaryCases: InvalidCase[] = [
  // the envelope
  { rule: 'apiVersion', when: 'the apiVersion is flagger.app/v1alpha3', fixture: ISTIO, mutate: (d) => (d.apiVersion = 'flagger.app/v1alpha3'), errors: ['apiVersion: Unsupported value: "flagger.app/v1alpha3": supported values: "flagger.app/v1beta1"'] },
  { rule: 'kind required', when: 'kind is missing', fixture: ISTIO, mutate: (d) => delete d.kind, errors: ['kind: Required value'] },
  { rule: 'unknownField', when: 'a top-level field is unknown', fixture: ISTIO, mutate: (d) => (d.specs = {}), errors: [`specs: ${UNKNOWN}`] },
  { rule: 'metadata.name required', when: 'metadata has no name', fixture: ISTIO, mutate: (d) => delete d.metadata.name, errors: ['metadata.name: Required value'] },
  { rule: 'metadata required', when: 'metadata is missing', fixture: ISTIO, mutate: (d) => delete d.metadata, errors: ['metadata: Required value'] },
  { rule: 'dns1123Label', when: 'the Canary name has capitals', fixture: ISTIO, mutate: (d) => (d.metadata.name = 'PodInfo'), errors: [`metadata.name: Invalid value: "PodInfo": ${DNS1123_LABEL}`] },
  {
    rule: 'nameTooLong',
    when: 'the Canary name leaves no room for -primary',
    fixture: ISTIO,
    mutate: (d) => (d.metadata.name = long(56)),
    errors: [`metadata.name: Too long: must be no more than 55 characters, so that "${long(56)}-primary" stays a valid name`],
  },
  { rule: 'spec required', when: 'spec is missing', fixture: ISTIO, mutate: (d) => delete d.spec, errors: ['spec: Required value'] },
  { rule: 'wrongType', when: 'spec is a string', fixture: ISTIO, mutate: (d) => (d.spec = 'x'), errors: ['spec: Invalid value: "x": must be an object'] },

  // structure
  { rule: 'unknownField', when: 'stepWeight is misspelt stepweight', fixture: ISTIO, mutate: (d) => (analysis(d).stepweight = 5), errors: [`spec.analysis.stepweight: ${UNKNOWN}`] },
  {
    rule: 'deprecatedAlias',
    when: 'the analysis is under canaryAnalysis',
    fixture: ISTIO,
    mutate: (d) => {
      d.spec.canaryAnalysis = d.spec.analysis;
      delete d.spec.analysis;
    },
    errors: ["spec.canaryAnalysis: Forbidden: canaryAnalysis is a deprecated alias that Flagger's schema drops: rename it to analysis", 'spec.analysis: Required value'],
  },
  { rule: 'wrongType', when: 'the service port is a string', fixture: ISTIO, mutate: (d) => (d.spec.service.port = '9898'), errors: ['spec.service.port: Invalid value: "9898": must be an integer'] },
  { rule: 'wrongType', when: 'skipAnalysis is "yes"', fixture: ISTIO, mutate: (d) => (d.spec.skipAnalysis = 'yes'), errors: ['spec.skipAnalysis: Invalid value: "yes": must be a boolean'] },
  { rule: 'wrongType', when: 'metrics is a mapping', fixture: ISTIO, mutate: (d) => (analysis(d).metrics = { a: 1 }), errors: ['spec.analysis.metrics: Invalid value: {"a":1}: must be a list'] },
  { rule: 'wrongType', when: 'targetPort is a boolean', fixture: ISTIO, mutate: (d) => (d.spec.service.targetPort = true), errors: ['spec.service.targetPort: Invalid value: true: must be an integer or a string'] },
  { rule: 'required (schema)', when: 'targetRef has no name', fixture: ISTIO, mutate: (d) => delete d.spec.targetRef.name, errors: ['spec.targetRef.name: Required value'] },
  { rule: 'required (schema)', when: 'targetRef is missing', fixture: ISTIO, mutate: (d) => delete d.spec.targetRef, errors: ['spec.targetRef: Required value'] },
  {
    rule: 'enum',
    when: 'a webhook type is unknown',
    fixture: ISTIO,
    mutate: (d) => (analysis(d).webhooks[0].type = 'pre'),
    errors: ['spec.analysis.webhooks[0].type: Unsupported value: "pre": supported values: "", "confirm-rollout", "pre-rollout", "rollout", "confirm-traffic-increase", "confirm-promotion", "post-rollout", "rollback", "event"'],
  },
  {
    rule: 'enum',
    when: 'an alert severity is critical',
    fixture: ISTIO,
    mutate: (d) => (analysis(d).alerts[0].severity = 'critical'),
    errors: ['spec.analysis.alerts[0].severity: Unsupported value: "critical": supported values: "", "info", "warn", "error"'],
  },
  { rule: 'enum', when: 'onNoData is skip', fixture: ISTIO, mutate: (d) => (analysis(d).metrics[2].onNoData = 'skip'), errors: ['spec.analysis.metrics[2].onNoData: Unsupported value: "skip": supported values: "fail", "hold", "pass"'] },
  {
    rule: 'tooManyItems',
    when: 'service.gatewayRefs has 33 entries',
    fixture: ISTIO,
    mutate: (d) => (d.spec.service.gatewayRefs = Array.from({ length: 33 }, (_, i) => ({ name: `g${i}` }))),
    errors: ['spec.service.gatewayRefs: Too long: must have at most 32 items'],
  },
  {
    rule: 'belowMinimum',
    when: 'primaryScalerReplicas.minReplicas is 0',
    fixture: ISTIO,
    mutate: (d) => (d.spec.autoscalerRef.primaryScalerReplicas = { minReplicas: 0 }),
    errors: ['spec.autoscalerRef.primaryScalerReplicas.minReplicas: Invalid value: 0: must be greater than or equal to 1'],
  },

  // provider
  { rule: 'unknown provider', when: 'the provider is foo', fixture: ISTIO, mutate: (d) => (d.spec.provider = 'foo'), errors: [`spec.provider: Unsupported value: "foo": supported values: ${DAVY_PROVIDER_LIST}`] },
  { rule: 'appmeshLegacy', when: 'the provider is appmesh (v1beta1)', fixture: ISTIO, mutate: (d) => (d.spec.provider = 'appmesh'), errors: [`spec.provider: Unsupported value: "appmesh": App Mesh's v1beta1 API (App Mesh controller v0.x) is not supported by Davy: use appmesh:v1beta2; supported values: ${DAVY_PROVIDER_LIST}`] },
  {
    rule: 'gatewayRefsRequired',
    when: 'the provider is gatewayapi:v1 and the service names no Gateway',
    fixture: ISTIO,
    mutate: (d) => (d.spec.provider = 'gatewayapi:v1'),
    errors: ['spec.service.gatewayRefs: Required value: Gateway API needs the Gateways the HTTPRoute attaches to (or routeRef, an existing HTTPRoute)'],
  },

  // target and autoscaler
  { rule: 'target kind', when: 'the target is a StatefulSet', fixture: ISTIO, mutate: (d) => (d.spec.targetRef.kind = 'StatefulSet'), errors: ['spec.targetRef.kind: Unsupported value: "StatefulSet": supported values: "Deployment", "DaemonSet"'] },
  {
    rule: 'notSupportedYet (target)',
    when: 'the target is a Service',
    fixture: ISTIO,
    mutate: (d) => {
      d.spec.targetRef = { apiVersion: 'v1', kind: 'Service', name: 'podinfo' };
      delete d.spec.autoscalerRef;
    },
    errors: ['spec.targetRef.kind: Unsupported value: "Service": not supported yet by Davy; supported values: "Deployment", "DaemonSet"'],
  },
  { rule: 'target apiVersion', when: 'the Deployment is apps/v1beta1', fixture: ISTIO, mutate: (d) => (d.spec.targetRef.apiVersion = 'apps/v1beta1'), errors: ['spec.targetRef.apiVersion: Unsupported value: "apps/v1beta1": supported values: "apps/v1"'] },
  { rule: 'dns1123Subdomain', when: 'the target name has an underscore', fixture: ISTIO, mutate: (d) => (d.spec.targetRef.name = 'pod_info'), errors: [`spec.targetRef.name: Invalid value: "pod_info": ${SUBDOMAIN}`] },
  {
    rule: 'serviceNameFromTarget',
    when: 'the target name starts with a digit and no service name is given',
    fixture: ISTIO,
    mutate: (d) => (d.spec.targetRef.name = '1podinfo'),
    errors: [`spec.targetRef.name: Invalid value: "1podinfo": ${DNS1035_LABEL} (the service name defaults to targetRef.name)`],
  },
  {
    rule: 'serviceNameFromTarget',
    when: 'the target name is too long to be a service name',
    fixture: ISTIO,
    mutate: (d) => (d.spec.targetRef.name = long(60)),
    errors: [`spec.targetRef.name: Too long: must be no more than 55 characters, so that "${long(60)}-primary" stays a valid name (the service name defaults to targetRef.name)`],
  },
  {
    rule: 'knativeTarget',
    when: 'provider knative targets a Deployment',
    fixture: ISTIO,
    mutate: (d) => { d.spec.provider = 'knative'; delete d.spec.autoscalerRef; },
    errors: ['spec.targetRef.kind: Invalid value: "Deployment": provider knative routes a Knative Service: targetRef must be apiVersion serving.knative.dev/v1, kind Service'],
  },
  {
    rule: 'knativeTarget (apiVersion)',
    when: 'provider knative targets a plain v1 Service',
    fixture: ISTIO,
    mutate: (d) => { d.spec.provider = 'knative'; delete d.spec.autoscalerRef; d.spec.targetRef = { apiVersion: 'v1', kind: 'Service', name: 'podinfo' }; },
    errors: ['spec.targetRef.apiVersion: Invalid value: "v1": provider knative routes a Knative Service: targetRef must be apiVersion serving.knative.dev/v1, kind Service'],
  },
  {
    rule: 'knativeProvider, knativeAutoscaler',
    when: 'a Knative Service target runs with istio and an HPA',
    fixture: ISTIO,
    mutate: (d) => (d.spec.targetRef = { apiVersion: 'serving.knative.dev/v1', kind: 'Service', name: 'podinfo' }),
    errors: [
      'spec.provider: Invalid value: "istio": a Knative Service target is routed by provider knative only (it is istio here)',
      'spec.autoscalerRef: Forbidden: Knative scales the revisions of a Knative Service itself',
    ],
  },
  { rule: 'daemonSetAutoscaler', when: 'a DaemonSet target has an autoscaler', fixture: ISTIO, mutate: (d) => (d.spec.targetRef.kind = 'DaemonSet'), errors: ['spec.autoscalerRef: Forbidden: a DaemonSet target cannot have an autoscaler'] },
  { rule: 'autoscaler apiVersion', when: 'the HPA is autoscaling/v2beta2', fixture: ISTIO, mutate: (d) => (d.spec.autoscalerRef.apiVersion = 'autoscaling/v2beta2'), errors: ['spec.autoscalerRef.apiVersion: Unsupported value: "autoscaling/v2beta2": supported values: "autoscaling/v2"'] },
  {
    rule: 'autoscaler apiVersion',
    when: 'the ScaledObject is keda.sh/v1',
    fixture: ISTIO,
    mutate: (d) => (d.spec.autoscalerRef = { apiVersion: 'keda.sh/v1', kind: 'ScaledObject', name: 'podinfo-so' }),
    errors: ['spec.autoscalerRef.apiVersion: Unsupported value: "keda.sh/v1": supported values: "keda.sh/v1alpha1"'],
  },
  {
    rule: 'autoscaler kind',
    when: 'the autoscaler is a VerticalPodAutoscaler',
    fixture: ISTIO,
    mutate: (d) => (d.spec.autoscalerRef.kind = 'VerticalPodAutoscaler'),
    errors: ['spec.autoscalerRef.kind: Unsupported value: "VerticalPodAutoscaler": supported values: "HorizontalPodAutoscaler", "ScaledObject"'],
  },
  {
    rule: 'scaledObjectOnly',
    when: 'an HPA autoscalerRef has primaryScalerQueries',
    fixture: ISTIO,
    mutate: (d) => (d.spec.autoscalerRef.primaryScalerQueries = { t: 'up' }),
    errors: ['spec.autoscalerRef.primaryScalerQueries: Forbidden: applies only to an autoscalerRef of kind ScaledObject'],
  },
  {
    rule: 'minAboveMax',
    when: 'primaryScalerReplicas.minReplicas exceeds maxReplicas',
    fixture: ISTIO,
    mutate: (d) => (d.spec.autoscalerRef.primaryScalerReplicas = { minReplicas: 5, maxReplicas: 2 }),
    errors: ['spec.autoscalerRef.primaryScalerReplicas.minReplicas: Invalid value: 5: must not exceed maxReplicas (2)'],
  },

  // service
  { rule: 'service required', when: 'the service is missing', fixture: ISTIO, mutate: (d) => delete d.spec.service, errors: ['spec.service: Required value'] },
  { rule: 'portRange', when: 'the service port is 0', fixture: ISTIO, mutate: (d) => (d.spec.service.port = 0), errors: ['spec.service.port: Invalid value: 0: must be between 1 and 65535, inclusive'] },
  { rule: 'portRange', when: 'the service port is 70000', fixture: ISTIO, mutate: (d) => (d.spec.service.port = 70000), errors: ['spec.service.port: Invalid value: 70000: must be between 1 and 65535, inclusive'] },
  { rule: 'targetPort', when: 'targetPort is 0', fixture: ISTIO, mutate: (d) => (d.spec.service.targetPort = 0), errors: [`spec.service.targetPort: Invalid value: 0: ${TARGET_PORT}`] },
  { rule: 'targetPort', when: 'targetPort is a name with capitals', fixture: ISTIO, mutate: (d) => (d.spec.service.targetPort = 'HTTP'), errors: [`spec.service.targetPort: Invalid value: "HTTP": ${TARGET_PORT}`] },
  { rule: 'targetPort', when: 'targetPort is the string "8080"', fixture: ISTIO, mutate: (d) => (d.spec.service.targetPort = '8080'), errors: [`spec.service.targetPort: Invalid value: "8080": ${TARGET_PORT}`] },
  { rule: 'dns1123Label', when: 'portName has an underscore', fixture: ISTIO, mutate: (d) => (d.spec.service.portName = 'http_1'), errors: [`spec.service.portName: Invalid value: "http_1": ${DNS1123_LABEL}`] },
  { rule: 'dns1035Label', when: 'the service name has capitals', fixture: ISTIO, mutate: (d) => (d.spec.service.name = 'Podinfo'), errors: [`spec.service.name: Invalid value: "Podinfo": ${DNS1035_LABEL}`] },
  {
    rule: 'nameTooLong',
    when: 'the service name leaves no room for -primary',
    fixture: ISTIO,
    mutate: (d) => (d.spec.service.name = long(56, 'b')),
    errors: [`spec.service.name: Too long: must be no more than 55 characters, so that "${long(56, 'b')}-primary" stays a valid name`],
  },
  { rule: 'duration', when: 'service.timeout has no unit', fixture: ISTIO, mutate: (d) => (d.spec.service.timeout = '5'), errors: [`spec.service.timeout: Invalid value: "5": ${DURATION}`] },
  { rule: 'duration', when: 'retries.perTryTimeout has a space', fixture: ISTIO, mutate: (d) => (d.spec.service.retries.perTryTimeout = '1 s'), errors: [`spec.service.retries.perTryTimeout: Invalid value: "1 s": ${DURATION}`] },
  {
    rule: 'delegationExclusive',
    when: 'a delegate VirtualService also sets hosts and gateways',
    fixture: ISTIO,
    mutate: (d) => (d.spec.service.delegation = true),
    errors: ['spec.service.hosts: Forbidden: must be empty when delegation is true', 'spec.service.gateways: Forbidden: must be empty when delegation is true'],
  },
  {
    rule: 'stringMatch',
    when: 'a service match uri sets exact and prefix',
    fixture: ISTIO,
    mutate: (d) => (d.spec.service.match = [{ uri: { exact: '/a', prefix: '/' } }]),
    errors: ['spec.service.match[0].uri: Invalid value: {"exact":"/a","prefix":"/"}: must set exactly one of exact, prefix, regex'],
  },

  // analysis: interval, threshold, strategy
  { rule: 'interval required', when: 'the analysis has no interval', fixture: ISTIO, mutate: (d) => delete analysis(d).interval, errors: ['spec.analysis.interval: Required value'] },
  { rule: 'duration', when: 'the interval is "1 minute"', fixture: ISTIO, mutate: (d) => (analysis(d).interval = '1 minute'), errors: [`spec.analysis.interval: Invalid value: "1 minute": ${DURATION}`] },
  { rule: 'durationPositive', when: 'the interval is 0s', fixture: ISTIO, mutate: (d) => (analysis(d).interval = '0s'), errors: ['spec.analysis.interval: Invalid value: "0s": must be a duration greater than zero'] },
  { rule: 'threshold required', when: 'the analysis has no threshold', fixture: ISTIO, mutate: (d) => delete analysis(d).threshold, errors: ['spec.analysis.threshold: Required value'] },
  { rule: 'thresholdMin', when: 'the threshold is 0', fixture: ISTIO, mutate: (d) => (analysis(d).threshold = 0), errors: ['spec.analysis.threshold: Invalid value: 0: must be at least 1'] },
  { rule: 'analysis required', when: 'the analysis is missing', fixture: ISTIO, mutate: (d) => delete d.spec.analysis, errors: ['spec.analysis: Required value'] },
  { rule: 'strategyRequired', when: 'none of iterations, stepWeight, stepWeights is set', fixture: ISTIO, mutate: (d) => delete analysis(d).stepWeight, errors: ['spec.analysis: Required value: must set one of iterations, stepWeight or stepWeights'] },
  {
    rule: 'strategyConflict',
    when: 'iterations and stepWeight are both set',
    fixture: ISTIO,
    mutate: (d) => (analysis(d).iterations = 10),
    errors: ['spec.analysis.stepWeight: Forbidden: may not be set together with iterations: iterations selects blue/green or A/B testing, stepWeight a weighted canary'],
  },
  {
    rule: 'strategyConflict',
    when: 'iterations and stepWeights are both set',
    fixture: AB,
    mutate: (d) => (analysis(d).stepWeights = [10, 20]),
    errors: ['spec.analysis.stepWeights: Forbidden: may not be set together with iterations: iterations selects blue/green or A/B testing, stepWeights a weighted canary'],
  },
  {
    rule: 'strategyConflict',
    when: 'stepWeight and stepWeights are both set',
    fixture: ISTIO,
    mutate: (d) => (analysis(d).stepWeights = [10, 50]),
    errors: ['spec.analysis.stepWeights: Forbidden: may not be set together with stepWeight: stepWeight and stepWeights are two ways to list the weights'],
  },
  { rule: 'mustBePositive', when: 'iterations is 0', fixture: ISTIO, mutate: (d) => { withoutWeights(d); analysis(d).iterations = 0; }, errors: ['spec.analysis.iterations: Invalid value: 0: must be greater than zero'] },

  // weights
  { rule: 'weightAboveMax', when: 'stepWeight exceeds maxWeight', fixture: ISTIO, mutate: (d) => (analysis(d).stepWeight = 60), errors: ['spec.analysis.stepWeight: Invalid value: 60: must not exceed maxWeight (50)'] },
  { rule: 'percentRange', when: 'stepWeight is 0', fixture: ISTIO, mutate: (d) => (analysis(d).stepWeight = 0), errors: ['spec.analysis.stepWeight: Invalid value: 0: must be between 1 and 100, inclusive'] },
  { rule: 'percentRange', when: 'maxWeight is 101', fixture: ISTIO, mutate: (d) => (analysis(d).maxWeight = 101), errors: ['spec.analysis.maxWeight: Invalid value: 101: must be between 1 and 100, inclusive'] },
  {
    rule: 'stepWeightsIncreasing',
    when: 'stepWeights repeats a weight',
    fixture: ISTIO,
    mutate: (d) => { withoutWeights(d); analysis(d).stepWeights = [10, 20, 20]; },
    errors: ['spec.analysis.stepWeights[2]: Invalid value: 20: must be greater than the previous step (20)'],
  },
  {
    rule: 'stepWeightsIncreasing',
    when: 'stepWeights goes down',
    fixture: ISTIO,
    mutate: (d) => { withoutWeights(d); analysis(d).stepWeights = [10, 50, 30]; },
    errors: ['spec.analysis.stepWeights[2]: Invalid value: 30: must be greater than the previous step (50)'],
  },
  { rule: 'percentRange', when: 'a step weight is 0', fixture: ISTIO, mutate: (d) => { withoutWeights(d); analysis(d).stepWeights = [0, 50]; }, errors: ['spec.analysis.stepWeights[0]: Invalid value: 0: must be between 1 and 100, inclusive'] },
  { rule: 'percentRange', when: 'a step weight is 150', fixture: ISTIO, mutate: (d) => { withoutWeights(d); analysis(d).stepWeights = [10, 150]; }, errors: ['spec.analysis.stepWeights[1]: Invalid value: 150: must be between 1 and 100, inclusive'] },
  { rule: 'stepWeightsEmpty', when: 'stepWeights is empty', fixture: ISTIO, mutate: (d) => { withoutWeights(d); analysis(d).stepWeights = []; }, errors: ['spec.analysis.stepWeights: Invalid value: []: must list at least one weight'] },
  {
    rule: 'maxWeightWithSteps',
    when: 'maxWeight differs from the last of stepWeights',
    fixture: ISTIO,
    mutate: (d) => { delete analysis(d).stepWeight; analysis(d).maxWeight = 80; analysis(d).stepWeights = [10, 50]; },
    errors: ['spec.analysis.maxWeight: Invalid value: 80: must equal the last of stepWeights (50) or be omitted: with stepWeights the last step is the maximum'],
  },
  { rule: 'percentRange', when: 'stepWeightPromotion is 101', fixture: ISTIO, mutate: (d) => (analysis(d).stepWeightPromotion = 101), errors: ['spec.analysis.stepWeightPromotion: Invalid value: 101: must be between 0 and 100, inclusive'] },
  {
    rule: 'promotionAboveMax',
    when: 'stepWeightPromotion exceeds maxWeight',
    fixture: ISTIO,
    mutate: (d) => (analysis(d).stepWeightPromotion = 60),
    errors: ["spec.analysis.stepWeightPromotion: Invalid value: 60: must not exceed maxWeight (50), the canary's weight when promotion starts"],
  },
  { rule: 'percentRange', when: 'primaryReadyThreshold is 150', fixture: ISTIO, mutate: (d) => (analysis(d).primaryReadyThreshold = 150), errors: ['spec.analysis.primaryReadyThreshold: Invalid value: 150: must be between 0 and 100, inclusive'] },
  { rule: 'percentRange', when: 'canaryReadyThreshold is -1', fixture: ISTIO, mutate: (d) => (analysis(d).canaryReadyThreshold = -1), errors: ['spec.analysis.canaryReadyThreshold: Invalid value: -1: must be between 0 and 100, inclusive'] },

  // what the provider can route
  {
    rule: 'providerCapability (mirror)',
    when: 'an OSM canary mirrors traffic',
    fixture: ISTIO,
    mutate: (d) => { d.spec.provider = 'osm'; analysis(d).mirror = true; },
    errors: ['spec.analysis.mirror: Forbidden: traffic mirroring is supported only by provider istio, gatewayapi:v1, gatewayapi:v1beta1; the canary runs with provider osm'],
  },
  { rule: 'mirrorWeightNeedsMirror', when: 'mirrorWeight is set without mirror', fixture: ISTIO, mutate: (d) => (analysis(d).mirrorWeight = 50), errors: ['spec.analysis.mirrorWeight: Forbidden: applies only when mirror is true'] },
  { rule: 'percentRange', when: 'mirrorWeight is 120', fixture: ISTIO, mutate: (d) => { analysis(d).mirror = true; analysis(d).mirrorWeight = 120; }, errors: ['spec.analysis.mirrorWeight: Invalid value: 120: must be between 0 and 100, inclusive'] },
  { rule: 'mirrorAB', when: 'an A/B test mirrors traffic', fixture: AB, mutate: (d) => (analysis(d).mirror = true), errors: ['spec.analysis.mirror: Forbidden: mirroring applies to weighted canaries and blue/green, not to A/B testing'] },
  {
    rule: 'providerCapability (match)',
    when: 'a Linkerd canary has A/B match conditions',
    fixture: AB,
    mutate: (d) => (d.spec.provider = 'linkerd'),
    errors: [`spec.analysis.match: Forbidden: A/B routing on match is supported only by provider ${AB_PROVIDER_LIST}; the canary runs with provider linkerd`],
  },
  {
    rule: 'providerCapability (match)',
    when: 'a kubernetes canary has A/B match conditions',
    fixture: AB,
    mutate: (d) => (d.spec.provider = 'kubernetes'),
    errors: [`spec.analysis.match: Forbidden: A/B routing on match is supported only by provider ${AB_PROVIDER_LIST}; the canary runs with provider kubernetes`],
  },
  {
    rule: 'matchNotRoutable',
    when: 'an nginx A/B canary matches a header by prefix',
    fixture: AB,
    mutate: (d) => {
      d.spec.provider = 'nginx';
      d.spec.ingressRef = { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', name: 'podinfo' };
      analysis(d).match = [{ headers: { 'x-canary': { prefix: 'insider' } } }];
    },
    errors: ['spec.analysis.match[0].headers.x-canary: Forbidden: nginx matches a header by exact, regex: the router cannot route on this condition, and dropping it would send requests meant for the stable pods to the copy'],
  },
  {
    rule: 'matchNeedsIterations',
    when: 'a weighted canary has match conditions',
    fixture: ISTIO,
    mutate: (d) => (analysis(d).match = [{ headers: { 'x-canary': { exact: 'insider' } } }]),
    errors: ['spec.analysis.match: Forbidden: A/B routing on match needs iterations; a weighted canary would ignore it'],
  },
  {
    rule: 'emptyMatch',
    when: 'an A/B match entry is empty',
    fixture: AB,
    mutate: (d) => (analysis(d).match[1] = {}),
    errors: ['spec.analysis.match[1]: Invalid value: {}: must set at least one of headers, queryParams or sourceLabels: an empty match selects every request'],
  },
  {
    rule: 'stringMatch',
    when: 'an A/B header match sets exact and regex',
    fixture: AB,
    mutate: (d) => (analysis(d).match[0].headers['x-canary'].regex = '.*'),
    errors: ['spec.analysis.match[0].headers[x-canary]: Invalid value: {"exact":"insider","regex":".*"}: must set exactly one of exact, prefix, suffix, regex'],
  },
  {
    rule: 'stringMatch + unknownField',
    when: 'an A/B query parameter match uses suffix',
    fixture: AB,
    mutate: (d) => (analysis(d).match[0].queryParams = { env: { suffix: 'x' } }),
    errors: [`spec.analysis.match[0].queryParams[env].suffix: ${UNKNOWN}`, 'spec.analysis.match[0].queryParams[env]: Invalid value: {"suffix":"x"}: must set exactly one of exact, prefix, regex'],
  },
  {
    rule: 'providerCapability (session affinity)',
    when: 'an OSM canary asks for session affinity',
    fixture: ISTIO,
    mutate: (d) => { d.spec.provider = 'osm'; delete d.spec.service.gateways; delete d.spec.service.retries; analysis(d).sessionAffinity = { cookieName: 'canary' }; },
    errors: ['spec.analysis.sessionAffinity: Forbidden: session affinity is supported only by provider istio, gatewayapi:v1, gatewayapi:v1beta1; the canary runs with provider osm'],
  },
  { rule: 'cookieName', when: 'the cookie name has a space', fixture: ISTIO, mutate: (d) => (analysis(d).sessionAffinity = { cookieName: 'my cookie' }), errors: [`spec.analysis.sessionAffinity.cookieName: Invalid value: "my cookie": ${COOKIE}`] },
  {
    rule: 'cookieName',
    when: 'the primary cookie name has a semicolon',
    fixture: ISTIO,
    mutate: (d) => (analysis(d).sessionAffinity = { cookieName: 'canary', primaryCookieName: 'a;b' }),
    errors: [`spec.analysis.sessionAffinity.primaryCookieName: Invalid value: "a;b": ${COOKIE}`],
  },
  {
    rule: 'cookieNamesEqual',
    when: 'primaryCookieName equals cookieName',
    fixture: ISTIO,
    mutate: (d) => (analysis(d).sessionAffinity = { cookieName: 'flagger', primaryCookieName: 'flagger' }),
    errors: ['spec.analysis.sessionAffinity.primaryCookieName: Invalid value: "flagger": must differ from cookieName'],
  },
  { rule: 'mustNotBeNegative', when: 'the cookie maxAge is negative', fixture: ISTIO, mutate: (d) => (analysis(d).sessionAffinity = { cookieName: 'c', maxAge: -1 }), errors: ['spec.analysis.sessionAffinity.maxAge: Invalid value: -1: must not be negative'] },
  {
    rule: 'cookieAttribute',
    when: 'the cookie domain and path would add attributes of their own',
    fixture: ISTIO,
    mutate: (d) => (analysis(d).sessionAffinity = { cookieName: 'c', domain: 'example.com; Secure', path: '/a;HttpOnly' }),
    errors: [
      `spec.analysis.sessionAffinity.domain: Invalid value: "example.com; Secure": ${ATTRIBUTE}`,
      `spec.analysis.sessionAffinity.path: Invalid value: "/a;HttpOnly": ${ATTRIBUTE}`,
    ],
  },
  { rule: 'required (schema)', when: 'sessionAffinity has no cookieName', fixture: ISTIO, mutate: (d) => (analysis(d).sessionAffinity = { maxAge: 60 }), errors: ['spec.analysis.sessionAffinity.cookieName: Required value'] },

  // metrics
  {
    rule: 'notBuiltinMetric',
    when: 'a builtin metric name is misspelt',
    fixture: ISTIO,
    mutate: (d) => (analysis(d).metrics[0].name = 'request-succes-rate'),
    errors: ['spec.analysis.metrics[0].name: Unsupported value: "request-succes-rate": not a builtin metric: a custom metric needs templateRef or query; supported values: "request-success-rate", "request-duration"'],
  },
  { rule: 'duplicate metric', when: 'two metrics share a name', fixture: ISTIO, mutate: (d) => (analysis(d).metrics[1].name = 'request-success-rate'), errors: ['spec.analysis.metrics[1].name: Duplicate value: "request-success-rate"'] },
  { rule: 'metric name required', when: 'a metric has no name', fixture: ISTIO, mutate: (d) => delete analysis(d).metrics[0].name, errors: ['spec.analysis.metrics[0].name: Required value'] },
  { rule: 'queryAndTemplate', when: 'a custom metric has both query and templateRef', fixture: ISTIO, mutate: (d) => (analysis(d).metrics[2].query = 'up'), errors: ['spec.analysis.metrics[2].query: Forbidden: may not be set together with templateRef'] },
  {
    rule: 'builtinWithQuery',
    when: 'a builtin metric has an inline query',
    fixture: ISTIO,
    mutate: (d) => (analysis(d).metrics[0].query = 'up'),
    errors: ['spec.analysis.metrics[0].query: Forbidden: request-success-rate is a builtin metric: give the metric another name to use your own query'],
  },
  {
    rule: 'builtinWithQuery',
    when: 'a builtin metric has a templateRef',
    fixture: ISTIO,
    mutate: (d) => (analysis(d).metrics[1].templateRef = { name: 'latency' }),
    errors: ['spec.analysis.metrics[1].templateRef: Forbidden: request-duration is a builtin metric: give the metric another name to use your own templateRef'],
  },
  { rule: 'rangeMinAboveMax', when: 'thresholdRange.min exceeds max', fixture: ISTIO, mutate: (d) => (analysis(d).metrics[2].thresholdRange = { min: 10, max: 5 }), errors: ['spec.analysis.metrics[2].thresholdRange.min: Invalid value: 10: must not exceed max (5)'] },
  { rule: 'thresholdAndRange', when: 'a metric has threshold and thresholdRange', fixture: ISTIO, mutate: (d) => (analysis(d).metrics[0].threshold = 99), errors: ['spec.analysis.metrics[0].threshold: Forbidden: may not be set together with thresholdRange'] },
  { rule: 'duration', when: 'a metric interval is 1x', fixture: ISTIO, mutate: (d) => (analysis(d).metrics[1].interval = '1x'), errors: [`spec.analysis.metrics[1].interval: Invalid value: "1x": ${DURATION}`] },
  {
    rule: 'emptyQuery',
    when: 'an inline query is blank',
    fixture: ISTIO,
    mutate: (d) => {
      analysis(d).metrics.push({ name: 'blank', query: '  ', thresholdRange: { max: 1 } });
    },
    errors: ['spec.analysis.metrics[3].query: Invalid value: "  ": must not be empty'],
  },
  {
    rule: 'templateUnknownVariable',
    when: 'an inline query uses {{ targt }}',
    fixture: ISTIO,
    mutate: (d) => {
      analysis(d).metrics.push({ name: 'custom', query: 'rate(x{app="{{ targt }}"}[1m])', thresholdRange: { max: 1 } });
    },
    errors: ['spec.analysis.metrics[3].query: Invalid value: "rate(x{app=\\"{{ targt }}\\"}[1m])": uses unknown template variable "targt" (known: name, namespace, target, service, ingress, route, interval, variables)'],
  },
  {
    rule: 'templateUnclosed',
    when: 'an inline query leaves {{ open',
    fixture: ISTIO,
    mutate: (d) => {
      analysis(d).metrics.push({ name: 'custom', query: 'x{{ target', thresholdRange: { max: 1 } });
    },
    errors: ['spec.analysis.metrics[3].query: Invalid value: "x{{ target": has an unclosed action "{{": every "{{" needs a matching "}}"'],
  },
  {
    rule: 'templateEmptyAction',
    when: 'an inline query has an empty action',
    fixture: ISTIO,
    mutate: (d) => {
      analysis(d).metrics.push({ name: 'custom', query: 'x{{ }}', thresholdRange: { max: 1 } });
    },
    errors: ['spec.analysis.metrics[3].query: Invalid value: "x{{ }}": has an empty action "{{}}"'],
  },
  {
    rule: 'templateMissingVariable',
    when: 'an inline query uses a variable templateVariables lacks',
    fixture: ISTIO,
    mutate: (d) => {
      analysis(d).metrics.push({ name: 'custom', query: 'x{dir="{{ variables.dir }}"}', thresholdRange: { max: 1 } });
    },
    errors: ['spec.analysis.metrics[3].query: Invalid value: "x{dir=\\"{{ variables.dir }}\\"}": uses variables.dir, which templateVariables does not define'],
  },
  { rule: 'dns1123Subdomain', when: 'a templateRef name has an underscore', fixture: ISTIO, mutate: (d) => (analysis(d).metrics[2].templateRef.name = 'error_rate'), errors: [`spec.analysis.metrics[2].templateRef.name: Invalid value: "error_rate": ${SUBDOMAIN}`] },
  { rule: 'dns1123Label', when: 'a templateRef namespace has capitals', fixture: ISTIO, mutate: (d) => (analysis(d).metrics[2].templateRef.namespace = 'Istio'), errors: [`spec.analysis.metrics[2].templateRef.namespace: Invalid value: "Istio": ${DNS1123_LABEL}`] },

  // webhooks
  { rule: 'url', when: 'a webhook URL is ftp', fixture: ISTIO, mutate: (d) => (analysis(d).webhooks[0].url = 'ftp://loadtester/'), errors: [`spec.analysis.webhooks[0].url: Invalid value: "ftp://loadtester/": ${URL}`] },
  { rule: 'url', when: 'a webhook URL has no scheme', fixture: ISTIO, mutate: (d) => (analysis(d).webhooks[1].url = 'flagger-loadtester.test/'), errors: [`spec.analysis.webhooks[1].url: Invalid value: "flagger-loadtester.test/": ${URL}`] },
  { rule: 'duration', when: 'a webhook timeout is abc', fixture: ISTIO, mutate: (d) => (analysis(d).webhooks[1].timeout = 'abc'), errors: [`spec.analysis.webhooks[1].timeout: Invalid value: "abc": ${DURATION}`] },
  { rule: 'mustNotBeNegative', when: 'webhook retries is -1', fixture: ISTIO, mutate: (d) => (analysis(d).webhooks[0].retries = -1), errors: ['spec.analysis.webhooks[0].retries: Invalid value: -1: must not be negative'] },
  { rule: 'duplicate webhook', when: 'two webhooks share a name', fixture: ISTIO, mutate: (d) => (analysis(d).webhooks[1].name = 'acceptance-test'), errors: ['spec.analysis.webhooks[1].name: Duplicate value: "acceptance-test"'] },
  { rule: 'required (schema)', when: 'a webhook has no url', fixture: ISTIO, mutate: (d) => delete analysis(d).webhooks[0].url, errors: ['spec.analysis.webhooks[0].url: Required value'] },

  // alerts
  { rule: 'required (schema)', when: 'an alert has no providerRef', fixture: ISTIO, mutate: (d) => delete analysis(d).alerts[0].providerRef, errors: ['spec.analysis.alerts[0].providerRef: Required value'] },
  { rule: 'dns1123Subdomain', when: 'an alert providerRef name has a space', fixture: ISTIO, mutate: (d) => (analysis(d).alerts[0].providerRef.name = 'on call'), errors: [`spec.analysis.alerts[0].providerRef.name: Invalid value: "on call": ${SUBDOMAIN}`] },
  {
    rule: 'duplicate alert',
    when: 'two alerts share a name',
    fixture: ISTIO,
    mutate: (d) => {
      analysis(d).alerts.push({ name: 'on-call', severity: 'info', providerRef: { name: 'slack' } });
    },
    errors: ['spec.analysis.alerts[1].name: Duplicate value: "on-call"'],
  },

  // scalars
  { rule: 'mustBePositive', when: 'progressDeadlineSeconds is 0', fixture: ISTIO, mutate: (d) => (d.spec.progressDeadlineSeconds = 0), errors: ['spec.progressDeadlineSeconds: Invalid value: 0: must be greater than zero'] },
  { rule: 'url', when: 'metricsServer has no scheme', fixture: ISTIO, mutate: (d) => (d.spec.metricsServer = 'prometheus:9090'), errors: [`spec.metricsServer: Invalid value: "prometheus:9090": ${URL}`] },
];

/** Non-object documents, for validateResource. */
export const notObjectCases: { when: string; value: unknown; error: string }[] = [
  { when: 'the document is a string', value: 'hello', error: `<root>: Invalid value: "string": ${NOT_OBJECT}` },
  { when: 'the document is null', value: null, error: `<root>: Invalid value: null: ${NOT_OBJECT}` },
  { when: 'the document is a list', value: [1, 2], error: `<root>: Invalid value: "list": ${NOT_OBJECT}` },
  { when: 'the document is a number', value: 42, error: `<root>: Invalid value: "number": ${NOT_OBJECT}` },
];

// Every validation message Davy prints, as named templates (Argo Rollouts keeps its messages as
// constants; fastify documents one message per code). `{name}` placeholders are filled by
// render(). docs/validation.md lists the same keys and texts; a unit test keeps them in sync.
// The templates are the `detail` of a FieldError; formatFieldError adds path, type and value.

export const MESSAGES = {
  // structure (the CRD schema, checked offline too)
  internalError: 'the validator failed on this input ({error}); please report it',
  notAnObject: 'must be a Kubernetes object (a mapping with apiVersion, kind, metadata and spec)',
  wrongType: 'must be {expected}',
  unknownField: 'unknown field: not in the flagger.app/v1beta1 schema, the API server would drop it',
  belowMinimum: 'must be greater than or equal to {minimum}',
  aboveMaximum: 'must be less than or equal to {maximum}',
  tooManyItems: 'must have at most {maxItems} items',
  deprecatedAlias: 'canaryAnalysis is a deprecated alias that Flagger\'s schema drops: rename it to analysis',

  // names and references
  dns1123Label: 'must be a DNS-1123 label: lowercase letters, digits and \'-\', starting and ending with a letter or digit',
  dns1123Subdomain: 'must be a DNS-1123 subdomain: lowercase letters, digits, \'-\' and \'.\', starting and ending with a letter or digit',
  dns1035Label: 'must be a DNS-1035 label: lowercase letters, digits and \'-\', starting with a letter and ending with a letter or digit',
  nameTooLong: 'must be no more than {max} characters, so that {derived} stays a valid name',
  serviceNameFromTarget: '{rule} (the service name defaults to targetRef.name)',

  // the Canary's provider and target
  notSupportedYet: 'not supported yet by Davy',
  appmeshLegacy: 'App Mesh\'s v1beta1 API (App Mesh controller v0.x) is not supported by Davy: use appmesh:v1beta2',
  daemonSetAutoscaler: 'a DaemonSet target cannot have an autoscaler',
  knativeTarget: 'provider knative routes a Knative Service: targetRef must be apiVersion serving.knative.dev/v1, kind Service',
  knativeProvider: 'a Knative Service target is routed by provider knative only (it is {provider} here)',
  knativeAutoscaler: 'Knative scales the revisions of a Knative Service itself',
  routerRefRequired: 'the {provider} router reads it',
  scaledObjectOnly: 'applies only to an autoscalerRef of kind ScaledObject',
  minAboveMax: 'must not exceed {maxField} ({max})',
  mustBePositive: 'must be greater than zero',
  mustNotBeNegative: 'must not be negative',

  // service
  portRange: 'must be between 1 and 65535, inclusive',
  targetPort: 'must be a port number between 1 and 65535 or a port name (IANA_SVC_NAME: at most 15 lowercase letters, digits and \'-\', with at least one letter)',
  delegationExclusive: 'must be empty when delegation is true',

  // Gateway API (gatewayapi:v1, gatewayapi:v1beta1)
  gatewayRefsRequired: 'Gateway API needs the Gateways the HTTPRoute attaches to (or routeRef, an existing HTTPRoute)',
  gatewayKind: 'must be a kind: a letter, then letters, digits and \'-\', at most 63 characters',
  hostname: 'must be a hostname as an HTTPRoute takes it: a DNS-1123 subdomain, optionally starting with "*.", not an IP address',
  httpRouteMatch: 'an HTTPRoute cannot express this match',
  notInHttpRoute: 'an HTTPRoute match has no such field: the match would be dropped',
  servicePortRequired: 'a Service backendRef needs a port (the HTTPRoute CRD refuses it otherwise)',
  corsOriginPatterns: 'Gateway API CORS takes plain origins, not patterns: use allowOrigin',
  routeRefKeepsRoute: 'must be empty when routeRef is set: the referenced HTTPRoute keeps its own parentRefs, hostnames, matches, filters and timeouts, and Davy changes only its weights',
  routeRefWeightsOnly: '{feature} needs rules of Davy\'s own, and with routeRef Davy changes only the weights of the referenced HTTPRoute',

  // durations
  duration: 'must be a duration such as "30s", "1m" or "1m30s" (units ns, us, ms, s, m, h)',
  durationPositive: 'must be a duration greater than zero',

  // analysis and strategy
  strategyRequired: 'must set one of iterations, stepWeight or stepWeights',
  strategyConflict: 'may not be set together with {other}: {reason}',
  iterationsVersusWeights: 'iterations selects blue/green or A/B testing, {field} a weighted canary',
  stepWeightVersusSteps: 'stepWeight and stepWeights are two ways to list the weights',
  thresholdMin: 'must be at least 1',
  percentRange: 'must be between {min} and 100, inclusive',
  weightAboveMax: 'must not exceed maxWeight ({maxWeight})',
  stepWeightsEmpty: 'must list at least one weight',
  stepWeightsIncreasing: 'must be greater than the previous step ({previous})',
  maxWeightWithSteps: 'must equal the last of stepWeights ({last}) or be omitted: with stepWeights the last step is the maximum',
  promotionAboveMax: 'must not exceed maxWeight ({maxWeight}), the canary\'s weight when promotion starts',
  providerCapability: '{feature} is supported only by provider {providers}; the canary runs with provider {provider}',
  matchNeedsIterations: 'A/B routing on match needs iterations; a weighted canary would ignore it',
  matchNotRoutable: '{reason}: the router cannot route on this condition, and dropping it would send requests meant for the stable pods to the copy',
  emptyMatch: 'must set at least one of headers, queryParams or sourceLabels: an empty match selects every request',
  stringMatch: 'must set exactly one of {options}',
  mirrorWeightNeedsMirror: 'applies only when mirror is true',
  mirrorAB: 'mirroring applies to weighted canaries and blue/green, not to A/B testing',
  affinityRouteRef: 'session affinity adds routing rules, and Davy changes only the weights of the HTTPRoute that spec.service.routeRef names: remove one of the two',

  // metrics
  notBuiltinMetric: 'not a builtin metric: a custom metric needs templateRef or query',
  builtinWithQuery: '{name} is a builtin metric: give the metric another name to use your own {field}',
  queryAndTemplate: 'may not be set together with templateRef',
  thresholdAndRange: 'may not be set together with thresholdRange',
  rangeMinAboveMax: 'must not exceed max ({max})',
  emptyQuery: 'must not be empty',
  templateUnclosed: 'has an unclosed action "{{": every "{{" needs a matching "}}"',
  templateEmptyAction: 'has an empty action "{{}}"',
  templateUnknownVariable: 'uses unknown template variable "{variable}" (known: {known})',
  templateMissingVariable: 'uses variables.{key}, which templateVariables does not define',

  // webhooks and alerts
  url: 'must be an absolute http or https URL',
  cookieName: 'must be a valid cookie name: an RFC 6265 token, without spaces, control characters or separators such as ()<>@,;:\\"/[]?={}',
  cookieAttribute: 'must be printable ASCII without spaces or \';\' (it goes into the Set-Cookie header as it is)',
  cookieNamesEqual: 'must differ from cookieName',

  // MetricTemplate and AlertProvider
  addressOrSecret: 'must set one of address or secretRef',
  addressAndSecret: 'may not be set together with secretRef: the Secret\'s address would override it',
  channelEmpty: 'must not be empty',

  metricProviderAddress: 'the {type} provider needs an address',
  metricProviderSecret: 'the {type} provider needs a secretRef: a Secret with {keys}',
  metricProviderRegion: 'the {type} provider needs a region',

  // cluster checks
  notFound: 'no {kind} of that name in namespace {namespace}',
  targetTaken: 'Canary {other} already targets {kind} {name}: two canaries on one workload would fight over it',
  nameCollision: '{kind} {name} already exists and is not managed by this Canary: Davy creates it for {purpose}',
  templateNotShared: 'MetricTemplate {name} of namespace {namespace} is not shared with namespace {canaryNamespace}: a template serves other namespaces only where its davy.dev/shared-with annotation names them (or is "*")',
} as const;

export type MessageKey = keyof typeof MESSAGES;

export const WARNINGS = {
  longAnalysis: 'spec.analysis: the analysis takes at least {duration} ({steps} steps every {interval}), more than 30 minutes',
  manySteps: 'spec.analysis: {steps} steps is more than 50; each step waits a whole interval',
  onePercentStep: 'spec.analysis.stepWeight: steps of 1% need {steps} intervals to reach maxWeight {maxWeight}',
  notMultiple: 'spec.analysis.maxWeight: {maxWeight} is not a multiple of stepWeight {stepWeight}: the last step goes to {maxWeight} (Flagger would go to {overshoot})',
  shortInterval: 'spec.analysis.interval: {interval} is below 10s: Davy steps every 10s, as Flagger does',
  primaryScalerQueries: 'spec.autoscalerRef.primaryScalerQueries: accepted for compatibility and not used: Davy leaves the stable workload to your own ScaledObject, and copies it (queries rewritten) for the canary',
  primaryScalerReplicas: 'spec.autoscalerRef.primaryScalerReplicas: accepted for compatibility and not used: Davy leaves the stable workload to your own autoscaler, and copies it for the canary',
  kubernetesWeights: 'spec.analysis: provider kubernetes cannot split traffic: this canary runs blue/green with {iterations} iterations, as in Flagger',
  kubernetesPromotion: 'spec.analysis.stepWeightPromotion: ignored with provider kubernetes, which cannot split traffic',
  affinityNotWeighted: 'spec.analysis.sessionAffinity: applies to weighted canaries; with {strategy} no cookie is set',
  maxWeightIgnored: 'spec.analysis.maxWeight: ignored with iterations (blue/green or A/B testing)',
  deprecatedThreshold: '{path}.threshold: deprecated, use thresholdRange (a minimum for request-success-rate, a maximum otherwise)',
  deprecatedQuery: '{path}.query: deprecated, use a MetricTemplate and templateRef; Davy runs it against metricsServer',
  noThreshold: '{path}: no threshold and no thresholdRange: the check always passes and its value is only recorded',
  revertOnDeletion: 'spec.revertOnDeletion: accepted for compatibility: Davy always removes its objects and releases its hold when a Canary is deleted',
  emptySeverity: '{path}.severity: empty: Davy sends info and above (Flagger would send nothing)',
  ignoredByProvider: '{path}: ignored by provider {provider} (used by {providers})',
  trafficIncreaseHook: '{path}: confirm-traffic-increase hooks run only in a weighted canary; this {strategy} analysis never calls it',
  secretNotChecked: '{path}: Secret {name} is not looked up at admission (the webhook may not read Secrets); the stepper reports it when it is missing',
  hookTimeouts: 'spec.analysis.webhooks: rollout hooks may take {total} together, longer than the interval {interval}',
  addressNotAllowed: '{path}: {reason}: the stepper will not call it, and this check fails until the address or the policy changes',
  alertAddressNotAllowed: '{path}: {reason}: the stepper will not post alerts through this AlertProvider until the address or the policy changes',
  templateNotSharedYet: '{path}: MetricTemplate {name} of namespace {namespace} is not shared with namespace {canaryNamespace}: this check fails, and the canary cannot be promoted on it, until the template\'s davy.dev/shared-with annotation names {canaryNamespace} (or is "*")',
} as const;

export type WarningKey = keyof typeof WARNINGS;

export type MessageParams = Record<string, string | number>;

/** Fills `{name}` placeholders; unknown placeholders are left as written. */
export function render(template: string, params: MessageParams = {}): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => (name in params ? String(params[name]) : whole));
}

export const message = (key: MessageKey, params?: MessageParams): string => render(MESSAGES[key], params);
export const warning = (key: WarningKey, params?: MessageParams): string => render(WARNINGS[key], params);

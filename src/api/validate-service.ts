// spec.service: ports, names Davy derives services from, durations, Istio matches, and a warning
// for every routing field the canary's provider does not read.

import { FieldPath } from './field-errors.js';
import { isPortName, looksLikeDns1123Subdomain } from './names.js';
import type { ProviderName } from './providers.js';
import { checkDuration, checkLabel, checkServiceName, checkStringMatch, checkStringMatchMap } from './validate-common.js';
import { asArray, asInteger, asRecord, asString, isSet, type CanaryContext, type Json, type Report } from './validate-context.js';

const SERVICE = FieldPath.root('spec').child('service');
const ISTIO_MATCH = ['exact', 'prefix', 'regex'] as const;

/** The routers that read each service field (flagger-compat.md §1.2); others ignore it. */
const FIELD_READERS: Record<string, readonly ProviderName[]> = {
  gateways: ['istio', 'smi:v1alpha1', 'smi:v1alpha2', 'smi:v1alpha3'],
  delegation: ['istio'],
  trafficPolicy: ['istio'],
  corsPolicy: ['istio', 'gatewayapi:v1'],
  headers: ['istio', 'gatewayapi:v1', 'gatewayapi:v1beta1'],
  rewrite: ['istio', 'gatewayapi:v1', 'gatewayapi:v1beta1'],
  retries: ['istio', 'contour', 'appmesh', 'appmesh:v1beta2'],
  match: ['istio', 'gatewayapi:v1', 'gatewayapi:v1beta1', 'contour', 'appmesh', 'appmesh:v1beta2'],
  timeout: ['istio', 'contour', 'appmesh', 'appmesh:v1beta2', 'gatewayapi:v1'],
  backendTimeout: ['gatewayapi:v1'],
  gatewayRefs: ['gatewayapi:v1', 'gatewayapi:v1beta1'],
  routeRef: ['gatewayapi:v1', 'gatewayapi:v1beta1'],
  mirror: ['gatewayapi:v1', 'gatewayapi:v1beta1'],
  meshName: ['appmesh'],
  backends: ['appmesh', 'appmesh:v1beta2'],
};

export function warnIgnoredByProvider(ctx: CanaryContext, path: FieldPath, readers: readonly ProviderName[]): void {
  if (ctx.provider && !readers.includes(ctx.provider)) {
    ctx.report.warn('ignoredByProvider', { path: path.toString(), provider: ctx.provider, providers: readers.join(', ') });
  }
}

function checkPorts(service: Json, report: Report): void {
  const port = asInteger(service.port);
  if (port !== undefined && (port < 1 || port > 65535)) report.invalid(SERVICE.child('port'), port, 'portRange');
  const target = service.targetPort;
  const path = SERVICE.child('targetPort');
  if (Number.isInteger(target) && ((target as number) < 1 || (target as number) > 65535)) report.invalid(path, target, 'targetPort');
  if (typeof target === 'string' && !isPortName(target)) report.invalid(path, target, 'targetPort');
  checkLabel(service.portName, SERVICE.child('portName'), report);
}

function checkMatches(service: Json, report: Report): void {
  (asArray(service.match) ?? []).forEach((item, i) => {
    const match = asRecord(item);
    if (!match) return;
    const path = SERVICE.child('match').index(i);
    for (const field of ['uri', 'scheme', 'method', 'authority']) checkStringMatch(match[field], path.child(field), report, ISTIO_MATCH);
    for (const field of ['headers', 'queryParams', 'withoutHeaders']) checkStringMatchMap(match[field], path.child(field), report, ISTIO_MATCH);
  });
}

export function checkService(ctx: CanaryContext): void {
  const { spec, report } = ctx;
  if (!isSet(spec.service)) {
    // Knative routes between revisions of the Knative Service: no Kubernetes Service is written.
    if (ctx.provider !== 'knative') report.required(SERVICE);
    return;
  }
  const service = asRecord(spec.service);
  if (!service) return;
  checkPorts(service, report);
  const explicitName = asString(service.name);
  const targetName = asString(asRecord(spec.targetRef)?.name);
  if (explicitName) checkServiceName(explicitName, SERVICE.child('name'), report, false);
  // An invalid target name is reported once, by the targetRef check.
  else if (targetName && looksLikeDns1123Subdomain(targetName)) checkServiceName(targetName, FieldPath.root('spec').child('targetRef').child('name'), report, true);
  checkDuration(service.timeout, SERVICE.child('timeout'), report);
  checkDuration(service.backendTimeout, SERVICE.child('backendTimeout'), report);
  checkDuration(asRecord(service.retries)?.perTryTimeout, SERVICE.child('retries').child('perTryTimeout'), report);
  if (service.delegation === true) {
    for (const field of ['hosts', 'gateways']) {
      if ((asArray(service[field]) ?? []).length > 0) report.forbidden(SERVICE.child(field), 'delegationExclusive');
    }
  }
  checkMatches(service, report);
  for (const [field, readers] of Object.entries(FIELD_READERS)) {
    const value = service[field];
    const present = Array.isArray(value) ? value.length > 0 : isSet(value) && value !== false;
    if (present) warnIgnoredByProvider(ctx, SERVICE.child(field), readers);
  }
}

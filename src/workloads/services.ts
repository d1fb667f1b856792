// The Kubernetes Services of a canary (flagger-compat §1.2, §5.1): `<svc>-primary` selects the
// stable pods, `<svc>-canary` the copy's, and the apex `<svc>` is what clients call.
//
// The apex is created when missing. An apex that already exists and is not Davy's is ADOPTED, not
// taken over: only its selector label (set to the stable pods' value, or to the copy's during a
// kubernetes blue/green switch) and missing ports are changed; its type, clusterIP, nodePorts,
// other ports, other selector keys, labels and annotations stay the user's. What Davy changed is
// recorded on the Service itself (the `davy.dev/adopted` annotation: the original selector and the
// names of the ports Davy added), so finalize restores exactly that, even from another process.
import { effectiveService, type EffectiveService } from '../api/defaults.js';
import type { ProviderName } from '../api/providers.js';
import type { Canary, CanaryService } from '../api/types.js';
import {
  adoptionRecord, conflictOf, mergeMetadata, ownedMetadata, ownershipOf, releasedMetadata, selectorLabel, sideSelector,
  withAdoptionRecord, withoutAdoptionRecord, type SelectorLabel,
} from './meta.js';
import { fail, failed, ok, type Result } from './result.js';
import type { PodTemplate, Service, ServicePort, ServiceSpec, Workload } from './types.js';

export type ApexSide = 'primary' | 'canary';
const MAX_SERVICE_NAME = 63;
const PROXY_CONTAINERS = ['istio-proxy', 'envoy', 'linkerd-proxy'];

export interface ExistingServices {
  apex?: Service | undefined;
  primary?: Service | undefined;
  canary?: Service | undefined;
}

export interface DesiredService {
  object: Service;
  /** The existing Service cannot become `object` in place (headless <-> ClusterIP): delete it, then create. */
  recreate: boolean;
}

export interface DesiredServices {
  apex: DesiredService;
  primary: DesiredService;
  canary: DesiredService;
}

export interface ServiceOptions {
  provider: ProviderName;
  /** The pods the apex selects; unset keeps the side it selects now (the stable side when new). */
  apexSide?: ApexSide | undefined;
}

/** What Davy changed on an adopted apex. */
export interface AdoptedApex {
  selector: Record<string, string>;
  /** Names of the ports Davy added. */
  ports: string[];
}

export function buildServices(canary: Canary, target: Workload, existing: ExistingServices, options: ServiceOptions): Result<DesiredServices> {
  const svc = effectiveService(canary.spec, options.provider);
  if (svc.primaryName.length > MAX_SERVICE_NAME) {
    return fail('NameTooLong', `spec.service.name: Service name ${JSON.stringify(svc.primaryName)} would exceed ${MAX_SERVICE_NAME} characters`);
  }
  const found = selectorLabel(target);
  if (!found.ok) return failed(found);
  const label = found.value;
  const spec = canary.spec.service ?? { port: svc.port };
  const ports = desiredPorts(spec, svc, target.spec?.template);
  const stable = sideSelector(target.spec?.selector, label, label.value);
  const copy = sideSelector(target.spec?.selector, label, label.canaryValue);
  const build = (name: string, selector: Record<string, string>, side: 'apex' | 'primary' | 'canary', current: Service | undefined) =>
    ownedService(canary, { name, selector, ports, spec, label, custom: spec[side] }, current);

  const conflict = conflictOf(canary, existing.primary) ?? conflictOf(canary, existing.canary) ?? conflictOf(canary, existing.apex);
  if (conflict) return conflict;
  const primary = build(svc.primaryName, stable, 'primary', existing.primary);
  const canaryService = build(svc.canaryName, copy, 'canary', existing.canary);
  const side = options.apexSide ?? (existing.apex && apexSide(existing.apex, label)) ?? 'primary';
  const apexSelector = side === 'canary' ? copy : stable;
  if (!existing.apex) return ok({ apex: build(svc.name, apexSelector, 'apex', undefined), primary, canary: canaryService });
  if (ownershipOf(existing.apex, canary).kind === 'ours') return ok({ apex: build(svc.name, apexSelector, 'apex', existing.apex), primary, canary: canaryService });
  const adopted = adoptApex(canary, existing.apex, label, side === 'canary' ? label.canaryValue : label.value, ports);
  if (!adopted.ok) return failed(adopted);
  return ok({ apex: { object: adopted.value, recreate: false }, primary, canary: canaryService });
}

/** Which side the apex selects now, by its selector label; undefined when neither. */
export function apexSide(apex: Service, label: SelectorLabel): ApexSide | undefined {
  const value = apex.spec?.selector?.[label.key];
  if (value === label.canaryValue) return 'canary';
  if (value === label.value) return 'primary';
  return undefined;
}

/**
 * The apex as Davy leaves it when a Canary goes: an adopted apex gets back its own selector and
 * loses the ports Davy added; an apex Davy created is released to the user (not deleted: clients
 * call it), selecting the stable pods (`stableSelector`, when known). Undefined when it is not Davy's to touch.
 */
export function finalApex(canary: Canary, apex: Service, stableSelector: Record<string, string> | undefined): Service | undefined {
  const owner = ownershipOf(apex, canary);
  if (owner.kind === 'adopted') {
    const record = adoptionRecord<AdoptedApex>(apex);
    const original = record?.original ?? { selector: apex.spec?.selector ?? {}, ports: [] };
    const ports = (apex.spec?.ports ?? []).filter((p) => !original.ports.includes(p.name ?? ''));
    return { ...apex, metadata: withoutAdoptionRecord(apex.metadata), spec: { ...apex.spec, selector: original.selector, ports } };
  }
  if (owner.kind !== 'ours') return undefined;
  return {
    ...apex,
    metadata: releasedMetadata(apex.metadata, canary),
    spec: { ...apex.spec, ...(stableSelector ? { selector: stableSelector } : {}) },
  };
}

interface OwnedServiceInput {
  name: string;
  selector: Record<string, string>;
  ports: ServicePort[];
  spec: CanaryService;
  label: SelectorLabel;
  custom: { labels?: Record<string, string>; annotations?: Record<string, string> } | undefined;
}

function ownedService(canary: Canary, input: OwnedServiceInput, existing: Service | undefined): DesiredService {
  const headless = input.spec.headless === true;
  const recreate = existing !== undefined && (existing.spec?.clusterIP === 'None') !== headless;
  const current = recreate ? undefined : existing;
  const desiredMeta = ownedMetadata(canary, input.name, {
    labels: { [input.label.key]: input.name, ...(input.custom?.labels ?? {}) },
    annotations: input.custom?.annotations ?? {},
  });
  const next: ServiceSpec = current ? { ...current.spec } : { type: 'ClusterIP' };
  next.selector = input.selector;
  next.ports = keepNodePorts(input.ports, current?.spec?.ports);
  if (input.spec.trafficDistribution) next.trafficDistribution = input.spec.trafficDistribution;
  else delete next.trafficDistribution;
  if (headless && !current) next.clusterIP = 'None';
  const metadata = current ? mergeMetadata(current.metadata, desiredMeta, { ...(input.spec.unmanagedMetadata ? { unmanaged: input.spec.unmanagedMetadata } : {}) }) : desiredMeta;
  return { object: { apiVersion: 'v1', kind: 'Service', metadata, spec: next }, recreate };
}

function adoptApex(canary: Canary, apex: Service, label: SelectorLabel, value: string, desired: ServicePort[]): Result<Service> {
  const original = adoptionRecord<AdoptedApex>(apex)?.original ?? { selector: { ...(apex.spec?.selector ?? {}) }, ports: [] };
  const current = apex.spec?.ports ?? [];
  const missing = desired.filter((d) => !current.some((c) => c.port === d.port && (c.protocol ?? 'TCP') === (d.protocol ?? 'TCP')));
  const name = `${apex.metadata.namespace ?? ''}/${apex.metadata.name ?? ''}`;
  if (missing.length && current.some((c) => !c.name)) {
    return fail('ObjectConflict', `Service ${name}: Davy must add port ${missing.map((p) => p.port).join(', ')} and a Service with several ports needs a name on each; name its ports or add the port yourself`);
  }
  const added: ServicePort[] = [];
  for (const port of missing) {
    const taken = (n: string | undefined) => [...current, ...added].some((c) => c.name === n);
    const portName = taken(port.name) ? `${port.name ?? 'tcp'}-${port.port}` : port.name;
    if (taken(portName)) return fail('ObjectConflict', `Service ${name}: no free name for port ${port.port}`);
    added.push({ ...port, name: portName });
  }
  const record = { canary: canary.metadata.name ?? '', original: { selector: original.selector, ports: [...new Set([...original.ports, ...added.map((p) => p.name ?? '')])] } };
  return ok({
    ...apex,
    metadata: withAdoptionRecord(apex.metadata, record),
    spec: { ...apex.spec, selector: { ...(apex.spec?.selector ?? {}), [label.key]: value }, ports: [...current, ...added] },
  });
}

/** The service port, then with portDiscovery every other container port (flagger-compat §1.2). */
function desiredPorts(spec: CanaryService, svc: EffectiveService, template: PodTemplate | undefined): ServicePort[] {
  const main: ServicePort = {
    name: svc.portName,
    port: svc.port,
    targetPort: svc.targetPort,
    protocol: 'TCP',
    ...(spec.appProtocol ? { appProtocol: spec.appProtocol } : {}),
  };
  const ports = [main];
  if (spec.portDiscovery !== true) return ports;
  for (const container of template?.spec?.containers ?? []) {
    if (PROXY_CONTAINERS.includes(container.name)) continue;
    (container.ports ?? []).forEach((p, index) => {
      const isTarget = typeof svc.targetPort === 'number' ? p.containerPort === svc.targetPort : p.name === svc.targetPort;
      const name = p.name || `tcp-${container.name}-${index}`;
      const protocol = p.protocol ?? 'TCP';
      const clash = ports.some((q) => q.name === name || (q.port === p.containerPort && q.protocol === protocol));
      if (!isTarget && !clash) ports.push({ name, port: p.containerPort, targetPort: p.containerPort, protocol });
    });
  }
  return ports;
}

/** NodePorts the API server allocated stay as they are (matched by name, else by port and protocol). */
function keepNodePorts(desired: ServicePort[], existing: ServicePort[] | undefined): ServicePort[] {
  return desired.map((port) => {
    const old = existing?.find((e) => e.name === port.name) ?? existing?.find((e) => e.port === port.port && (e.protocol ?? 'TCP') === port.protocol);
    return old?.nodePort ? { ...port, nodePort: old.nodePort } : port;
  });
}

// How a kind maps to its REST resource. The kinds Davy touches are known up front, so a pass
// costs no discovery requests; anything else is discovered once and cached.

export interface Resource {
  /** `/api/v1` or `/apis/<group>/<version>` */
  base: string;
  plural: string;
  namespaced: boolean;
}

const KNOWN: Record<string, Record<string, [plural: string, namespaced: boolean]>> = {
  v1: {
    Pod: ['pods', true], Service: ['services', true], ConfigMap: ['configmaps', true], Secret: ['secrets', true],
    Event: ['events', true], ServiceAccount: ['serviceaccounts', true], Endpoints: ['endpoints', true],
    Namespace: ['namespaces', false], Node: ['nodes', false],
  },
  'apps/v1': {
    Deployment: ['deployments', true], DaemonSet: ['daemonsets', true], ReplicaSet: ['replicasets', true],
    StatefulSet: ['statefulsets', true],
  },
  'autoscaling/v2': { HorizontalPodAutoscaler: ['horizontalpodautoscalers', true] },
  'keda.sh/v1alpha1': { ScaledObject: ['scaledobjects', true] },
  'flagger.app/v1beta1': { Canary: ['canaries', true], MetricTemplate: ['metrictemplates', true], AlertProvider: ['alertproviders', true] },
  'networking.istio.io/v1beta1': { VirtualService: ['virtualservices', true], DestinationRule: ['destinationrules', true] },
  'networking.istio.io/v1': { VirtualService: ['virtualservices', true], DestinationRule: ['destinationrules', true] },
  'split.smi-spec.io/v1alpha1': { TrafficSplit: ['trafficsplits', true] },
  'split.smi-spec.io/v1alpha2': { TrafficSplit: ['trafficsplits', true] },
  'split.smi-spec.io/v1alpha3': { TrafficSplit: ['trafficsplits', true] },
  'gateway.networking.k8s.io/v1': { HTTPRoute: ['httproutes', true] },
  'gateway.networking.k8s.io/v1beta1': { HTTPRoute: ['httproutes', true] },
  // The routers' objects (src/routers): known, so a pass costs no discovery; TrafficRoute is cluster-scoped.
  'networking.k8s.io/v1': { Ingress: ['ingresses', true] },
  'projectcontour.io/v1': { HTTPProxy: ['httpproxies', true] },
  'traefik.io/v1alpha1': { TraefikService: ['traefikservices', true] },
  'gloo.solo.io/v1': { Upstream: ['upstreams', true] },
  'gateway.solo.io/v1': { RouteTable: ['routetables', true] },
  'kuma.io/v1alpha1': { TrafficRoute: ['trafficroutes', false] },
  'apisix.apache.org/v2': { ApisixRoute: ['apisixroutes', true] },
  'appmesh.k8s.aws/v1beta2': { VirtualNode: ['virtualnodes', true], VirtualRouter: ['virtualrouters', true], VirtualService: ['virtualservices', true] },
  'events.k8s.io/v1': { Event: ['events', true] },
  'batch/v1': { Job: ['jobs', true], CronJob: ['cronjobs', true] },
  'policy/v1': { PodDisruptionBudget: ['poddisruptionbudgets', true] },
  'coordination.k8s.io/v1': { Lease: ['leases', true] },
  'rbac.authorization.k8s.io/v1': {
    Role: ['roles', true], RoleBinding: ['rolebindings', true],
    ClusterRole: ['clusterroles', false], ClusterRoleBinding: ['clusterrolebindings', false],
  },
  'admissionregistration.k8s.io/v1': {
    MutatingWebhookConfiguration: ['mutatingwebhookconfigurations', false],
    ValidatingWebhookConfiguration: ['validatingwebhookconfigurations', false],
  },
  'apiextensions.k8s.io/v1': { CustomResourceDefinition: ['customresourcedefinitions', false] },
};

export const apiBase = (apiVersion: string): string => (apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`);

export function knownResource(apiVersion: string, kind: string): Resource | undefined {
  const entry = KNOWN[apiVersion]?.[kind];
  return entry && { base: apiBase(apiVersion), plural: entry[0], namespaced: entry[1] };
}

/** Reads a discovery document (`GET /apis/<group>/<version>`) for one kind. */
export function resourceFromDiscovery(apiVersion: string, kind: string, doc: unknown): Resource | undefined {
  const list = (doc as { resources?: { name: string; kind: string; namespaced: boolean }[] }).resources ?? [];
  const found = list.find((r) => r.kind === kind && !r.name.includes('/'));
  return found && { base: apiBase(apiVersion), plural: found.name, namespaced: found.namespaced };
}

export function resourcePath(resource: Resource, namespace: string | undefined, name?: string, subresource?: string): string {
  const ns = resource.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  const tail = [name && `/${encodeURIComponent(name)}`, subresource && `/${subresource}`].filter(Boolean).join('');
  return `${resource.base}${ns}/${resource.plural}${tail}`;
}

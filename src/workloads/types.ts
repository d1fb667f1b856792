// The parts of the Kubernetes kinds that the builders read and write. Only src/kube may import
// @kubernetes/client-node, so these are Davy's own narrow shapes; unknown fields pass through.
import type { KubeObject } from '../kube/client.js';

export interface LabelSelectorRequirement {
  key: string;
  operator: string;
  values?: string[];
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

export interface KeyRef {
  name?: string;
  key?: string;
  optional?: boolean;
}

export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { configMapKeyRef?: KeyRef; secretKeyRef?: KeyRef; [key: string]: unknown };
}

export interface EnvFromSource {
  prefix?: string;
  configMapRef?: { name?: string; optional?: boolean };
  secretRef?: { name?: string; optional?: boolean };
}

export interface ContainerPort {
  name?: string;
  containerPort: number;
  protocol?: string;
}

export interface Container {
  name: string;
  ports?: ContainerPort[];
  env?: EnvVar[];
  envFrom?: EnvFromSource[];
  [key: string]: unknown;
}

export interface VolumeProjection {
  configMap?: { name?: string; optional?: boolean; [key: string]: unknown };
  secret?: { name?: string; optional?: boolean; [key: string]: unknown };
  [key: string]: unknown;
}

export interface Volume {
  name: string;
  configMap?: { name?: string; optional?: boolean; [key: string]: unknown };
  secret?: { secretName?: string; optional?: boolean; [key: string]: unknown };
  projected?: { sources?: VolumeProjection[]; [key: string]: unknown };
  [key: string]: unknown;
}

export interface PodSpec {
  containers?: Container[];
  initContainers?: Container[];
  volumes?: Volume[];
  nodeSelector?: Record<string, string>;
  [key: string]: unknown;
}

export interface PodTemplate {
  metadata?: { labels?: Record<string, string>; annotations?: Record<string, string>; [key: string]: unknown };
  spec?: PodSpec;
}

export interface DeploymentSpec {
  replicas?: number;
  selector?: LabelSelector;
  template?: PodTemplate;
  paused?: boolean;
  [key: string]: unknown;
}

export interface DaemonSetSpec {
  selector?: LabelSelector;
  template?: PodTemplate;
  updateStrategy?: { type?: string; rollingUpdate?: Record<string, unknown> };
  [key: string]: unknown;
}

export interface Deployment extends KubeObject {
  kind: 'Deployment';
  spec?: DeploymentSpec;
}

export interface DaemonSet extends KubeObject {
  kind: 'DaemonSet';
  spec?: DaemonSetSpec;
}

export type Workload = Deployment | DaemonSet;

export const isWorkload = (object: KubeObject | undefined): object is Workload =>
  object?.kind === 'Deployment' || object?.kind === 'DaemonSet';

export interface ServicePort {
  name?: string;
  port: number;
  targetPort?: number | string;
  protocol?: string;
  appProtocol?: string;
  nodePort?: number;
}

export interface ServiceSpec {
  type?: string;
  selector?: Record<string, string>;
  ports?: ServicePort[];
  clusterIP?: string;
  clusterIPs?: string[];
  trafficDistribution?: string;
  [key: string]: unknown;
}

export interface Service extends KubeObject {
  kind: 'Service';
  spec?: ServiceSpec;
}

export interface HorizontalPodAutoscaler extends KubeObject {
  kind: 'HorizontalPodAutoscaler';
  spec?: {
    scaleTargetRef?: { apiVersion?: string; kind?: string; name?: string };
    minReplicas?: number;
    maxReplicas?: number;
    [key: string]: unknown;
  };
}

export interface ScaledObjectTrigger {
  type?: string;
  name?: string;
  metadata?: Record<string, string>;
  [key: string]: unknown;
}

export interface ScaledObject extends KubeObject {
  kind: 'ScaledObject';
  spec?: {
    scaleTargetRef?: { apiVersion?: string; kind?: string; name?: string; [key: string]: unknown };
    triggers?: ScaledObjectTrigger[];
    advanced?: { horizontalPodAutoscalerConfig?: { name?: string; [key: string]: unknown }; [key: string]: unknown };
    [key: string]: unknown;
  };
}

export type Autoscaler = HorizontalPodAutoscaler | ScaledObject;

/** ConfigMaps and Secrets as config tracking reads them. */
export interface ConfigObject extends KubeObject {
  type?: string;
  data?: Record<string, string>;
  binaryData?: Record<string, string>;
}

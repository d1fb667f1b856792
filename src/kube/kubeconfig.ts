// client-node's full kubeconfig loading, for the commands that read contexts and users (davy
// status and the imperative actions); NodeKubeClient itself does without it (credentials.ts).
import { KubeConfig } from '@kubernetes/client-node';

export function loadKubeConfig(path?: string): KubeConfig {
  const config = new KubeConfig();
  if (path) config.loadFromFile(path);
  else config.loadFromDefault();
  return config;
}

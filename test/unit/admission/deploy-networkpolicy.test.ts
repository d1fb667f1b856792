// deploy/webhook/base's NetworkPolicy admits exactly the ports the webhook's Deployment serves on,
// for the pods the Deployment runs, and is part of the kustomization.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { parse as parseYaml } from 'yaml';

const BASE = fileURLToPath(new URL('../../../deploy/webhook/base/', import.meta.url));
const load = <T>(file: string): T => parseYaml(readFileSync(join(BASE, file), 'utf8')) as T;

interface Deployment {
  spec: { template: { metadata: { labels: Record<string, string> }; spec: { containers: { ports: { containerPort: number }[] }[] } } };
}
interface NetworkPolicy {
  spec: { podSelector: { matchLabels: Record<string, string> }; policyTypes: string[]; ingress: { from?: unknown; ports: { port: number; protocol: string }[] }[] };
}

describe('deploy/webhook/base NetworkPolicy', () => {
  it('when read with the Deployment, then it selects the webhook\'s pods and admits their two ports and nothing else', () => {
    const deployment = load<Deployment>('deployment.yaml');
    const policy = load<NetworkPolicy>('networkpolicy.yaml');
    const labels = deployment.spec.template.metadata.labels;
    for (const [key, value] of Object.entries(policy.spec.podSelector.matchLabels)) expect(labels[key], key).to.equal(value);
    expect(policy.spec.policyTypes).to.deep.equal(['Ingress']);
    const served = deployment.spec.template.spec.containers.flatMap((c) => c.ports.map((p) => p.containerPort)).sort();
    const admitted = policy.spec.ingress.flatMap((rule) => rule.ports.map((p) => p.port)).sort();
    expect(admitted).to.deep.equal(served);
    expect(load<{ resources: string[] }>('kustomization.yaml').resources).to.include('networkpolicy.yaml');
  });
});

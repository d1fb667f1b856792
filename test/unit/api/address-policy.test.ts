// The address policy for hook URLs and MetricTemplate addresses (issue 11): the default keeps
// Flagger's tutorials' in-cluster addresses, refuses IP addresses (cloud metadata, the apiserver)
// and outside hosts, and asks about `<name>.<namespace>`, which is in-cluster only if the Service exists.
import { expect } from 'chai';
import { decideAddress, parseAddressPolicy, type AddressPolicy } from '../../../src/api/address-policy.js';

const policy = (text: string): AddressPolicy => {
  const parsed = parseAddressPolicy(text);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.policy;
};

describe('address policy', () => {
  const cluster = policy('cluster');

  it('when the default meets the addresses of Flagger\'s tutorials, then in-cluster names pass and name.namespace asks for the Service', () => {
    expect(decideAddress(cluster, 'http://flagger-loadtester/')).to.deep.equal({ verdict: 'allowed' });
    expect(decideAddress(cluster, 'http://prometheus.istio-system.svc.cluster.local:9090')).to.deep.equal({ verdict: 'allowed' });
    expect(decideAddress(cluster, 'http://podinfo-canary.test.svc:9898/token')).to.deep.equal({ verdict: 'allowed' });
    expect(decideAddress(cluster, 'http://flagger-loadtester.test/')).to.deep.equal({ verdict: 'ifService', name: 'flagger-loadtester', namespace: 'test' });
    expect(decideAddress(cluster, 'http://prometheus.istio-system:9090')).to.deep.equal({ verdict: 'ifService', name: 'prometheus', namespace: 'istio-system' });
  });

  it('when the default meets an IP address, an outside host or garbage, then it is refused with the reason', () => {
    expect(decideAddress(cluster, 'http://169.254.169.254/latest/meta-data/')).to.deep.equal({ verdict: 'refused', reason: 'host 169.254.169.254 is not allowed by the stepper\'s --allowed-hosts (cluster)' });
    expect(decideAddress(cluster, 'https://[::1]:6443/')).to.have.property('verdict', 'refused');
    expect(decideAddress(cluster, 'https://hooks.example.com/x')).to.deep.equal({ verdict: 'refused', reason: 'host hooks.example.com is not allowed by the stepper\'s --allowed-hosts (cluster)' });
    expect(decideAddress(cluster, 'http://kubernetes.default.svc.evil.com/')).to.have.property('verdict', 'refused');
    expect(decideAddress(cluster, 'not a url')).to.deep.equal({ verdict: 'refused', reason: '"not a url" is not a URL' });
  });

  it('when the operator lists hosts and domains, then exactly those pass, and * turns the policy off', () => {
    const listed = policy('*.example.com, 10.0.0.7');
    expect(decideAddress(listed, 'https://hooks.example.com/x')).to.deep.equal({ verdict: 'allowed' });
    expect(decideAddress(listed, 'https://example.com/x')).to.have.property('verdict', 'refused');
    expect(decideAddress(listed, 'https://badexample.com/x')).to.have.property('verdict', 'refused');
    expect(decideAddress(listed, 'http://10.0.0.7:8080/')).to.deep.equal({ verdict: 'allowed' });
    expect(decideAddress(listed, 'http://flagger-loadtester/'), 'no cluster entry').to.have.property('verdict', 'refused');
    expect(decideAddress(policy('*'), 'http://169.254.169.254/')).to.deep.equal({ verdict: 'allowed' });
  });

  it('when an entry is not a host, a domain, cluster or *, then the policy is refused', () => {
    expect(parseAddressPolicy('cluster,http://x')).to.deep.equal({ ok: false, error: '"http://x" is not cluster, a host name, *.domain, an IP address or *' });
    expect(parseAddressPolicy('')).to.have.property('ok', false);
  });
});

// The operator's --allowed-hosts in a pass (issue 11): a hook URL or a MetricTemplate address the
// policy refuses is never called; its check fails with the reason, so the canary rolls back
// rather than being promoted. `<name>.<namespace>` is called only when that Service exists.
import { expect } from 'chai';
import { parseAddressPolicy } from '../../../src/api/address-policy.js';
import type { KubeObject } from '../../../src/kube/client.js';
import { addressGuard, guardedCaller, serviceExistsIn } from '../../../src/runner/address-guard.js';
import { editCanary, events, passUntil, phaseIs, setImage, world, type World } from './world.js';

function guarded(text = 'cluster'): World {
  const w = world('podinfo-canary-keda-bluegreen', 'podinfo-deployment', 'podinfo-scaledobject');
  const parsed = parseAddressPolicy(text);
  if (!parsed.ok) throw new Error(parsed.error);
  const guard = addressGuard(parsed.policy, serviceExistsIn(w.kube));
  w.deps.webhooks = guardedCaller(w.deps.webhooks, guard);
  w.deps.addressGuard = guard;
  return w;
}

async function release(w: World): Promise<void> {
  await passUntil(w, phaseIs('Initialized'), 20);
  await setImage(w, 'ghcr.io/stefanprodan/podinfo:6.0.1');
  await passUntil(w, (x) => phaseIs('Succeeded')(x) || phaseIs('Failed')(x), 200);
}

const loadTester: KubeObject = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'flagger-loadtester', namespace: 'test' }, spec: { ports: [{ port: 80 }] } };

describe('runner: the address policy', function () {
  this.timeout(60_000);

  it('when a hook names name.namespace and no such Service exists, then it is not called, its check fails with the reason, and the canary rolls back', async () => {
    const w = guarded();
    await release(w);
    expect(phaseIs('Failed')(w)).to.equal(true);
    expect(w.hookCalls.filter((c) => c.hook.name === 'load-test')).to.deep.equal([]);
    expect(events(w)).to.include(
      'Halt podinfo.test advancement external check load-test failed not called: host flagger-loadtester.test names no Service flagger-loadtester ' +
      'in namespace test, so it would resolve outside the cluster, which the stepper\'s --allowed-hosts (cluster) does not allow',
    );
  });

  it('when that Service exists, then the hook is called and the canary is promoted', async () => {
    const w = guarded();
    w.kube.seed(loadTester);
    await release(w);
    expect(phaseIs('Succeeded')(w)).to.equal(true);
    expect(w.hookCalls.filter((c) => c.hook.name === 'load-test').length).to.be.greaterThan(0);
  });

  it('when a MetricTemplate names an address outside the policy, then no query is sent (its missing Secret is not even looked up), and the check fails with the reason', async () => {
    const w = guarded();
    w.kube.seed(loadTester, {
      apiVersion: 'flagger.app/v1beta1', kind: 'MetricTemplate', metadata: { name: 'metadata', namespace: 'test' },
      spec: { provider: { type: 'prometheus', address: 'http://169.254.169.254/', secretRef: { name: 'creds' } }, query: 'up' },
    });
    await editCanary(w, (c) => c.spec.analysis!.metrics!.push({ name: 'metadata', templateRef: { name: 'metadata' }, thresholdRange: { min: 1 }, interval: '1m' }));
    await release(w);
    expect(phaseIs('Failed')(w)).to.equal(true);
    expect(w.metric.configs.map((c) => c.address)).to.not.include('http://169.254.169.254/');
    expect(events(w).join('\n')).to.include('provider address not called: host 169.254.169.254 is not allowed by the stepper\'s --allowed-hosts (cluster)');
  });

  it('when the policy is *, then every address is called as before', async () => {
    const w = guarded('*');
    await release(w);
    expect(phaseIs('Succeeded')(w)).to.equal(true);
  });
});

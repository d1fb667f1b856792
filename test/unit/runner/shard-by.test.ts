// --shard-by namespace: a namespace's canaries share one shard, so a shard lists only the
// namespaces it owns (the 10,000-canary bench found canary sharding has every shard list every
// namespace: reads multiply by the shard count).
import { expect } from 'chai';
import type { KubeClient, KubeObject } from '../../../src/kube/client.js';
import { runPass, shardOf } from '../../../src/runner/index.js';
import { parseStepConfig } from '../../../src/config/step.js';
import { canary as loadCanary, load } from '../../fixtures/routers/index.js';
import { world, type World } from './world.js';

function seedNamespace(w: World, namespace: string): void {
  const canary = loadCanary('podinfo-canary-osm') as unknown as KubeObject;
  canary.metadata = { ...canary.metadata, namespace, uid: `uid-${namespace}` };
  w.kube.seed(canary, ...load('podinfo-deployment').map((o) => ({ ...o, metadata: { ...o.metadata, namespace } })));
}

describe('runner: shards by namespace', () => {
  it('when --shard-by namespace, then every canary of a namespace is in the namespace\'s shard', () => {
    for (const ns of ['a', 'b', 'c', 'test', 'other']) {
      const shards = new Set(['app-1', 'app-2', 'podinfo', 'x'].map((name) => shardOf(ns, name, 3, 'namespace')));
      expect([...shards], ns).to.have.length(1);
    }
    // By canary (the default) the same names spread over the shards.
    const spread = new Set(Array.from({ length: 40 }, (_, i) => shardOf('a', `app-${i}`, 3)));
    expect(spread.size).to.equal(3);
  });

  it('when a pass runs one shard by namespace, then it lists only that shard\'s namespaces and steps only their canaries', async () => {
    const w = world();
    const namespaces = ['test', 'a', 'b', 'c', 'd', 'e'];
    for (const ns of namespaces.slice(1)) seedNamespace(w, ns);
    const mine = shardOf('test', '', 2, 'namespace');
    const owned = namespaces.filter((ns) => shardOf(ns, '', 2, 'namespace') === mine);
    expect(owned.length).to.be.within(1, namespaces.length - 1); // both shards own some: the test can tell them apart
    const listed = new Set<string>();
    const kube = {
      ...w.deps.kube,
      list: ((apiVersion, kind, namespace, options) => {
        if (kind !== 'Canary' && namespace) listed.add(namespace);
        return w.deps.kube.list(apiVersion, kind, namespace, options);
      }) as KubeClient['list'],
    };
    const report = await runPass({ ...w.deps, kube }, { shard: { index: mine, count: 2, by: 'namespace' } });
    expect(report.canaries.map((c) => c.namespace).sort()).to.deep.equal([...owned].sort());
    expect([...listed].sort()).to.deep.equal([...owned].sort());
  });

  it('when --shard-by is given, then it must be canary or namespace, and go with --shard', () => {
    const parse = (args: string[]) => {
      const r = parseStepConfig(['--once', ...args], {});
      return r.ok ? r.config.shard : !r.help && r.error;
    };
    expect(parse(['--shard', '1/4', '--shard-by', 'namespace'])).to.deep.equal({ index: 1, count: 4, by: 'namespace' });
    expect(parse(['--shard', '1/4', '--shard-by', 'canary'])).to.deep.equal({ index: 1, count: 4 });
    expect(parse(['--shard', '1/4', '--shard-by', 'pod'])).to.equal('--shard-by: must be canary or namespace, got "pod"');
    expect(parse(['--shard-by', 'namespace'])).to.equal('--shard-by: only with --shard');
  });
});

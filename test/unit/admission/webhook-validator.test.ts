// The /validate function `davy webhook` wires: the pure validator, then cluster checks.
import { expect } from 'chai';
import type { ClusterLookup, ClusterObjectRef } from '../../../src/api/cluster-checks.js';
import { webhookValidator } from '../../../src/cli/webhook.js';
import { fixtureRequest } from '../../fixtures/admission/index.js';

/** A cluster with nothing in it, recording what was looked up. */
function emptyCluster(): ClusterLookup & { gets: ClusterObjectRef[] } {
  const gets: ClusterObjectRef[] = [];
  return {
    gets,
    get: (ref) => {
      gets.push(ref);
      return Promise.resolve(undefined);
    },
    list: () => Promise.resolve({ items: [] }),
  };
}

describe('webhook validator wiring', () => {
  it('when there is no cluster, then only the pure validator speaks', async () => {
    const request = fixtureRequest('canary-create');
    expect((await webhookValidator(undefined)(request.object!, request)).errors).to.deep.equal([]);
  });

  it('when the cluster lacks the target, then the cluster check reports it, looked up in the request namespace', async () => {
    const request = fixtureRequest('canary-create');
    const cluster = emptyCluster();
    const result = await webhookValidator(cluster)(request.object!, request);
    expect(result.errors.map((e) => e.path)).to.include('spec.targetRef.name');
    expect(cluster.gets.some((ref) => ref.kind === 'Deployment' && ref.name === 'podinfo' && ref.namespace === 'test')).to.equal(true);
  });

  it('when the spec is invalid on its own, then the cluster is not consulted', async () => {
    const request = fixtureRequest('canary-create');
    (request.object!.spec as Record<string, unknown>).targetRef = 7;
    const cluster = emptyCluster();
    const result = await webhookValidator(cluster)(request.object!, request);
    expect(result.errors).to.not.deep.equal([]);
    expect(cluster.gets).to.deep.equal([]);
  });
});

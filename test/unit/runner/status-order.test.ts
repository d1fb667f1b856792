// When the status moves: after the step's targets are applied, so that a client waiting for a
// phase (kubectl wait, Flux's health checks, a CI script) finds the cluster already there. The
// state still goes first (crash safety); events and outbox calls come after the status.
import { expect } from 'chai';
import type { KubeObject } from '../../../src/kube/client.js';
import { canaryOf, canaryWeightOf, passUntil, phaseIs, setImage, splitWeight, tap, world, type World, type WriteVerb } from './world.js';

/** Each write of the runner, in order: `verb Kind`, with the phase of a status and the canary weight of a TrafficSplit. */
function recordWrites(w: World, refuse?: (verb: WriteVerb, kind: string) => Error | undefined): string[] {
  const log: string[] = [];
  const describe = (verb: WriteVerb, object: KubeObject | undefined, kind: string): string => {
    if (verb === 'replaceStatus') return `${verb} ${kind} ${String((object?.status as { phase?: string } | undefined)?.phase)}`;
    if (kind === 'TrafficSplit') return `${verb} ${kind} ${canaryWeightOf(object)}`;
    return `${verb} ${kind}`;
  };
  w.deps = {
    ...w.deps,
    kube: tap(w.kube, {
      ...(refuse ? { before: (verb, ref) => refuse(verb, ref.kind) } : {}),
      after: (verb, object, ref) => {
        log.push(describe(verb, object, ref.kind));
        return undefined;
      },
    }),
  };
  return log;
}

/** The OSM tutorial's canary at its first weight, then failing every check. */
async function failing(): Promise<World> {
  const w = world();
  await passUntil(w, phaseIs('Initialized'), 20);
  await setImage(w, 'ghcr.io/stefanprodan/podinfo:6.0.1');
  await passUntil(w, (x) => (splitWeight(x) ?? 0) > 0, 50);
  w.metric.answer = (query) => (query.includes('histogram_quantile') ? undefined : { kind: 'ok', value: 60 });
  return w;
}

describe('runner: the status follows the cluster', () => {
  it('when a canary rolls back, then its status turns Failed after the traffic went back and the copy was scaled down, and before the Event', async () => {
    const w = await failing();
    const log = recordWrites(w);
    await passUntil(w, phaseIs('Failed'), 200);
    const failed = log.indexOf('replaceStatus Canary Failed');
    expect(failed, log.join('\n')).to.be.above(-1);
    const rollback = log.slice(log.lastIndexOf('replace Canary', failed));
    expect(rollback.slice(0, 4), log.join('\n')).to.deep.equal(['replace Canary', 'replace TrafficSplit 0', 'patch Deployment', 'replaceStatus Canary Failed']);
    expect(rollback.length, log.join('\n')).to.be.above(4);
    expect(new Set(rollback.slice(4)), log.join('\n')).to.deep.equal(new Set(['create Event']));
  });

  it('when the traffic cannot go back, then the status stays Progressing until a pass has moved it, and then turns Failed', async () => {
    const w = await failing();
    let refusals = 0;
    const log = recordWrites(w, (verb, kind) => {
      if (kind !== 'TrafficSplit' || refusals >= 2) return undefined;
      refusals += 1;
      return new Error('the API server is unavailable');
    });
    await passUntil(w, (x) => x.kube.objects('Event').some((e) => String(e.message).startsWith('Rolling back')), 200);
    expect(canaryOf(w)!.status?.phase).to.equal('Progressing');
    expect(splitWeight(w)).to.be.above(0);
    await passUntil(w, (x) => canaryOf(x)!.status?.phase === 'Failed', 20);
    expect(refusals).to.equal(2);
    expect(splitWeight(w)).to.equal(0);
    const statuses = log.filter((l) => l.startsWith('replaceStatus'));
    expect(statuses.at(-1)).to.equal('replaceStatus Canary Failed');
    expect(log.indexOf('replace TrafficSplit 0')).to.be.below(log.indexOf('replaceStatus Canary Failed'));
  });
});

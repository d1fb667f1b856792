// Flux's view of a live Canary: the real kstatus library (test/kstatus) over the Canary as the API
// server returns it, through a release that promotes and one that is aborted. It must say
// InProgress while analysing, Current after promotion and Failed after the rollback. The OSM
// tutorial's objects in a namespace of their own, with a one-step ladder (50%) to keep it short.
import { execFileSync } from 'node:child_process';
import { expect } from 'chai';
import { e2e } from './hooks.js';
import { Scenario, example, type CanaryObject } from './scenario.js';
import { davyCli, eventually } from '../harness/process.js';
import type { KubeObject } from '../../src/kube/client.js';
import { kstatusBinary, kstatusOf, type KstatusStatus } from '../support/kstatus.js';

const NAMESPACE = 'kstatus';
const HEALTHY = { requestsPerSecond: 20, successRate: 1, latencyMs: 40 };

interface Sample {
  phase: string;
  verdict: KstatusStatus;
  generation?: number;
  observedGeneration?: number;
}

/** The tutorial's objects moved into NAMESPACE (their names intact). */
const inNamespace = (objects: KubeObject[]): KubeObject[] =>
  objects.map((o) => ({ ...o, metadata: { ...o.metadata, namespace: NAMESPACE } }));

describe('kstatus (Flux health checks) over a live Canary', function () {
  this.timeout(600_000);
  const scenario = new Scenario(NAMESPACE, 'podinfo');
  const samples: Sample[] = [];
  const setImage = (tag: string) => e2e().cluster.kubectlOk(['-n', NAMESPACE, 'set', 'image', 'deployment/podinfo', `podinfod=ghcr.io/stefanprodan/podinfo:${tag}`]);

  /** kstatus's verdict on the Canary now, recorded. */
  async function sample(): Promise<Sample> {
    const canary = await scenario.canary() as CanaryObject & { status?: { observedGeneration?: number } };
    const [verdict] = kstatusOf([canary]);
    const taken: Sample = {
      phase: canary.status?.phase ?? '',
      verdict: verdict!.status,
      ...(canary.metadata.generation === undefined ? {} : { generation: canary.metadata.generation }),
      ...(canary.status?.observedGeneration === undefined ? {} : { observedGeneration: canary.status.observedGeneration }),
    };
    samples.push(taken);
    return taken;
  }

  /** Samples until the Canary reaches `phase`; returns the samples taken on the way. */
  async function sampleUntil(phase: string, timeoutMs: number): Promise<Sample[]> {
    const from = samples.length;
    await eventually(`Canary podinfo to reach ${phase}`, async () => ((await sample()).phase === phase ? true : undefined), timeoutMs, 500);
    return samples.slice(from);
  }

  before(async function () {
    this.timeout(900_000); // kstatusBinary() builds test/kstatus on a fresh cache
    kstatusBinary();
    await scenario.setup();
    await scenario.apply(inNamespace(example('podinfo-deployment.yaml')));
    await eventually('podinfo to run 2 replicas', async () => ((await scenario.pods('app=podinfo')).length === 2 ? true : undefined), 90_000);
    e2e().exporter.shapeOsm(NAMESPACE, 'podinfo-canary', HEALTHY);
    const canary = scenario.shorten(inNamespace(example('podinfo-canary-osm.yaml'))[0]!);
    Object.assign(canary.spec.analysis, { stepWeight: 50, maxWeight: 50 });
    await scenario.apply([canary]);
    scenario.startStepper();
    await scenario.waitPhase('Initialized', 90_000);
  });
  after(async () => scenario.teardown());

  it('when a new revision is analysed and promoted, then kstatus says InProgress while analysing and Current after promotion', async () => {
    await setImage('6.0.1');
    const seen = await sampleUntil('Succeeded', 300_000);
    const analysing = seen.filter((s) => ['Progressing', 'Promoting', 'Finalising'].includes(s.phase));
    expect(analysing.length, JSON.stringify(seen)).to.be.greaterThan(0);
    expect(analysing.filter((s) => s.verdict !== 'InProgress'), JSON.stringify(seen)).to.deep.equal([]);
    const done = seen.at(-1)!;
    expect(done).to.include({ phase: 'Succeeded', verdict: 'Current' });
    expect(done.observedGeneration).to.equal(done.generation);
  });

  it('when the next revision is aborted mid-analysis, then kstatus says InProgress until the rollback and Failed after it', async () => {
    await setImage('6.0.2');
    const progressing = await sampleUntil('Progressing', 120_000);
    expect(progressing.at(-1)?.verdict).to.equal('InProgress');
    execFileSync(process.execPath, [...davyCli(), 'abort', 'podinfo', '-n', NAMESPACE, '--kubeconfig', e2e().cluster.kubeconfig]);
    const seen = await sampleUntil('Failed', 120_000);
    expect(seen.filter((s) => s.phase === 'Progressing' && s.verdict !== 'InProgress'), JSON.stringify(seen)).to.deep.equal([]);
    expect(seen.at(-1)).to.include({ phase: 'Failed', verdict: 'Failed' });
  });
});

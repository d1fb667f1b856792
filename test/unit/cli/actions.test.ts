// `davy promote|abort|retry|pause|resume` on an in-memory API server, and the pure builders: the
// annotation the stepper parses, the guarded merge patch, and what the stepper will do.

import { expect } from 'chai';
import { actionAnnotation, actionPatch, previewOn, VERBS, type Verb } from '../../../src/cli/actions-plan.js';
import { runAction, type ActionIO } from '../../../src/cli/actions.js';
import { templateRevision } from '../../../src/api/revision.js';
import { ApiError, ConflictError, type KubeObject } from '../../../src/kube/client.js';
import type { Driver } from '../../../src/simulate/index.js';
import { parseActionAnnotation, type State } from '../../../src/stepper/index.js';
import { observe } from '../../../src/simulate/cluster.js';
import { MemoryKube } from '../../support/memory-kube.js';
import { example, exampleText, released, START, withState } from './helpers.js';
import { parseAllDocuments } from 'yaml';

const OSM = 'podinfo-canary-osm.yaml';
const REF = { apiVersion: 'flagger.app/v1beta1', kind: 'Canary', name: 'podinfo', namespace: 'test' };

interface Run {
  code: number;
  out: string;
  err: string;
}

async function run(verb: Verb, argv: string[], kube: MemoryKube, user: string | null = 'alice'): Promise<Run> {
  let out = '';
  let err = '';
  let n = 0;
  const io: ActionIO = {
    stdout: (t) => (out += t),
    stderr: (t) => (err += t),
    connect: (f) => ({ client: kube, namespace: f.namespace ?? 'default', ...(user === null ? {} : { user }), close: () => undefined }),
    now: () => new Date(START + 60_000),
    nonce: () => `nonce-${++n}`,
    program: 'davy',
  };
  return { code: await runAction(verb, argv, io), out, err };
}

/** The example's Deployment, as the API server returns it. */
const deployment = (): KubeObject => parseAllDocuments(exampleText('podinfo-deployment.yaml'))[0]!.toJS() as KubeObject;
const deployed = templateRevision((deployment() as unknown as { spec: { template: unknown } }).spec.template);

const seeded = (state: State | undefined, annotations: Record<string, string> = {}): MemoryKube =>
  new MemoryKube().seed(withState(example(OSM), state, annotations) as unknown as KubeObject).seed(deployment());

const actionOf = (kube: MemoryKube): string | undefined => kube.peek(REF)?.metadata.annotations?.['davy.dev/action'];

function advanced(driver: Driver): Driver {
  driver.advance();
  return driver;
}

function failing(): Driver {
  const driver = released(OSM, { metric: (_check, m) => (m.analysisStep >= 1 ? { verdict: 'ok', query: 'q', value: 1 } : undefined) });
  driver.runUntil((s) => s.phase === 'Failed');
  return driver;
}

const progressing = (): State => advanced(released(OSM)).state;
const failed = (): State => failing().state;

describe('davy promote|abort|retry|pause|resume', () => {
  it('when the annotation is built, then the stepper parses its action, nonce and author', () => {
    const text = actionAnnotation({ action: 'retry', nonce: 'abc', by: 'alice', at: '2025-01-01T00:00:00.000Z' });
    expect(text).to.equal('{"action":"retry","nonce":"abc","by":"alice","at":"2025-01-01T00:00:00.000Z"}');
    expect(parseActionAnnotation(text)).to.deep.equal({ action: 'retry', nonce: 'abc', by: 'alice' });
  });

  it('when the patch is built, then it is a merge patch of the one annotation, guarded by the resourceVersion read', () => {
    expect(actionPatch('{}', '42')).to.deep.equal({ type: 'merge', body: { metadata: { resourceVersion: '42', annotations: { 'davy.dev/action': '{}' } } } });
    expect(actionPatch('{}', undefined)).to.deep.equal({ type: 'merge', body: { metadata: { annotations: { 'davy.dev/action': '{}' } } } });
  });

  // Each phase as the stepper's driver reaches it: the preview runs step() on the same observations.
  const phases: Record<string, { make: () => Driver }> = {
    Progressing: { make: () => advanced(released(OSM)) },
    WaitingPromotion: {
      make: () => {
        const canary = example(OSM);
        canary.spec.analysis!.webhooks = [{ name: 'gate', type: 'confirm-promotion', url: 'http://gate.test/' }];
        const d = released(canary, { hook: (c) => (c.type === 'confirm-promotion' ? { ok: false, message: 'no' } : undefined) });
        d.runUntil((st) => st.phase === 'WaitingPromotion');
        return d;
      },
    },
    Promoting: {
      make: () => {
        const d = released(OSM, { timing: { rolloutMs: 10 * 60_000 } });
        d.runUntil((st) => st.phase === 'Promoting');
        return d;
      },
    },
    Failed: { make: () => failing() },
    Succeeded: {
      make: () => {
        const d = released(OSM);
        d.runUntil((st) => st.phase === 'Succeeded');
        return d;
      },
    },
  };
  for (const [phase, { make }] of Object.entries(phases)) {
    it(`when a canary is ${phase}, then each action the CLI lets through the stepper carries out, and each it refuses the stepper would ignore`, () => {
      const outcomes = new Set<boolean>();
      for (const verb of VERBS) {
        const driver = make();
        expect(driver.state.phase).to.equal(phase);
        const now = new Date(driver.cluster.now);
        const expected = previewOn(verb, 'alice', driver.state, example(OSM).spec, observe(driver.cluster), now);
        driver.act(verb, `n-${verb}`, 'alice');
        driver.stepNow();
        expect(driver.state.lastAction?.outcome, `${verb} when ${phase}`).to.equal(expected?.applies ? 'done' : 'ignored');
        expect(driver.state.lastAction?.message, `${verb} when ${phase}`).to.equal(expected?.what);
        outcomes.add(expected?.applies === true);
      }
      expect([...outcomes].sort(), 'some verbs apply, some do not').to.deep.equal([false, true]);
    });
  }

  it('when the template went back to the stable revision, then the preview sees it: promote of a Succeeded canary is refused', async () => {
    const d = released(OSM);
    d.runUntil((s) => s.phase === 'Succeeded');
    const kube = seeded({ ...d.state, stableRevision: deployed, stableConfigs: {} });
    const r = await run('promote', ['podinfo', '-n', 'test'], kube);
    expect(r.code).to.equal(1);
    expect(r.err).to.equal(
      'davy promote: promote refused for test/podinfo (Succeeded): podinfo.test runs its stable revision: nothing to promote; the stepper would record it as ignored (--force writes it anyway)\n',
    );
    const newer = await run('promote', ['podinfo', '-n', 'test'], seeded(d.state));
    expect(newer.code).to.equal(0);
    expect(newer.out).to.include(`On its next step the stepper carries it out: promoting revision ${deployed} without analysis.`);
  });

  it('when the Canary is suspended, then the preview says the stepper takes no action and nothing is written', async () => {
    const canary = withState(example(OSM), failed());
    canary.spec.suspend = true;
    const kube = new MemoryKube().seed(canary as unknown as KubeObject).seed(deployment());
    const r = await run('retry', ['podinfo', '-n', 'test'], kube);
    expect(r.code).to.equal(1);
    expect(r.err).to.include('spec.suspend is true: the stepper takes no action until it is false');
    expect(actionOf(kube)).to.equal(undefined);
  });

  it('when the target cannot be read, then the action is written without a preview, and a note says why', async () => {
    const kube = seeded(progressing());
    kube.failNext('get', new ApiError('deployments.apps "podinfo" is forbidden', 403, 'Forbidden'), 'Deployment');
    const r = await run('retry', ['podinfo', '-n', 'test'], kube);
    expect(r.code).to.equal(0);
    expect(r.err).to.include("Note: no preview of the stepper's verdict");
    expect(r.out).to.include('The stepper decides on its next step.');
  });

  it('when a Failed canary is retried, then the annotation is written with a nonce and the user, and the reply says what happens and how to watch', async () => {
    const kube = seeded(failed());
    const r = await run('retry', ['podinfo', '-n', 'test'], kube);
    expect(r.code).to.equal(0);
    expect(JSON.parse(actionOf(kube)!)).to.deep.equal({ action: 'retry', nonce: 'nonce-1', by: 'alice', at: '2025-01-01T00:01:00.000Z' });
    expect(r.out.split('\n')).to.deep.equal([
      'retry requested for test/podinfo by alice (nonce nonce-1).',
      `On its next step the stepper carries it out: re-running the analysis of revision ${deployed}.`,
      'Watch it: davy status podinfo -n test --watch',
      '',
    ]);
    expect(r.err).to.equal('');
  });

  it('when the written action reaches the stepper, then the stepper carries it out and records who asked', async () => {
    const driver = released(OSM);
    driver.advance();
    const kube = seeded(driver.state);
    await run('pause', ['podinfo', '-n', 'test'], kube, 'carol');
    const request = parseActionAnnotation(actionOf(kube));
    if (!request || 'error' in request) throw new Error('no action written');
    driver.act(request.action, request.nonce, request.by);
    driver.stepNow();
    expect(driver.state.paused?.by).to.equal('carol');
    expect(driver.state.lastAction).to.deep.include({ nonce: 'nonce-1', action: 'pause', by: 'carol', outcome: 'done' });
  });

  it('when the stepper would ignore the action in this phase, then nothing is written and it exits 1, unless --force', async () => {
    const kube = seeded(progressing());
    const r = await run('retry', ['podinfo', '-n', 'test'], kube);
    expect(r.code).to.equal(1);
    expect(r.err).to.equal('davy retry: retry refused for test/podinfo (Progressing): retry applies to a Failed canary, this one is Progressing; the stepper would record it as ignored (--force writes it anyway)\n');
    expect(actionOf(kube)).to.equal(undefined);
    const forced = await run('retry', ['podinfo', '-n', 'test', '--force'], kube);
    expect(forced.code).to.equal(0);
    expect(forced.out).to.include('The stepper will record it as ignored: retry applies to a Failed canary, this one is Progressing.');
    expect(JSON.parse(actionOf(kube)!)).to.include({ action: 'retry' });
  });

  it('when the canary does not exist, then it refuses with a clear message and exits 1', async () => {
    const kube = seeded(progressing());
    const r = await run('abort', ['nope', '-n', 'test'], kube);
    expect(r).to.deep.equal({ code: 1, out: '', err: 'davy abort: canary "nope" not found in namespace test: nothing written\n' });
  });

  it('when the stepper has not stepped the canary, then the action is written and the stepper decides', async () => {
    const kube = seeded(undefined);
    const r = await run('promote', ['podinfo', '-n', 'test'], kube);
    expect(r.code).to.equal(0);
    expect(r.out).to.include('The stepper has not stepped this canary yet: it decides on its first step.');
  });

  it('when an unhandled action is replaced, then a note says which', async () => {
    const kube = seeded(progressing(), { 'davy.dev/action': '{"action":"pause","nonce":"old","by":"bob"}' });
    const r = await run('abort', ['podinfo', '-n', 'test'], kube);
    expect(r.code).to.equal(0);
    expect(r.err).to.equal('Note: this replaces the pending pause by bob, which the stepper has not handled yet\n');
  });

  it('when the canary changes between the read and the write, then it reads again and writes once', async () => {
    const kube = seeded(failed());
    kube.failNext('patch', new ConflictError('the object has been modified', 409, 'Conflict'));
    const r = await run('retry', ['podinfo', '-n', 'test'], kube);
    expect(r.code).to.equal(0);
    expect(kube.requests.get).to.equal(4); // the Canary and its target, in each of two rounds
    expect(JSON.parse(actionOf(kube)!)).to.include({ nonce: 'nonce-2' });
  });

  it('when the API server refuses the write, then it exits 1 with its message', async () => {
    const kube = seeded(failed());
    kube.failNext('patch', new ApiError('canaries.flagger.app "podinfo" is forbidden', 403, 'Forbidden'));
    const r = await run('retry', ['podinfo', '-n', 'test'], kube);
    expect(r).to.deep.include({ code: 1, err: 'davy retry: the API server refused: canaries.flagger.app "podinfo" is forbidden\n' });
  });

  it('when the kubeconfig cannot be used, then nothing is written and it exits 2', async () => {
    let err = '';
    const code = await runAction('abort', ['podinfo'], {
      stdout: () => undefined,
      stderr: (t) => (err += t),
      connect: () => Promise.reject(new Error("ENOENT: no such file or directory, open '/nope'")),
      now: () => new Date(START),
      nonce: () => 'n',
      program: 'kubectl davy',
    });
    expect({ code, err }).to.deep.equal({ code: 2, err: "kubectl davy abort: cannot use the kubeconfig: ENOENT: no such file or directory, open '/nope'\n" });
  });

  it('when no user is known, then the action is written by "unknown"', async () => {
    const kube = seeded(failed());
    await run('retry', ['podinfo', '-n', 'test'], kube, null);
    expect(JSON.parse(actionOf(kube)!)).to.include({ by: 'unknown' });
  });

  it('when the usage is wrong, then it exits 2 with the usage', async () => {
    const kube = seeded(failed());
    for (const argv of [[], ['a', 'b'], ['a', '--bogus']]) {
      const r = await run('pause', argv, kube);
      expect(r.code, argv.join(' ')).to.equal(2);
      expect(r.err).to.include('Usage: davy pause NAME [-n NS] [--force]');
    }
    expect((await run('pause', ['-h'], kube)).code).to.equal(0);
  });
});

// The statuses Davy projects, judged by the real kstatus library (test/kstatus) as Flux judges a
// Canary: InProgress while a release is analysed, Current once promoted, Failed after a rollback.
// The releases are the pure simulator's; test/e2e/kstatus.test.ts asks the same of a live Canary.
import { expect } from 'chai';
import type { CanaryStatus } from '../../src/api/types.js';
import type { Driver } from '../../src/simulate/simulate.js';
import type { Phase } from '../../src/stepper/state.js';
import { projectStatus } from '../../src/stepper/status.js';
import { hasGo, kstatusBinary, kstatusOf, type KstatusStatus } from '../support/kstatus.js';
import { canary, isTerminal, released } from '../unit/stepper/driver.js';

/** A Canary as the API server returns it, at `generation`, with a projected status. */
const asStored = (status: CanaryStatus, generation = 1) => ({
  ...canary(),
  metadata: { name: 'podinfo', namespace: 'test', generation },
  status,
});

/** Every status a release passes through, with its phase, until it ends. */
function statusesOf(d: Driver): { phase: Phase; status: CanaryStatus }[] {
  const seen: { phase: Phase; status: CanaryStatus }[] = [];
  const record = () => seen.push({ phase: d.state.phase, status: projectStatus(d.state, canary().spec, new Date(d.cluster.now), {}, 1) });
  record();
  d.runUntil((state) => (record(), isTerminal(state)), 300);
  return seen;
}

const verdictsOf = (statuses: { status: CanaryStatus }[]): KstatusStatus[] => kstatusOf(statuses.map((s) => asStored(s.status))).map((v) => v.status);

describe('kstatus over the projected statuses (the real library)', function () {
  this.timeout(300_000); // the first run builds test/kstatus
  before(function () {
    if (!hasGo()) this.skip(); // no Go to build test/kstatus with
    kstatusBinary();
  });

  it('when a release is analysed and promoted, then every status is InProgress until the last, which is Current', () => {
    const seen = statusesOf(released(canary()));
    const verdicts = verdictsOf(seen);
    expect(seen.at(-1)?.phase).to.equal('Succeeded');
    expect(seen.map((s) => s.phase)).to.include.members(['Progressing', 'Promoting', 'Finalising']);
    expect(verdicts.slice(0, -1)).to.satisfy((all: KstatusStatus[]) => all.every((v) => v === 'InProgress'), verdicts.join(' '));
    expect(verdicts.at(-1)).to.equal('Current');
  });

  it('when a release fails its checks and rolls back, then it is InProgress until the rollback, then Failed', () => {
    const withMetric = canary({ metrics: [{ name: 'request-success-rate', thresholdRange: { min: 99 }, interval: '10s' }] });
    const d = released(withMetric, { metric: (check) => ({ verdict: 'ok', query: check.metric.query ?? 'builtin', value: 50 }) });
    const seen = statusesOf(d);
    const verdicts = verdictsOf(seen);
    expect(seen.at(-1)?.phase).to.equal('Failed');
    expect(verdicts.slice(0, -1).every((v) => v === 'InProgress'), verdicts.join(' ')).to.equal(true);
    expect(verdicts.at(-1)).to.equal('Failed');
  });

  it('when the Canary spec changed after the status was written, then it is InProgress until the status catches up', () => {
    const done = projectStatus({ ...released(canary()).state, phase: 'Succeeded' }, canary().spec, new Date(), {}, 1);
    const [lagging, caughtUp] = kstatusOf([asStored(done, 2), asStored({ ...done, observedGeneration: 2 }, 2)]);
    expect(lagging?.status).to.equal('InProgress');
    expect(lagging?.message).to.include('generation');
    expect(caughtUp?.status).to.equal('Current');
  });
});

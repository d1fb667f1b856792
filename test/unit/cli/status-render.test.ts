// `davy status`'s pure half: a Canary object (its state annotation as the stepper's driver left
// it) and the clock in, a view and lines out.

import { expect } from 'chai';
import { renderTable, renderWatchList } from '../../../src/cli/status-list.js';
import { canaryView } from '../../../src/cli/status-model.js';
import { renderDetail } from '../../../src/cli/status-render.js';
import { example, released, renderOptions, START, withState } from './helpers.js';

const OSM = 'podinfo-canary-osm.yaml';
const START_PLUS_MINUTE = START + 60_000;
/** Table cells compared without their padding. */
const squash = (text: string): string => text.replace(/ {2,}/g, ' ');

describe('davy status rendering', () => {
  it('when a canary is mid-analysis, then the detail shows phase, weight of maxWeight, revisions, checks with thresholds, transitions and the next step', () => {
    const driver = released(OSM);
    for (let i = 0; i < 3; i += 1) driver.advance();
    const now = driver.cluster.now + 10_000;
    const view = canaryView(withState(example(OSM), driver.state), new Date(now));
    const text = renderDetail(view, renderOptions(now)).join('\n');
    expect(text).to.include('Canary:         test/podinfo\n');
    expect(text).to.include('Target:         Deployment/podinfo (osm, canary, interval 30s)\n');
    expect(text).to.include('Phase:          Progressing since 2025-01-01T00:00:05Z (1m40s ago): NewRevision\n');
    expect(text).to.include('Progress:       [██████░░░░░░░░░░░░░░] weight 15% of 50% (step 3 of 10)\n');
    expect(text).to.include('Revision:       rev-2 under analysis, stable rev-1\n');
    expect(text).to.include('Waiting for:    the next step in 20s\n');
    expect(squash(text)).to.include('2025-01-01T00:01:35Z request-success-rate 100 >= 99 ok -\n');
    expect(text).to.include('2025-01-01T00:00:05Z   Initialized    Progressing    NewRevision');
  });

  it('when a canary is mid-analysis, then the estimate is the time the same release takes in simulation from that weight on', () => {
    const driver = released(OSM);
    for (let i = 0; i < 3; i += 1) driver.advance();
    const view = canaryView(withState(example(OSM), driver.state), new Date(driver.cluster.now + 1000));
    driver.runUntil((s) => s.phase === 'Succeeded');
    expect(view.estimate).to.deep.include({ kind: 'eta', at: new Date(driver.cluster.now).toISOString() });
  });

  it('when a blue/green canary failed its checks, then the detail shows the iteration, the failing values, and how to retry', () => {
    const driver = released('podinfo-canary-keda-bluegreen.yaml', {
      metric: (check, m) => (m.analysisStep >= 2 ? { verdict: 'ok', query: 'sum(rate(x[1m]))', value: 42 } : undefined),
    });
    driver.runUntil((s) => s.phase === 'Failed');
    const now = driver.cluster.now;
    const view = canaryView(withState(example('podinfo-canary-keda-bluegreen.yaml'), driver.state), new Date(now));
    const text = renderDetail(view, renderOptions(now)).join('\n');
    expect(text).to.include('Phase:          Failed since');
    expect(text).to.include('FailedChecksThreshold, 5 failed checks (threshold 5)');
    expect(text).to.include('iteration 2 of 5');
    expect(text).to.include('Failed checks:  5 of 5');
    expect(text).to.include('Revision:       rev-2 failed, stable rev-1');
    expect(squash(text)).to.include('request-success-rate 42 >= 99 failed success rate 42.00% < 99%\n');
    expect(text).to.include('  request-success-rate: sum(rate(x[1m]))');
    expect(text).to.include('Promotion:      no estimate: rolled back');
    expect(text).to.include('Retry:          `davy retry podinfo -n test` re-runs the revision with no template change');
  });

  it('when an approval gate holds the canary, then it says which webhook, the deadline and the time left', () => {
    const canary = example(OSM);
    canary.spec.analysis!.webhooks = [{ name: 'approve', type: 'confirm-rollout', url: 'http://gate.test/' }];
    const driver = released(canary, { hook: (check) => (check.type === 'confirm-rollout' ? { ok: false, message: 'not yet' } : undefined) });
    driver.advance();
    expect(driver.state.phase).to.equal('Waiting');
    const now = driver.cluster.now + 10_000;
    const view = canaryView(withState(canary, driver.state), new Date(now));
    const text = renderDetail(view, renderOptions(now)).join('\n');
    expect(text).to.include('Waiting for:    approval by the confirm-rollout webhook approve, deadline 2025-01-02T00:00:05Z (in 23h59m)\n');
    expect(text).to.include('                the next step in 20s\n');
    expect(text).to.match(/Promotion: {6}about \d+m\d*s? after approval, if every remaining check passes/);
  });

  for (const file of [OSM, 'podinfo-canary-keda-bluegreen.yaml']) {
    it(`when ${file} is released step by step, then the estimate at every running step is the time promotion really comes`, () => {
      const driver = released(file);
      const estimates: { at: number; eta?: string }[] = [];
      const cache = new Map();
      while (driver.state.phase !== 'Succeeded') {
        const view = canaryView(withState(example(file), driver.state), new Date(driver.cluster.now), { cache });
        if (view.estimate.kind === 'eta') estimates.push({ at: driver.cluster.now, eta: view.estimate.at });
        driver.advance();
      }
      const promoted = new Date(driver.cluster.now).toISOString();
      expect(estimates.length).to.be.greaterThan(5);
      expect(estimates.filter((e) => e.eta !== promoted)).to.deep.equal([]);
    });
  }

  it('when the state annotation is corrupt, then the reason is shown, the stored status is listed with a mark, and nothing throws', () => {
    const canary = { ...withState(example(OSM), '{"phase": 12'), status: { phase: 'Progressing' as const, canaryWeight: 10, failedChecks: 1, lastTransitionTime: '2025-01-01T00:00:00Z' } };
    const now = new Date(START_PLUS_MINUTE);
    const view = canaryView(canary, now);
    expect(view.stateKind).to.equal('corrupt');
    const text = renderDetail(view, renderOptions(now)).join('\n');
    expect(text).to.match(/State: {10}unreadable \(not JSON: .+\); the stepper re-initialises it from the cluster on its next step/);
    expect(text).to.include('Waiting for:    the stepper to re-initialise the unreadable state from the cluster');
    const table = renderTable([view], false, renderOptions(now));
    expect(squash(table[1]!)).to.equal('podinfo Progressing* 10 1 30s 2025-01-01T00:00:00Z');
    expect(table[3]).to.match(/^\* test\/podinfo: davy.dev\/state is unreadable \(not JSON: /);
    const bare = canaryView(withState(example(OSM), '[]'), now);
    expect(squash(renderTable([bare], false, renderOptions(now))[1]!)).to.equal('podinfo Unreadable* 0 0 30s -');
  });

  it('when the stepper has not stepped a canary yet, then it says so and the table shows no phase and no transition time', () => {
    const now = new Date(START_PLUS_MINUTE);
    const view = canaryView(withState(example(OSM), undefined), now);
    expect(renderDetail(view, renderOptions(now)).join('\n')).to.include('State:          none yet: the stepper has not stepped this canary\n');
    expect(renderTable([view], true, renderOptions(now)).map(squash)).to.deep.equal([
      'NAMESPACE NAME STATUS WEIGHT FAILEDCHECKS INTERVAL LASTTRANSITIONTIME',
      'test podinfo - 0 0 30s -',
    ]);
  });

  it('when the status subresource is stale, then the table shows what the state says', () => {
    const driver = released(OSM);
    for (let i = 0; i < 3; i += 1) driver.advance();
    const canary = { ...withState(example(OSM), driver.state), status: { phase: 'Initialized' as const, canaryWeight: 0 } };
    const table = renderTable([canaryView(canary, new Date(driver.cluster.now))], false, renderOptions(driver.cluster.now));
    expect(squash(table[1]!)).to.equal('podinfo Progressing 15 0 30s 2025-01-01T00:01:35Z');
  });

  it('when an action was handled and a newer one waits, then both are shown: who, when, and the outcome of the handled one', () => {
    const driver = released(OSM);
    driver.advance();
    driver.act('pause', 'n1', 'alice');
    driver.stepNow();
    const now = driver.cluster.now + 5000;
    const pending = JSON.stringify({ action: 'resume', nonce: 'n2', by: 'bob', at: new Date(now - 1000).toISOString() });
    const view = canaryView(withState(example(OSM), driver.state, { 'davy.dev/action': pending }), new Date(now));
    const text = renderDetail(view, renderOptions(now)).join('\n');
    expect(text).to.include('Paused:         by alice 2025-01-01T00:00:35Z (5s ago): weights and iterations hold, the checks go on\n');
    expect(text).to.include('Last action:    pause by alice 2025-01-01T00:00:35Z (5s ago): done, weights and iterations hold until resume; the analysis goes on\n');
    expect(text).to.include('Pending action: resume by bob 2025-01-01T00:00:39Z (1s ago), not handled by the stepper yet\n');
    expect(text).to.include('Resume:         `davy resume podinfo -n test`');
    expect(text).to.include('Promotion:      no estimate: paused until resumed');
    const handled = canaryView(withState(example(OSM), driver.state, { 'davy.dev/action': '{"action":"pause","nonce":"n1"}' }), new Date(now));
    expect(handled.pendingAction).to.equal(undefined);
    const garbage = canaryView(withState(example(OSM), driver.state, { 'davy.dev/action': 'retry' }), new Date(now));
    expect(renderDetail(garbage, renderOptions(now)).join('\n')).to.include('Pending action: davy.dev/action is not JSON; the stepper ignores it');
  });

  it('when watching, then each canary gets a progress bar, its latest checks, its wait and its estimate; without a terminal the times are absolute', () => {
    const driver = released(OSM);
    for (let i = 0; i < 3; i += 1) driver.advance();
    const now = driver.cluster.now + 10_000;
    const view = canaryView(withState(example(OSM), driver.state), new Date(now));
    expect(renderWatchList([view], renderOptions(now))).to.deep.equal([
      'test/podinfo  Progressing      [██████░░░░░░░░░░░░░░] weight 15% of 50% (step 3 of 10)  failed 0/5',
      '    checks at 2025-01-01T00:01:35Z: rollout load-test ok, request-success-rate 100 (>= 99) ok, request-duration 250 (<= 500) ok',
      '    waiting for the next step in 20s',
      '    promotion in ~4m25s if every check passes',
    ]);
    const still = renderWatchList([view], renderOptions(now, false));
    expect(still.slice(2)).to.deep.equal(['    waiting for the next step due at 2025-01-01T00:02:05Z', '    promotion at 2025-01-01T00:06:10Z if every check passes']);
    expect(renderWatchList([], renderOptions(now))).to.deep.equal(['No canaries found.']);
  });

  it('when the next step is long overdue, then the watch asks whether the stepper runs and the estimate counts from now', () => {
    const driver = released(OSM);
    driver.advance();
    const onTime = canaryView(withState(example(OSM), driver.state), new Date(driver.cluster.now));
    const now = driver.cluster.now + 10 * 60_000;
    const view = canaryView(withState(example(OSM), driver.state), new Date(now));
    expect(renderWatchList([view], renderOptions(now))[2]).to.equal('    waiting for the next step, due 9m30s ago (overdue: is the stepper running?)');
    if (onTime.estimate.kind !== 'eta' || view.estimate.kind !== 'eta') throw new Error('no estimates');
    expect(view.estimate.remainingMs).to.equal(onTime.estimate.remainingMs - 30_000);
  });

  it('when a canary is promoting, then its bar is full', () => {
    const driver = released(OSM);
    driver.runUntil((s) => s.phase === 'Promoting');
    const view = canaryView(withState(example(OSM), driver.state), new Date(driver.cluster.now));
    expect(renderWatchList([view], renderOptions(driver.cluster.now))[0]).to.include('[████████████████████] weight 50% of 50%');
  });
});

import { expect } from 'chai';
import {
  ALLOWED_TRANSITIONS,
  PHASES,
  STATE_VERSION,
  appendCheck,
  freshState,
  queryOf,
  type CheckRecord,
  type Phase,
  type State,
} from '../../../src/stepper/state.js';
import { parseState, serializeState } from '../../../src/stepper/state-codec.js';
import { projectStatus } from '../../../src/stepper/status.js';
import { parseActionAnnotation } from '../../../src/stepper/observations.js';
import { canary, fixture, released, toEnd } from './driver.js';

const NOW = new Date('2025-01-01T00:10:00Z');

function progressing(): State {
  return {
    ...freshState(),
    phase: 'Progressing',
    phaseSince: '2025-01-01T00:05:00.000Z',
    run: 2,
    revision: 'aaaa',
    stableRevision: 'bbbb',
    trackedConfigs: { 'configmap/podinfo': '0123' },
    routes: { primary: 70, canary: 30, mirror: false },
    copy: 'up',
    failedChecks: 1,
    analysisStarted: true,
    lastStepAt: '2025-01-01T00:09:30.000Z',
    checks: [{ at: '2025-01-01T00:09:30.000Z', kind: 'metric', name: 'request-success-rate', query: 'sum(x)', value: 99.5, min: 99, verdict: 'ok' }],
    transitions: [
      { at: '2025-01-01T00:00:00.000Z', from: '', to: 'Initializing', reason: 'Bootstrap' },
      { at: '2025-01-01T00:00:05.000Z', from: 'Initializing', to: 'Initialized', reason: 'Initialized' },
      { at: '2025-01-01T00:05:00.000Z', from: 'Initialized', to: 'Progressing', reason: 'NewRevision' },
    ],
  };
}

describe('stepper state annotation', () => {
  it('when the annotation is missing or blank, then parsing gives a fresh state', () => {
    for (const text of [undefined, null, '', '   ']) {
      const parsed = parseState(text);
      expect(parsed.kind).to.equal('empty');
      expect(parsed.state.phase).to.equal('');
    }
  });

  it('when a state is serialized and parsed, then it comes back equal', () => {
    const state = progressing();
    const parsed = parseState(serializeState(state));
    expect(parsed.kind).to.equal('ok');
    expect(parsed.state).to.deep.equal(state);
  });

  const garbage: [string, string][] = [
    ['{not json', 'not JSON'],
    ['[]', 'not a JSON object'],
    ['"hello"', 'not a JSON object'],
    [JSON.stringify({ ...progressing(), version: 99 }), 'unknown schema version 99'],
    [JSON.stringify({ ...progressing(), phase: 'Exploded' }), 'unknown phase "Exploded"'],
    [JSON.stringify({ ...progressing(), routes: { primary: 150, canary: 0, mirror: false } }), 'routes'],
    [JSON.stringify({ ...progressing(), failedChecks: -1 }), 'not a count'],
    [JSON.stringify({ ...progressing(), copy: 'many' }), 'copy'],
  ];
  for (const [text, reason] of garbage) {
    it(`when the annotation is ${text.slice(0, 30)}..., then parsing never throws and gives a fresh state with the reason`, () => {
      const parsed = parseState(text);
      expect(parsed.kind).to.equal('corrupt');
      if (parsed.kind !== 'corrupt') return;
      expect(parsed.reason).to.include(reason);
      expect(parsed.state.phase).to.equal('');
      expect(parsed.state.recoveredFrom).to.include(reason);
    });
  }

  it('when history entries are malformed, then only those entries are dropped', () => {
    const raw = JSON.parse(serializeState(progressing())) as Record<string, unknown>;
    raw.checks = [{ at: 'x', kind: 'metric', name: 'a', verdict: 'ok' }, { kind: 'metric' }, 42, { at: 'y', kind: 'hook', name: 'b', verdict: 'maybe' }];
    raw.transitions = [{ at: 'x', from: 'Initialized', to: 'Nowhere', reason: 'r' }];
    raw.wait = { kind: 'forever' };
    const parsed = parseState(JSON.stringify(raw));
    expect(parsed.kind).to.equal('ok');
    expect(parsed.state.checks).to.have.length(1);
    expect(parsed.state.transitions).to.deep.equal([]);
    expect(parsed.state.wait).to.equal(undefined);
  });

  it('when a state is written by a newer schema, then it is refused rather than half read', () => {
    const parsed = parseState(JSON.stringify({ ...progressing(), version: STATE_VERSION + 1 }));
    expect(parsed.kind).to.equal('corrupt');
  });
});

describe('stepper check history: a query kept once per metric and revision', () => {
  const metric = (i: number, over: Partial<CheckRecord> = {}): CheckRecord => ({
    at: `2025-01-01T00:00:${String(i).padStart(2, '0')}.000Z`, kind: 'metric', name: 'request-success-rate', verdict: 'ok',
    query: 'sum(rate(requests{code!~"5.."}[1m])) / sum(rate(requests[1m])) * 100', value: 99.5, min: 99, revision: 'aaaa', ...over,
  });
  const append = (records: CheckRecord[], limit = 50): CheckRecord[] =>
    records.reduce<CheckRecord[]>((checks, record) => appendCheck(checks, record, limit), []);
  /** Each record's query as sent, from the history alone. */
  const sent = (checks: CheckRecord[]): (string | undefined)[] => checks.map((c, i) => queryOf(checks.slice(0, i + 1), c));

  it('when a metric is checked again with the same query in the same revision, then only its first record carries it', () => {
    const checks = append([metric(1), metric(2), metric(3)]);
    expect(checks.map((c) => c.query !== undefined)).to.deep.equal([true, false, false]);
    expect(sent(checks)).to.deep.equal(Array(3).fill(metric(1).query));
    expect(checks[1]).to.deep.equal((({ query: _q, ...rest }) => rest)(metric(2)));
  });

  it('when the revision, the query or the metric differ, then the record carries its query', () => {
    const checks = append([
      metric(1), metric(2, { revision: 'bbbb' }), metric(3, { query: 'other' }), metric(4, { name: 'request-duration' }),
      metric(5, { revision: undefined }), metric(6, { revision: undefined }),
    ]);
    expect(checks.map((c) => c.query)).to.deep.equal([metric(1).query, metric(1).query, 'other', metric(1).query, metric(1).query, undefined]);
    // A hook's record is kept as it is.
    const hook: CheckRecord = { at: metric(7).at, kind: 'hook', name: 'load-test', hookType: 'rollout', verdict: 'ok', revision: 'aaaa' };
    expect(appendCheck(checks, hook, 50).at(-1)).to.deep.equal(hook);
  });

  it('when the history is full and the record with the query falls off, then the next record of its metric and revision takes it', () => {
    const records = [metric(1), metric(2, { name: 'other', query: 'up' }), metric(3), metric(4), metric(5, { query: 'changed' }), metric(6)];
    const checks = append(records, 3);
    expect(checks.map((c) => c.at)).to.deep.equal([metric(4).at, metric(5).at, metric(6).at]);
    // metric(1)'s query moved to metric(4) when metric(3) fell off; metric(6) went back to it.
    expect(checks.map((c) => c.query)).to.deep.equal([metric(1).query, 'changed', metric(1).query]);
    // Each step of the way, every record still knows what it sent.
    for (let n = 1; n <= records.length; n += 1) {
      expect(sent(append(records.slice(0, n), 3)), `after ${n}`).to.deep.equal(records.slice(0, n).slice(-3).map((r) => r.query));
    }
  });

  it('when a whole rollout with metrics is recorded, then the state is far smaller than with every query repeated', () => {
    const query = (name: string): string => `sum(rate(osm_request_total{destination_namespace="test", destination_name="podinfo-canary", metric="${name}"}[1m]))`;
    const d = toEnd(released(fixture('podinfo-canary-osm.yaml'), { metric: (c) => ({ verdict: 'ok', query: query(c.name), value: 99.5 }) }));
    expect(d.state.phase).to.equal('Succeeded');
    const checks = d.state.checks.filter((c) => c.kind === 'metric');
    expect(checks.length, 'metric checks recorded').to.be.greaterThan(4);
    const repeated = checks.map((c, i) => ({ ...c, query: queryOf(checks.slice(0, i + 1), c) }));
    expect(repeated.every((c) => c.query), 'every record knows its query').to.equal(true);
    expect(JSON.stringify(checks).length).to.be.lessThan(0.75 * JSON.stringify(repeated).length);
  });
});

describe('stepper status projection', () => {
  const spec = canary().spec;
  const table: [Phase, string, string][] = [
    ['Initializing', 'Unknown', 'New Deployment detected, starting initialization.'],
    ['Initialized', 'True', 'Deployment initialization completed.'],
    ['Waiting', 'Unknown', 'Waiting for approval.'],
    ['WaitingPromotion', 'Unknown', 'Waiting for approval.'],
    ['Progressing', 'Unknown', 'New revision detected, progressing canary analysis.'],
    ['Promoting', 'Unknown', 'Canary analysis completed, starting primary rolling update.'],
    ['Finalising', 'Unknown', 'Canary analysis completed, routing all traffic to primary.'],
    ['Succeeded', 'True', 'Canary analysis completed successfully, promotion finished.'],
    ['Failed', 'False', 'Canary analysis failed, Deployment scaled to zero.'],
  ];
  for (const [phase, status, message] of table) {
    it(`when the phase is ${phase}, then the Promoted condition is ${status} with Flagger's message`, () => {
      const projected = projectStatus({ ...progressing(), phase }, spec, NOW);
      expect(projected.phase).to.equal(phase);
      expect(projected.conditions?.[0]).to.include({ type: 'Promoted', status, reason: phase, message });
    });
  }

  it('when Terminating, then the condition says so instead of falling back to the initialization message', () => {
    const condition = projectStatus({ ...progressing(), phase: 'Terminating' }, spec, NOW).conditions?.[0];
    expect(condition?.message).to.include('being deleted');
  });

  it('when progressing, then weight, checks, iterations and revisions are projected', () => {
    const status = projectStatus(progressing(), spec, NOW);
    expect(status).to.include({ canaryWeight: 30, failedChecks: 1, iterations: 0, lastAppliedSpec: 'aaaa', lastPromotedSpec: 'bbbb' });
    expect(status.trackedConfigs).to.deep.equal({ 'configmap/podinfo': '0123' });
  });

  it('when a release succeeded, then the condition turned True at the Succeeded transition', () => {
    const query = (name: string): string => `sum(rate(osm_request_total{destination_namespace="test", destination_name="podinfo-canary", metric="${name}"}[1m]))`;
    const d = toEnd(released(fixture('podinfo-canary-osm.yaml'), { metric: (c) => ({ verdict: 'ok', query: query(c.name), value: 99.5 }) }));
    expect(d.state.phase).to.equal('Succeeded');
    const status = projectStatus(d.state, canary().spec, new Date(d.cluster.now));
    const last = d.state.transitions.at(-1);
    expect(status.conditions?.[0]?.status).to.equal('True');
    expect(status.conditions?.[0]?.lastTransitionTime).to.equal(last?.at);
    expect(status.lastTransitionTime).to.equal(d.state.updatedAt);
  });
});

describe('stepper phase transitions', () => {
  it('when any non-terminal phase is listed, then it can end in a terminal phase', () => {
    for (const phase of PHASES) {
      if (['', 'Initialized', 'Succeeded', 'Failed', 'Terminating'].includes(phase)) continue;
      const next = ALLOWED_TRANSITIONS[phase];
      expect(next.some((p) => p === 'Failed' || p === 'Succeeded' || p === 'Initialized'), phase).to.equal(true);
      expect(next, phase).to.include('Terminating');
    }
  });
});

describe('stepper action annotation', () => {
  const table: [string | undefined, unknown][] = [
    [undefined, undefined],
    ['', undefined],
    ['{"action":"retry","nonce":"abc","by":"alice"}', { action: 'retry', nonce: 'abc', by: 'alice' }],
    ['{"action":"pause","nonce":"n1","who":"bob"}', { action: 'pause', nonce: 'n1', by: 'bob' }],
    ['{"action":"promote","nonce":"n2"}', { action: 'promote', nonce: 'n2' }],
    ['{"action":"promote"}', { error: 'davy.dev/action needs string fields "action" and "nonce"' }],
    ['{"action":"promote","nonce":""}', { error: 'davy.dev/action needs string fields "action" and "nonce"' }],
    ['retry', { error: 'davy.dev/action is not JSON' }],
    ['null', { error: 'davy.dev/action is not a JSON object' }],
  ];
  for (const [text, parsed] of table) {
    it(`when the annotation is ${String(text)}, then it parses to ${JSON.stringify(parsed)}`, () => {
      expect(parseActionAnnotation(text)).to.deep.equal(parsed);
    });
  }
});

// The kstatus side of the projected status (src/stepper/status.ts): Ready, Reconciling, Stalled and
// observedGeneration beside Flagger's fields. test/integration/kstatus.test.ts asks the real
// kstatus library what it makes of them.
import { expect } from 'chai';
import type { CanaryCondition, CanaryStatus } from '../../../src/api/types.js';
import { PHASES, freshState, type Phase, type State } from '../../../src/stepper/state.js';
import { projectStatus, readinessOf } from '../../../src/stepper/status.js';
import { canary, released, toEnd } from './driver.js';

const spec = canary().spec;
const NOW = new Date('2025-01-01T00:10:00Z');

const conditionOf = (status: CanaryStatus, type: CanaryCondition['type']): CanaryCondition | undefined =>
  status.conditions?.find((condition) => condition.type === type);

const atPhase = (phase: Phase): State => ({
  ...freshState(),
  phase,
  phaseSince: '2025-01-01T00:05:00.000Z',
  transitions: [{ at: '2025-01-01T00:05:00.000Z', from: 'Initialized', to: phase, reason: 'NewRevision' }],
});

describe('the projected status, as kstatus reads it', () => {
  const table: [Phase, 'True' | 'False' | 'Unknown', string, 'Reconciling' | 'Stalled' | undefined][] = [
    ['', 'Unknown', 'Progressing', 'Reconciling'],
    ['Initializing', 'Unknown', 'Progressing', 'Reconciling'],
    ['Initialized', 'True', 'Succeeded', undefined],
    ['Waiting', 'Unknown', 'Progressing', 'Reconciling'],
    ['Progressing', 'Unknown', 'Progressing', 'Reconciling'],
    ['WaitingPromotion', 'Unknown', 'Progressing', 'Reconciling'],
    ['Promoting', 'Unknown', 'Progressing', 'Reconciling'],
    ['Finalising', 'Unknown', 'Progressing', 'Reconciling'],
    ['Succeeded', 'True', 'Succeeded', undefined],
    ['Failed', 'False', 'Failed', 'Stalled'],
    ['Terminating', 'Unknown', 'Progressing', 'Reconciling'],
  ];
  for (const [phase, status, reason, abnormal] of table) {
    it(`when the phase is '${phase}', then Ready is ${status} (${reason}) and ${abnormal ?? 'neither Reconciling nor Stalled'} is set`, () => {
      const projected = projectStatus(atPhase(phase), spec, NOW);
      expect(conditionOf(projected, 'Ready')).to.include({ status, reason });
      const present = ['Reconciling', 'Stalled'].filter((type) => conditionOf(projected, type as CanaryCondition['type']));
      expect(present).to.deep.equal(abnormal ? [abnormal] : []);
      if (abnormal) expect(conditionOf(projected, abnormal)).to.include({ status: 'True', reason: phase || 'Initializing' });
    });
  }

  it('when every phase is projected, then Promoted stays the first condition, as Flagger tooling expects', () => {
    for (const phase of PHASES) expect(projectStatus(atPhase(phase), spec, NOW).conditions?.[0]?.type).to.equal('Promoted');
  });

  it('when the generation is given, then it is the observedGeneration; when not, the field is absent', () => {
    expect(projectStatus(atPhase('Succeeded'), spec, NOW, {}, 7).observedGeneration).to.equal(7);
    expect(projectStatus(atPhase('Succeeded'), spec, NOW)).to.not.have.property('observedGeneration');
  });

  it('when the same state is projected later, then the status is the same (a resting canary costs no write)', () => {
    const earlier = projectStatus(atPhase('Progressing'), spec, NOW, {}, 2);
    const later = projectStatus(atPhase('Progressing'), spec, new Date(NOW.getTime() + 3_600_000), {}, 2);
    expect(later).to.deep.equal(earlier);
  });

  it('when a release runs to promotion, then Ready turned Unknown when it started and True at Succeeded, and Reconciling went', () => {
    const d = released(canary());
    const started = d.state.transitions.findLast((t) => t.to === 'Progressing')?.at;
    const progressing = projectStatus(d.state, spec, new Date(d.cluster.now));
    expect(conditionOf(progressing, 'Ready')).to.include({ status: 'Unknown', lastTransitionTime: started });
    toEnd(d);
    const done = projectStatus(d.state, spec, new Date(d.cluster.now));
    expect(d.state.phase).to.equal('Succeeded');
    expect(conditionOf(done, 'Ready')).to.include({ status: 'True', lastTransitionTime: d.state.transitions.at(-1)?.at });
    expect(conditionOf(done, 'Reconciling')).to.equal(undefined);
  });

  it('when every phase is classified, then only Initialized and Succeeded are done and only Failed has failed', () => {
    expect(PHASES.filter((phase) => readinessOf(phase) === 'succeeded')).to.deep.equal(['Initialized', 'Succeeded']);
    expect(PHASES.filter((phase) => readinessOf(phase) === 'failed')).to.deep.equal(['Failed']);
  });
});

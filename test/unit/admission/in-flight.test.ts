// The in-flight bound: reservations by declared size, a FIFO wait for room, refusals past it.
import { expect } from 'chai';
import { InFlightBudget, type Reservation } from '../../../src/admission/in-flight.js';

const MiB = 1024 * 1024;
const released = (r: Reservation): (() => void) => {
  if ('refused' in r) throw new Error(`refused: ${r.refused}`);
  return r.release;
};

describe('in-flight budget', () => {
  it('when reviews fit, then they are admitted at once; one that does not waits until room is released, first come first served', async () => {
    const budget = new InFlightBudget({ bytes: 8 * MiB, maxWaiting: 10, waitMs: 60_000 });
    const first = released(await budget.acquire(4 * MiB));
    const second = released(await budget.acquire(4 * MiB));
    const order: string[] = [];
    const third = budget.acquire(4 * MiB).then((r) => (order.push('third'), r));
    const small = budget.acquire(1).then((r) => (order.push('small'), r));
    await Promise.resolve();
    expect(order).to.deep.equal([]);
    first();
    first(); // idempotent: a second release frees nothing more
    const thirdRelease = released(await third);
    expect(order).to.deep.equal(['third']); // small waits behind: 8 MiB are in flight again
    second();
    released(await small);
    expect(order).to.deep.equal(['third', 'small']);
    expect(budget.peak()).to.equal(8 * MiB);
    thirdRelease();
  });

  it('when a review is larger than the whole budget, then it is admitted alone, so the largest legal review is always answered', async () => {
    const budget = new InFlightBudget({ bytes: 1 * MiB, maxWaiting: 10, waitMs: 60_000 });
    const big = released(await budget.acquire(4 * MiB));
    const next = budget.acquire(10);
    big();
    expect('release' in (await next)).to.equal(true);
  });

  it('when the queue is full, or a review waits past waitMs, then it is refused with the reason', async () => {
    const budget = new InFlightBudget({ bytes: 1 * MiB, maxWaiting: 1, waitMs: 0 });
    const held = released(await budget.acquire(1 * MiB));
    const waiting = budget.acquire(1 * MiB);
    const overflow = await budget.acquire(1);
    expect(overflow).to.have.property('refused').that.includes('1 reviews are already waiting');
    expect(await waiting).to.have.property('refused').that.includes('waited 0 ms');
    held();
    expect('release' in (await budget.acquire(1 * MiB))).to.equal(true);
  });
});

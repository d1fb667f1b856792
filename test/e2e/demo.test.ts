// `make demo`'s scenario, headless: a release that succeeds, then a faulty one that rolls back.
import { PassThrough } from 'node:stream';
import { expect } from 'chai';
import { e2e } from './hooks.js';
import { runDemo } from '../harness/demo.js';

describe('the demo scenario, headless', function () {
  this.timeout(900_000);
  let output = '';
  let stop: (() => Promise<void>) | undefined;

  after(async () => {
    await stop?.();
    const { cluster } = e2e();
    await cluster.kubectl(['-n', 'test', 'patch', 'canary', 'podinfo', '--type=merge', '-p', '{"metadata":{"finalizers":null}}']);
    // Other tests use the tutorial's namespace too.
    await cluster.deleteNamespace('test', { untilGone: true });
  });

  it('when the demo runs, then the good release is promoted, the faulty one rolls back, and the output shows live progress and the events', async () => {
    const out = new PassThrough();
    out.on('data', (d: Buffer) => (output += d.toString()));
    const run = await runDemo(e2e(), { out, headless: true });
    stop = run.stop;
    expect(run.result.phases).to.deep.equal(['Succeeded', 'Failed']);
    expect(run.result.events[0]).to.include('Promotion completed! Scaling down podinfo.test');
    expect(run.result.events[1]).to.include('Rolling back podinfo.test failed checks threshold reached 5');
    expect(run.result.podImagesAfterRollback.every((i) => i.endsWith(':6.0.1'))).to.equal(true);
    expect(output).to.match(/weight \d+% of 50%/);
    expect(output).to.include('Advance podinfo.test canary weight 50');
  });
});

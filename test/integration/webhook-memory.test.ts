// The webhook's memory under 100 concurrent ~4 MB reviews stays under three quarters of its pod's
// 256Mi limit (issue 11, finding 6; 531 MiB before the in-flight bound). The process runs as
// shipped: the CLI bundled as hack/build.sh bundles it (hack/bundle.ts), with deploy/'s
// NODE_OPTIONS. Memory is asserted, time never: how many reviews are answered 200 or 429 depends
// on the machine.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { measureWebhookMemory, shippedNodeOptions } from '../../bench/helpers/webhook-memory.js';
import { bundle } from '../../hack/bundle.js';
import { generateCerts, removeDir, type CertDir } from './support.js';

const LIMIT_MIB = 256;

describe('webhook memory bound (a process of its own, 100 concurrent 4 MB reviews)', function () {
  this.timeout(120_000);
  let certs: CertDir;
  let bundleDir: string;
  const saved = process.env.DAVY_CLI;

  before(async () => {
    certs = await generateCerts();
    bundleDir = await mkdtemp(join(tmpdir(), 'davy-bundle-'));
    await bundle(bundleDir);
    process.env.DAVY_CLI = join(bundleDir, 'davy.js');
  });
  after(async () => {
    if (saved === undefined) delete process.env.DAVY_CLI;
    else process.env.DAVY_CLI = saved;
    await removeDir(certs.dir);
    await removeDir(bundleDir);
  });

  it('when 100 reviews of 4 MB arrive at once, then peak RSS stays under 3/4 of 256Mi, some are served, and every refusal read is a JSON 429', async () => {
    expect(shippedNodeOptions()).to.include('--max-old-space-size');
    const run = await measureWebhookMemory(certs, 100, 4_000_000);
    console.log(`      peak RSS ${run.peakRssMiB.toFixed(0)} MiB (idle ${run.idleRssMiB.toFixed(0)} MiB); answers ${JSON.stringify(run.statuses)}`);
    expect(run.peakRssMiB).to.be.below((LIMIT_MIB * 3) / 4);
    expect(run.statuses[200] ?? 0, 'some reviews are served').to.be.greaterThan(0);
    expect((run.statuses[200] ?? 0) + (run.statuses[429] ?? 0) + (run.statuses[0] ?? 0)).to.equal(100);
    expect(run.malformedRefusals).to.equal(0);
  });
});

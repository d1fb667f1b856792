// --record-reviews: every decoded review written as sent, privately, never overwritten, bounded.
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { recordFileName, reviewRecorder } from '../../../src/admission/record.js';
import { silentLogger } from '../../../src/telemetry/logger.js';
import { fixtureRequest, fixtureText } from '../../fixtures/admission/index.js';
import { eventually } from '../../integration/support.js';

/** The recorded reviews listed in `dir` (not the hidden files being written). */
const recorded = async (dir: string): Promise<string[]> => (await readdir(dir)).filter((name) => !name.startsWith('.'));

describe('review recording', () => {
  let dir: string;
  beforeEach(async () => (dir = await mkdtemp(join(tmpdir(), 'davy-record-'))));
  afterEach(async () => rm(dir, { recursive: true, force: true }));

  it('when a review is recorded, then its file says what it is and holds the bytes as sent', async () => {
    const request = fixtureRequest('deployment-set-image-dry-run');
    expect(recordFileName(7, '/mutate', request)).to.match(/^00007-mutate-deployment-update-[a-z0-9_.-]+-dryrun-[0-9a-f-]{8}\.json$/);
    const target = join(dir, 'reviews');
    const record = reviewRecorder(target, silentLogger());
    const body = Buffer.from(fixtureText('deployment-set-image-dry-run'));
    record('/mutate', body, request);
    // A file is whole as soon as its name is listed.
    const files = await eventually('the file', async () => {
      const names = await recorded(target);
      return names.length === 1 ? names : undefined;
    });
    expect(await readFile(join(target, files[0]!))).to.deep.equal(body);
    await eventually('no partial file left', async () => ((await readdir(target)).length === 1 ? true : undefined));
    expect((await stat(target)).mode & 0o777).to.equal(0o700);
    expect((await stat(join(target, files[0]!))).mode & 0o777).to.equal(0o600);
  });

  it('when the limit is reached, then later reviews are not recorded', async () => {
    const record = reviewRecorder(dir, silentLogger(), 2);
    const request = fixtureRequest('deployment-scale-while-held');
    for (let i = 0; i < 5; i++) record('/mutate', Buffer.from(fixtureText('deployment-scale-while-held')), request);
    await eventually('two files', async () => ((await recorded(dir)).length === 2 ? true : undefined));
    await new Promise((r) => setTimeout(r, 50));
    expect(await readdir(dir)).to.have.length(2);
  });

  it('when names hold characters a file name should not, then they are replaced', () => {
    const request = { ...fixtureRequest('canary-create'), namespace: '../etc', name: 'a/b c' };
    expect(recordFileName(1, '/validate', request)).to.not.include('/');
  });
});

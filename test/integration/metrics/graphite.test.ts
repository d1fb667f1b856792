// The graphite provider against a real Graphite (Debian's graphite-carbon and graphite-web, started
// here on free ports): points sent over carbon's plaintext protocol, read back through the render
// API as a check would read them.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { graphiteProvider } from '../../../src/metrics/providers/graphite.js';
import { graphiteInstalled, startGraphite, type GraphiteServer } from '../../harness/graphite.js';

describe('metric provider graphite against a real Graphite', function () {
  this.timeout(120_000);
  let graphite: GraphiteServer | undefined;
  let dir = '';
  let now = 0;

  before(async function () {
    if (!graphiteInstalled()) {
      console.log('    skipped: Graphite is not installed (hack/ensure-graphite.sh installs it; make test-unit runs it)');
      this.skip();
    }
    now = Math.floor(Date.now() / 1000);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'davy-graphite-'));
    graphite = await startGraphite(dir);
    await graphite.send([
      { path: 'podinfo.canary.errors', value: 3, at: now - 40 },
      { path: 'podinfo.canary.errors', value: 7.5, at: now - 20 },
      { path: 'podinfo.primary.errors', value: 1, at: now - 20 },
    ]);
    await graphite.visible('podinfo.canary.errors');
    await graphite.visible('podinfo.primary.errors');
  });

  after(async () => {
    await graphite?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const provider = (secretData?: Record<string, string>) => graphiteProvider({ address: graphite!.url, ...(secretData ? { secretData } : {}) });

  it('when the target has points, then the value is the last non-null one', async () => {
    expect(await provider().query('target=podinfo.canary.errors&from=-5min')).to.deep.equal({ kind: 'ok', value: 7.5 });
  });

  it('when an aggregate spans series, then it is one series and its value', async () => {
    expect(await provider().query('target=sumSeries(podinfo.*.errors)&from=-5min')).to.deep.equal({ kind: 'ok', value: 8.5 });
  });

  it('when the target matches no series, then it is no data', async () => {
    const result = await provider().query('target=podinfo.nothing.here&from=-5min');
    expect(result).to.deep.equal({ kind: 'noData', reason: 'the target matched no series' });
  });

  it('when the series holds only nulls in the window, then it is no data', async () => {
    // An hour ago, long before the points: the series exists, its buckets there are all null.
    const result = await provider().query(`target=podinfo.canary.errors&from=${now - 3600}&until=${now - 1800}`);
    expect(result.kind).to.equal('noData');
  });

  it('when the target matches several series, then it is an error asking to aggregate', async () => {
    const result = await provider().query('target=podinfo.*.errors&from=-5min');
    expect(result).to.deep.equal({ kind: 'error', message: 'graphite: the query returned 2 series; aggregate it to one series' });
  });

  it('when the expression is invalid, then graphite\'s error is the reason', async () => {
    const result = await provider().query('target=noSuchFunction(podinfo.canary.errors)&from=-5min');
    expect(result.kind).to.equal('error');
    expect(result).to.have.property('message').that.matches(/^graphite: HTTP (400|500)/);
  });

  it('when the query has no target, then the check says how a query looks, and nothing is sent', async () => {
    expect(await provider().query('sumSeries(a.b)')).to.have.property('message').that.matches(/render query string with a target/);
  });

  it('when asked whether it is online, then the render API answering counts (no data included)', async () => {
    expect(await provider().isOnline()).to.deep.equal({ online: true });
    expect((await graphiteProvider({ address: 'http://127.0.0.1:1' }).isOnline()).online).to.equal(false);
  });
});

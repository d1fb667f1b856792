// The influxdb provider against a real InfluxDB 1.8 (built by hack/ensure-influxdb.sh, started here
// on free ports with authentication on): points written over the line protocol, read back with
// Flux through `/api/v2/query` as a check would read them.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { influxdbProvider } from '../../../src/metrics/providers/influxdb.js';
import { influxdBinary, startInflux, type InfluxServer } from '../../harness/influxdb.js';

describe('metric provider influxdb against a real InfluxDB', function () {
  this.timeout(60_000);
  let influx: InfluxServer | undefined;
  let dir = '';

  before(async function () {
    const binary = influxdBinary();
    if (!binary) {
      console.log('    skipped: no influxd (hack/ensure-influxdb.sh builds it; make test-unit runs it)');
      this.skip();
    }
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'davy-influxdb-'));
    influx = await startInflux(binary, dir);
    await influx.influxql('CREATE DATABASE podinfo');
    const now = Math.floor(Date.now() / 1000);
    await influx.write('podinfo', [
      `requests,workload=podinfo-canary errors=3 ${now - 40}`,
      `requests,workload=podinfo-canary errors=7.5 ${now - 20}`,
      `requests,workload=podinfo-primary errors=1 ${now - 20}`,
    ]);
  });

  after(async () => {
    await influx?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const secret = () => ({ token: influx!.token, org: 'davy' });
  const provider = (secretData: Record<string, string> = secret()) => influxdbProvider({ address: influx!.url, secretData });
  const errors = (workload: string) =>
    `from(bucket: "podinfo/autogen") |> range(start: -5m) |> filter(fn: (r) => r._measurement == "requests" and r._field == "errors" and r.workload == "${workload}")`;

  it('when the query reduces to one record, then its _value is the value', async () => {
    expect(await provider().query(`${errors('podinfo-canary')} |> last()`)).to.deep.equal({ kind: 'ok', value: 7.5 });
    expect(await provider().query(`${errors('podinfo-canary')} |> mean()`)).to.deep.equal({ kind: 'ok', value: 5.25 });
  });

  it('when the value is an integer count, then it is a number too', async () => {
    expect(await provider().query(`${errors('podinfo-canary')} |> count()`)).to.deep.equal({ kind: 'ok', value: 2 });
  });

  it('when the filter matches nothing, then it is no data (Flagger answers 0)', async () => {
    expect(await provider().query(`${errors('nobody')} |> last()`)).to.deep.equal({ kind: 'noData', reason: 'the query returned no records' });
  });

  it('when the value is NaN or an infinity, then it is no data', async () => {
    // The line protocol refuses NaN, and Flux refuses to divide by zero: the query makes them.
    const nan = await provider().query(`${errors('podinfo-canary')} |> last() |> map(fn: (r) => ({ r with _value: float(v: "NaN") }))`);
    expect(nan).to.deep.equal({ kind: 'noData', reason: 'the _value is NaN' });
    const inf = await provider().query(`import "math"\n${errors('podinfo-canary')} |> last() |> map(fn: (r) => ({ r with _value: math.mInf(sign: 1) }))`);
    expect(inf.kind).to.equal('noData');
  });

  it('when the query answers a table per series, then it is an error asking to reduce', async () => {
    const result = await provider().query(`from(bucket: "podinfo/autogen") |> range(start: -5m) |> filter(fn: (r) => r._field == "errors") |> last()`);
    expect(result).to.deep.equal({ kind: 'error', message: 'influxdb: the query returned 2 records in 2 table(s); reduce it to one, e.g. with |> last() or |> mean() and group()' });
  });

  it('when the value is a string, then it is an error naming its type', async () => {
    const result = await provider().query(`${errors('podinfo-canary')} |> last() |> map(fn: (r) => ({ r with _value: "high" }))`);
    expect(result).to.deep.equal({ kind: 'error', message: 'influxdb: the _value "high" is a string, not a number' });
  });

  it('when the token is wrong, then the credentials were refused with InfluxDB\'s reason', async () => {
    const result = await provider({ token: 'davy:wrong', org: 'davy' }).query(`${errors('podinfo-canary')} |> last()`);
    expect(result.kind).to.equal('error');
    expect(result).to.have.property('message').that.matches(/^influxdb: the credentials were refused \(HTTP 401\): .+/);
  });

  it('when the Flux does not compile, then the server\'s error is the reason', async () => {
    const result = await provider().query('from(bucket: "podinfo/autogen") |> nonsense(');
    expect(result.kind).to.equal('error');
    // 1.8 answers 500 with {"error": "loc 1:...: expected RPAREN, got EOF"}; 2.x answers 400.
    expect(result).to.have.property('message').that.matches(/^influxdb: HTTP (400|500).*: .*expected/);
  });

  it('when the Secret lacks org, then nothing is sent and the check says which key', async () => {
    expect(await provider({ token: 'x' }).query('anything')).to.deep.equal({ kind: 'error', message: 'influxdb: the secret must contain org' });
  });

  it('when the bucket does not exist, then InfluxDB\'s reason is the check\'s', async () => {
    const result = await provider().query('from(bucket: "nothing/autogen") |> range(start: -5m) |> last()');
    expect(result).to.have.property('message').that.matches(/^influxdb: HTTP \d+.*: .*(no database|not found)/);
  });

  it('when asked whether it is online, then an answer with accepted credentials counts, a refusal does not', async () => {
    expect(await provider().isOnline()).to.deep.equal({ online: true });
    const refused = await provider({ token: 'davy:wrong', org: 'davy' }).isOnline();
    expect(refused.online).to.equal(false);
    expect((await influxdbProvider({ address: 'http://127.0.0.1:1' }).isOnline()).online).to.equal(false);
  });
});

// The influxdb provider's reading of Flux's annotated CSV, and what a real server cannot be made
// to do on purpose (hang). Everything else runs against a real InfluxDB in
// test/integration/metrics/influxdb.test.ts.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { csvRows, readFluxCsv } from '../../../src/metrics/providers/flux-csv.js';
import { influxdbProvider } from '../../../src/metrics/providers/influxdb.js';

const table = (id: number, value: string) =>
  ['#datatype,string,long,string,double', '#group,false,false,true,false', '#default,_result,,,', ',result,table,workload,_value', `,,${id},"a,b ""quoted""",${value}`, ''].join('\r\n');

describe('flux annotated CSV', () => {
  it('when a field is quoted, then its commas and doubled quotes are kept', () => {
    expect(csvRows('a,"b,c","d ""e"""\n')).to.deep.equal([['a', 'b,c', 'd "e"']]);
  });

  it('when tables follow each other, then each brings its own annotations and every record is read', () => {
    const answer = readFluxCsv(`${table(0, '1.5')}\r\n${table(1, '2')}`);
    expect(answer).to.deep.equal({ kind: 'records', records: [{ table: '0', datatype: 'double', value: '1.5' }, { table: '1', datatype: 'double', value: '2' }] });
  });

  it('when the stream carries an error table, then it is the error', () => {
    const text = '#datatype,string,string\n#group,true,true\n#default,,\n,error,reference\n,"runtime error: boom",\n';
    expect(readFluxCsv(text)).to.deep.equal({ kind: 'error', message: 'runtime error: boom' });
  });
});

describe('metric provider influxdb, a server that never answers', () => {
  let server: http.Server;
  let address = '';
  before(async () => {
    server = http.createServer(() => undefined);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    address = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('when the query outlives its timeout, then it is an error saying so', async () => {
    const result = await influxdbProvider({ address, timeoutMs: 100 }).query('buckets()');
    expect(result).to.have.property('message').that.matches(/^influxdb: .*timed out after 100 ms/);
  });
});

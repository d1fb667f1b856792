// The keptn provider's query selector (Flagger's format); reading and writing Keptn's resources
// runs against the real API server in test/e2e/metrics-keptn.test.ts.
import { expect } from 'chai';
import { keptnProvider, parseKeptnQuery } from '../../../src/metrics/providers/keptn.js';

describe('metric provider keptn: the query selector', () => {
  it('when the selector names a KeptnMetric (either spelling, any case), then it reads that one', () => {
    expect(parseKeptnQuery(' KeptnMetrics/test/error-rate\n')).to.deep.equal({ kind: 'metric', namespace: 'test', name: 'error-rate' });
  });

  it('when the selector names an Analysis, then timeframe defaults to 1m and the arguments keep their case', () => {
    expect(parseKeptnQuery('analysis/test/slo')).to.deep.equal({ kind: 'analysis', namespace: 'test', definition: 'slo', recent: '1m', args: {} });
    expect(parseKeptnQuery('analyses/test/slo/5m/workload=podinfo;Region=EU')).to.deep.include({ recent: '5m', args: { workload: 'podinfo', Region: 'EU' } });
  });

  it('when the selector is malformed, then the message says what is wrong and which form it takes', () => {
    expect(parseKeptnQuery('keptnmetric/test')).to.match(/^keptn: the query must be keptnmetric/);
    expect(parseKeptnQuery('metric/test/x')).to.match(/^keptn: unknown kind "metric"/);
    expect(parseKeptnQuery('keptnmetric/test/x/5m')).to.match(/has no timeframe or arguments/);
    expect(parseKeptnQuery('analysis/test/slo/5m/workload')).to.match(/the argument "workload" is not key=value/);
  });

  it('when the registry has no API client (davy validate without --cluster), then checks say the provider needs one', async () => {
    expect(await keptnProvider(undefined)({}).query('keptnmetric/a/b')).to.deep.equal({ kind: 'error', message: 'keptn: the provider reads Keptn\'s resources and needs the stepper\'s API client' });
  });
});

// What only CloudWatch has: a region instead of an address, credentials from the Secret or the
// environment, a query that is JSON, and a SigV4 signature the contract server recomputes.
import { expect } from 'chai';
import { cloudwatchProvider } from '../../../src/metrics/providers/cloudwatch.js';
import { cloudwatchContract, CLOUDWATCH_KEYS, CLOUDWATCH_REGION } from '../../harness/contracts/cloudwatch.js';

const QUERY = JSON.stringify([{ Id: 'latency', MetricStat: { Metric: { Namespace: 'AWS/ApplicationELB', MetricName: 'TargetResponseTime' }, Period: 60, Stat: 'p99' } }]);

describe('metric provider cloudwatch', () => {
  const server = cloudwatchContract();
  let address = '';
  before(async () => (address = await server.start()));
  after(() => server.stop());
  beforeEach(() => server.log.splice(0));

  it('when the secret key is wrong, then the contract server recomputes the signature and refuses it', async () => {
    const result = await cloudwatchProvider({ address, region: CLOUDWATCH_REGION, secretData: { ...CLOUDWATCH_KEYS, aws_secret_access_key: 'not-the-key' } }).query(QUERY);
    expect(result).to.have.property('message').that.matches(/HTTP 403\): SignatureDoesNotMatch/);
  });

  it('when the region is another one, then the signature scope is refused', async () => {
    const result = await cloudwatchProvider({ address, region: 'us-east-1', secretData: CLOUDWATCH_KEYS }).query(QUERY);
    expect(result).to.have.property('message').that.matches(/SignatureDoesNotMatch: Credential should be scoped/);
  });

  it('when no secretRef is set, then the stepper\'s environment credentials sign the request', async () => {
    const env = { AWS_ACCESS_KEY_ID: CLOUDWATCH_KEYS.aws_access_key_id, AWS_SECRET_ACCESS_KEY: CLOUDWATCH_KEYS.aws_secret_access_key };
    const result = await cloudwatchProvider({ address, region: CLOUDWATCH_REGION }, env).query(QUERY);
    expect(result).to.deep.equal({ kind: 'ok', value: 99.5 });
    const sent = JSON.parse(server.log[0]!.body) as { StartTime: number; EndTime: number; MaxDatapoints: number };
    expect(sent.EndTime - sent.StartTime).to.equal(600);
    expect(sent.MaxDatapoints).to.equal(20);
  });

  it('when there are no credentials, no region, or the query is not a JSON array, then the check says which, and nothing is sent', async () => {
    expect(await cloudwatchProvider({ address, region: CLOUDWATCH_REGION }, {}).query(QUERY)).to.have.property('message').that.matches(/no credentials/);
    expect(await cloudwatchProvider({ address, secretData: CLOUDWATCH_KEYS }, {}).query(QUERY)).to.have.property('message', 'cloudwatch: provider.region is required');
    expect(await cloudwatchProvider({ address, region: CLOUDWATCH_REGION, secretData: CLOUDWATCH_KEYS }).query('sum(x)')).to.have.property('message').that.matches(/JSON array of MetricDataQuery/);
    expect(server.log).to.deep.equal([]);
  });

  it('when the query names an invalid Id, then the service\'s validation error is the reason', async () => {
    const result = await cloudwatchProvider({ address, region: CLOUDWATCH_REGION, secretData: CLOUDWATCH_KEYS }).query(JSON.stringify([{ Id: 'Bad-Id' }]));
    expect(result).to.have.property('message').that.matches(/HTTP 400 .*InvalidParameterValue/);
  });
});

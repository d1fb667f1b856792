// What only Stackdriver has: a service account key traded for an access token (a JWT the token
// endpoint verifies with the key's public half), the token kept across queries, and the project.
import { generateKeyPairSync } from 'node:crypto';
import { expect } from 'chai';
import { stackdriverProvider } from '../../../src/metrics/providers/stackdriver.js';
import { stackdriverContract } from '../../harness/contracts/stackdriver.js';

const QUERY = "fetch k8s_container | metric 'kubernetes.io/container/restart_count' | every 1m";

describe('metric provider stackdriver', () => {
  const contract = stackdriverContract();
  let address = '';
  before(async () => (address = await contract.server.start()));
  after(() => contract.server.stop());
  beforeEach(() => contract.server.log.splice(0));

  it('when two queries run, then one token is fetched and both carry it', async () => {
    const provider = stackdriverProvider({ address, secretData: contract.secretData(address) });
    expect(await provider.query(QUERY)).to.deep.equal({ kind: 'ok', value: 99.5 });
    expect(await provider.query(QUERY)).to.deep.equal({ kind: 'ok', value: 99.5 });
    expect(contract.server.log.map((l) => `${l.status} ${l.url}`)).to.deep.equal(['200 /token', '200 /v3/projects/davy-tests/timeSeries:query', '200 /v3/projects/davy-tests/timeSeries:query']);
  });

  it('when the key is not the service account\'s, then the token endpoint refuses the JWT and the check says so', async () => {
    const key = JSON.parse(contract.secretData(address).serviceAccountKey!) as Record<string, string>;
    key.private_key = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const result = await stackdriverProvider({ address, secretData: { project: 'davy-tests', serviceAccountKey: JSON.stringify(key) } }).query(QUERY);
    expect(result).to.have.property('message').that.matches(/^stackdriver token: HTTP 400 .*invalid_grant: Invalid JWT Signature/);
  });

  it('when the secret has no serviceAccountKey, or a broken one, then the check says which and nothing is sent', async () => {
    expect(await stackdriverProvider({ address, secretData: { project: 'davy-tests' } }).query(QUERY)).to.have.property('message').that.matches(/Workload Identity is not supported/);
    expect(await stackdriverProvider({ address, secretData: { project: 'davy-tests', serviceAccountKey: '{"client_email":"x"}' } }).query(QUERY)).to.have.property('message', 'stackdriver: the serviceAccountKey lacks private_key, token_uri');
    expect(contract.server.log).to.deep.equal([]);
  });
});

// The SaaS metric providers against their contract servers (test/harness/contracts), one table of
// cases for all: a value, no data, NaN, several series, refused credentials, an outage, a timeout,
// a Secret without the keys, and the online check. The servers reject a request their service
// would reject, so a passing case also proves the request's shape.
import { expect } from 'chai';
import { METRIC_PROVIDERS } from '../../../src/metrics/providers/index.js';
import type { MetricProviderConfig, MetricProviderFactory, MetricResult } from '../../../src/metrics/provider.js';
import { cloudwatchContract, CLOUDWATCH_KEYS, CLOUDWATCH_REGION } from '../../harness/contracts/cloudwatch.js';
import { datadogContract, DATADOG_KEYS } from '../../harness/contracts/datadog.js';
import { dynatraceContract, DYNATRACE_KEYS } from '../../harness/contracts/dynatrace.js';
import { newrelicContract, NEWRELIC_KEYS } from '../../harness/contracts/newrelic.js';
import { useContract, type ContractServer } from '../../harness/contracts/server.js';
import { splunkContract, SPLUNK_KEYS } from '../../harness/contracts/splunk.js';
import { stackdriverContract } from '../../harness/contracts/stackdriver.js';

interface Case {
  name: string;
  factory: MetricProviderFactory;
  contract: () => ContractServer;
  /** The Secret's data, for a server at the address. */
  keys: Record<string, string> | ((address: string) => Record<string, string>);
  /** Credentials the service refuses; by default every key with "-wrong" appended. */
  wrong?: (address: string) => Record<string, string>;
  query: string;
  /** The reason a refused credential gives. */
  refused: RegExp;
  /** Extra config the provider needs (a region). */
  extra?: Partial<MetricProviderConfig>;
}

const stackdriver = stackdriverContract();

export const SAAS_CASES: Case[] = [
  { name: 'datadog', factory: METRIC_PROVIDERS.datadog, contract: datadogContract, keys: DATADOG_KEYS, query: 'sum:trace.http.request.errors{service:podinfo}.as_count()', refused: /credentials were refused \(HTTP 403\): Forbidden/ },
  { name: 'newrelic', factory: METRIC_PROVIDERS.newrelic, contract: newrelicContract, keys: NEWRELIC_KEYS, query: "SELECT percentage(count(*), WHERE error IS true) FROM Transaction WHERE appName = 'podinfo'", refused: /credentials were refused \(HTTP 401\): Invalid credentials/ },
  {
    name: 'cloudwatch', factory: METRIC_PROVIDERS.cloudwatch, contract: cloudwatchContract, keys: CLOUDWATCH_KEYS, extra: { region: CLOUDWATCH_REGION },
    query: JSON.stringify([{ Id: 'errors', MetricStat: { Metric: { Namespace: 'AWS/ApplicationELB', MetricName: 'HTTPCode_Target_5XX_Count' }, Period: 60, Stat: 'Sum' } }]),
    refused: /credentials were refused \(HTTP 403\): UnrecognizedClientException/,
  },
  {
    name: 'stackdriver', factory: METRIC_PROVIDERS.stackdriver, contract: () => stackdriver.server, keys: (address) => stackdriver.secretData(address),
    wrong: (address) => ({ ...stackdriver.secretData(address), project: 'someone-else' }),
    query: "fetch k8s_container | metric 'kubernetes.io/container/restart_count' | filter resource.container_name == 'podinfo' | align rate(1m) | every 1m | group_by [], sum(val())",
    refused: /credentials were refused \(HTTP 403\): PERMISSION_DENIED/,
  },
  { name: 'splunk', factory: METRIC_PROVIDERS.splunk, contract: splunkContract, keys: SPLUNK_KEYS, query: "data('demo.trans.latency', filter=filter('app', 'podinfo')).mean().publish()", refused: /credentials were refused \(HTTP 401\): .*Unauthorized/ },
  { name: 'dynatrace', factory: METRIC_PROVIDERS.dynatrace, contract: dynatraceContract, keys: DYNATRACE_KEYS, query: 'builtin:service.response.time:avg', refused: /credentials were refused \(HTTP 401\): Missing authorization parameter/ },
];

const message = (r: MetricResult): string => (r.kind === 'error' ? r.message : r.kind === 'noData' ? r.reason : String(r.value));

for (const c of SAAS_CASES) {
  describe(`metric provider ${c.name} against its contract server`, () => {
    const server = c.contract();
    const addressOf = useContract(server);

    const keys = (): Record<string, string> => (typeof c.keys === 'function' ? c.keys(addressOf()) : { ...c.keys });
    const wrongKeys = (): Record<string, string> => c.wrong?.(addressOf()) ?? Object.fromEntries(Object.entries(keys()).map(([k, v]) => [k, `${v}-wrong`]));
    const provider = (overrides: Partial<MetricProviderConfig> = {}) =>
      c.factory({ address: addressOf(), secretData: keys(), intervalMs: 60_000, ...(c.extra ?? {}), ...overrides });
    const refusals = () => JSON.stringify(server.log.filter((l) => l.status >= 400).map((l) => `${l.status} ${l.url}`));

    it('when the query has a value, then the check gets it', async () => {
      server.state.value = 97.25;
      const result = await provider().query(c.query);
      expect(result, refusals()).to.deep.equal({ kind: 'ok', value: 97.25 });
    });

    it('when the query matches nothing, then it is no data', async () => {
      server.state.scenario = 'empty';
      const result = await provider().query(c.query);
      expect(result.kind, message(result)).to.equal('noData');
    });

    it('when the value is null or NaN, then it is no data', async () => {
      server.state.scenario = 'nan';
      const result = await provider().query(c.query);
      expect(result.kind, message(result)).to.equal('noData');
    });

    it('when several series come back, then it is an error asking for one', async () => {
      server.state.scenario = 'several';
      const result = await provider().query(c.query);
      expect(result.kind).to.equal('error');
      expect(message(result)).to.match(new RegExp(`^${c.name}: .*(series|results|metrics)`));
    });

    it('when the credentials are wrong, then it is an error saying they were refused', async () => {
      const result = await provider({ secretData: wrongKeys() }).query(c.query);
      expect(result.kind).to.equal('error');
      expect(message(result)).to.match(c.refused);
    });

    it('when the service has an outage, then it is an error with the status', async () => {
      server.state.scenario = 'outage';
      const result = await provider().query(c.query);
      expect(message(result)).to.match(/HTTP 5\d\d/);
    });

    it('when the service does not answer in time, then it is an error saying so', async () => {
      server.state.scenario = 'hang';
      const result = await provider({ timeoutMs: 300 }).query(c.query);
      expect(message(result)).to.match(/timed out after 300 ms/);
    });

    it('when the Secret lacks the keys, then every check fails naming them and nothing is sent', async () => {
      const result = await provider({ secretData: {} }).query(c.query);
      expect(message(result)).to.match(new RegExp(`^${c.name}: .*${Object.keys(keys())[0]!}`));
      expect(server.log).to.deep.equal([]);
    });

    it('when asked whether it is online, then the right credentials say yes and wrong ones say no', async () => {
      expect(await provider().isOnline(), refusals()).to.deep.equal({ online: true });
      expect((await provider({ secretData: wrongKeys() }).isOnline()).online).to.equal(false);
    });
  });
}

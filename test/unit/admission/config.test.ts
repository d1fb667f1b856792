// `davy webhook` configuration: flags over environment over defaults, parsed once.
import { expect } from 'chai';
import { DEFAULT_STEPPER_IDENTITY, parseWebhookConfig, type WebhookConfigResult } from '../../../src/config/webhook.js';

const TLS = ['--tls-cert', 'c.pem', '--tls-key', 'k.pem'];

const config = (result: WebhookConfigResult) => {
  if (!result.ok) throw new Error(result.help ? 'help' : result.error);
  return result.config;
};
const error = (result: WebhookConfigResult): string => (result.ok || result.help ? '' : result.error);

describe('webhook config', () => {
  it('when only the certificate flags are given, then the defaults apply', () => {
    expect(config(parseWebhookConfig(TLS, {}))).to.deep.equal({
      port: 8443,
      metricsPort: 8080,
      tlsCert: 'c.pem',
      tlsKey: 'k.pem',
      stepperIdentities: [DEFAULT_STEPPER_IDENTITY],
      logLevel: 'info',
      drainTimeoutSeconds: 25,
      shutdownDelaySeconds: 0,
      clusterChecks: false,
      allowedHosts: { text: 'cluster', any: false, cluster: true, clusterDomain: 'cluster.local', exact: [], suffixes: [] },
      alertHosts: { text: '*', any: true, cluster: false, clusterDomain: 'cluster.local', exact: [], suffixes: [], flag: '--alert-hosts' },
    });
  });

  it('when every flag is given, then each is read', () => {
    const argv = [...TLS, '--port', '0', '--metrics-port=9090', '--bind-address', '127.0.0.1', '--stepper-identity', 'a', '--stepper-identity', 'group:ops', '--log-level', 'debug', '--drain-timeout', '5', '--shutdown-delay', '3', '--cluster-checks', '--kubeconfig', 'kc', '--allowed-hosts', 'cluster,*.example.com', '--alert-hosts', 'hooks.slack.com'];
    expect(config(parseWebhookConfig(argv, {}))).to.deep.equal({
      port: 0,
      metricsPort: 9090,
      bindAddress: '127.0.0.1',
      tlsCert: 'c.pem',
      tlsKey: 'k.pem',
      stepperIdentities: ['a', 'group:ops'],
      logLevel: 'debug',
      drainTimeoutSeconds: 5,
      shutdownDelaySeconds: 3,
      clusterChecks: true,
      kubeconfig: 'kc',
      allowedHosts: { text: 'cluster,*.example.com', any: false, cluster: true, clusterDomain: 'cluster.local', exact: [], suffixes: ['.example.com'] },
      alertHosts: { text: 'hooks.slack.com', any: false, cluster: false, clusterDomain: 'cluster.local', exact: ['hooks.slack.com'], suffixes: [], flag: '--alert-hosts' },
    });
  });

  it('when DAVY_STEPPER_IDENTITY is a comma list, then it replaces the default; a flag replaces it in turn', () => {
    const env = { DAVY_STEPPER_IDENTITY: ' a , group:b ,,', DAVY_LOG_LEVEL: 'warn' };
    expect(config(parseWebhookConfig(TLS, env))).to.include({ logLevel: 'warn' }).and.deep.include({ stepperIdentities: ['a', 'group:b'] });
    expect(config(parseWebhookConfig([...TLS, '--stepper-identity', 'c'], env)).stepperIdentities).to.deep.equal(['c']);
  });

  it('when a flag is wrong, then the error names it', () => {
    expect(error(parseWebhookConfig(['--port', '1'], {}))).to.include('--tls-cert and --tls-key are required');
    expect(error(parseWebhookConfig([...TLS, '--port', '70000'], {}))).to.include('--port');
    expect(error(parseWebhookConfig([...TLS, '--metrics-port', 'x'], {}))).to.include('--metrics-port');
    expect(error(parseWebhookConfig([...TLS, '--shutdown-delay', '-1'], {}))).to.include('--shutdown-delay');
    expect(error(parseWebhookConfig([...TLS, '--log-level', 'loud'], {}))).to.include('--log-level');
    expect(error(parseWebhookConfig([...TLS, '--bogus'], {}))).to.include('bogus');
    expect(error(parseWebhookConfig([...TLS, 'extra'], {}))).to.not.equal('');
    expect(error(parseWebhookConfig([...TLS, '--stepper-identity', 'group:'], {}))).to.include('group name');
  });

  it('when --record-reviews names a directory, then it is read; it is off by default and needs a value', () => {
    expect(config(parseWebhookConfig([...TLS, '--record-reviews', '/tmp/reviews'], {})).recordReviews).to.equal('/tmp/reviews');
    expect(config(parseWebhookConfig(TLS, {}))).to.not.have.property('recordReviews');
    expect(error(parseWebhookConfig([...TLS, '--record-reviews='], {}))).to.include('--record-reviews');
    expect(error(parseWebhookConfig([...TLS, '--record-reviews'], {}))).to.include('record-reviews');
  });

  it('when --help is given, then help is asked for', () => {
    expect(parseWebhookConfig(['-h'], {})).to.deep.equal({ ok: false, help: true });
  });
});

import { expect } from 'chai';
import { configChecksum, configRefs, configsChanged, trackConfigs, trackedConfigsChecksum } from '../../../src/workloads/config-tracking.js';
import type { ConfigObject, Deployment, PodTemplate } from '../../../src/workloads/types.js';
import { fixture } from '../../fixtures/routers/index.js';

const configMap = (name: string, data: Record<string, string>, annotations?: Record<string, string>): ConfigObject => ({
  apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'test', ...(annotations ? { annotations } : {}) }, data,
});
const secret = (name: string, type: string, data: Record<string, string> = { k: 'dg==' }): ConfigObject => ({
  apiVersion: 'v1', kind: 'Secret', type, metadata: { name, namespace: 'test' }, data,
});

const template: PodTemplate = {
  spec: {
    volumes: [
      { name: 'cfg', configMap: { name: 'app-config' } },
      { name: 'tls', secret: { secretName: 'app-tls' } },
      { name: 'opt', configMap: { name: 'maybe', optional: true } },
      { name: 'proj', projected: { sources: [{ configMap: { name: 'projected-cm' } }, { secret: { name: 'projected-secret' } }] } },
    ],
    initContainers: [{ name: 'init', envFrom: [{ secretRef: { name: 'init-env' } }] }],
    containers: [{
      name: 'app',
      env: [
        { name: 'A', valueFrom: { configMapKeyRef: { name: 'app-config', key: 'a', optional: true } } },
        { name: 'B', valueFrom: { secretKeyRef: { name: 'creds', key: 'b' } } },
        { name: 'C', value: 'plain' },
      ],
      envFrom: [{ configMapRef: { name: 'env-cm', optional: true } }],
    }],
  },
};

describe('config tracking', () => {
  it('when a template references configs everywhere, then every ConfigMap and Secret is found once, sorted', () => {
    expect(configRefs(template).map((r) => `${r.kind}/${r.name}${r.optional ? '?' : ''}`)).to.deep.equal([
      'ConfigMap/app-config', 'ConfigMap/env-cm?', 'ConfigMap/maybe?', 'ConfigMap/projected-cm',
      'Secret/app-tls', 'Secret/creds', 'Secret/init-env', 'Secret/projected-secret',
    ]);
  });

  it('when the podinfo template is read, then it references no config', () => {
    expect(configRefs(fixture<Deployment>('podinfo-deployment', 'Deployment').spec?.template)).to.deep.equal([]);
  });

  const objects = () => ({
    configMaps: [configMap('app-config', { a: '1' }), configMap('projected-cm', { p: '1' }), configMap('env-cm', { e: '1' }, { 'flagger.app/config-tracking': 'disabled' })],
    secrets: [
      secret('app-tls', 'kubernetes.io/tls'), secret('creds', 'kubernetes.io/basic-auth'), secret('init-env', 'Opaque'),
      secret('projected-secret', 'kubernetes.io/dockerconfigjson'),
    ],
  });

  it('when every required config exists, then tracked configs map configmap/ and secret/ names to 16-hex checksums', () => {
    const result = trackConfigs(template, objects());
    if (!result.ok) throw new Error(result.error.message);
    expect(Object.keys(result.value)).to.deep.equal(['configmap/app-config', 'configmap/projected-cm', 'secret/app-tls', 'secret/creds', 'secret/init-env']);
    for (const sum of Object.values(result.value)) expect(sum).to.match(/^[0-9a-f]{16}$/);
  });

  it('when a config opts out, a Secret has an untracked type, or an optional one is missing, then it is skipped', () => {
    const result = trackConfigs(template, objects());
    expect(result.ok && Object.keys(result.value)).to.not.include.members(['configmap/env-cm', 'secret/projected-secret', 'configmap/maybe']);
  });

  it('when required configs are missing, then the result is ConfigMissing naming each of them', () => {
    const result = trackConfigs(template, { configMaps: [], secrets: [] });
    expect(result.ok).to.equal(false);
    if (!result.ok) {
      expect(result.error.code).to.equal('ConfigMissing');
      expect(result.error.message).to.include('ConfigMap app-config').and.include('Secret creds').and.not.include('maybe');
    }
  });

  it('when data or binaryData change, then the checksum changes; when only metadata changes, then it does not', () => {
    const base = configMap('c', { a: '1', b: '2' });
    const reordered = configMap('c', { b: '2', a: '1' }, { note: 'x' });
    expect(configChecksum(reordered)).to.equal(configChecksum(base));
    expect(configChecksum(configMap('c', { a: '1', b: '3' }))).to.not.equal(configChecksum(base));
    expect(configChecksum({ ...base, binaryData: { bin: 'AAE=' } })).to.not.equal(configChecksum(base));
  });

  it('when tracked configs change, then the combined checksum changes and configsChanged says so', () => {
    const before = { 'configmap/a': '1111111111111111' };
    const after = { 'configmap/a': '2222222222222222' };
    expect(trackedConfigsChecksum(before)).to.not.equal(trackedConfigsChecksum(after));
    expect(trackedConfigsChecksum({})).to.equal(undefined);
    expect(configsChanged(before, after)).to.equal(true);
    expect(configsChanged(before, { ...before })).to.equal(false);
    expect(configsChanged(undefined, {})).to.equal(false);
    expect(configsChanged(before, { ...before, 'secret/b': '3333333333333333' })).to.equal(true);
  });
});

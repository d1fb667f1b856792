// The small credential loader against client-node's own (what NodeKubeClient used before): for the
// kubeconfigs it handles, the same server, CA, client certificate and Authorization header.
import fs from 'node:fs';
import type https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { expect } from 'chai';
import { stringify } from 'yaml';
import { fromKubeConfig, loadCredentials, type Credentials } from '../../../src/kube/credentials.js';

const b64 = (text: string): string => Buffer.from(text).toString('base64');

function kubeconfig(dir: string, user: Record<string, unknown>, cluster: Record<string, unknown> = {}): string {
  const file = path.join(dir, `config-${Math.random().toString(36).slice(2)}`);
  fs.writeFileSync(file, stringify({
    apiVersion: 'v1', kind: 'Config', 'current-context': 'b',
    clusters: [{ name: 'other', cluster: { server: 'https://10.0.0.9:6443' } }, { name: 'c', cluster: { server: 'https://127.0.0.1:6443', 'certificate-authority-data': b64('CA'), ...cluster } }],
    users: [{ name: 'u', user }],
    contexts: [{ name: 'a', context: { cluster: 'other', user: 'u' } }, { name: 'b', context: { cluster: 'c', user: 'u' } }],
  }));
  return file;
}

/** The Authorization header, whatever its case (client-node writes it capitalised, HTTP does not care). */
const authorization = (options: https.RequestOptions): string | undefined =>
  Object.entries((options.headers ?? {}) as Record<string, string>).find(([k]) => k.toLowerCase() === 'authorization')?.[1];

/** A PEM given as a Buffer or a string (what both loaders produce), as text. */
const text = (value: unknown): string | undefined => (Buffer.isBuffer(value) ? value.toString('utf8') : typeof value === 'string' ? value : undefined);

const comparable = ({ server, options }: Credentials) => ({
  server: server.href,
  ca: text(options.ca),
  cert: text(options.cert),
  key: text(options.key),
  authorization: authorization(options),
  auth: options.auth,
  rejectUnauthorized: options.rejectUnauthorized === false ? false : undefined,
});

async function clientNode(file: string): Promise<ReturnType<typeof comparable>> {
  const config = new KubeConfig();
  config.loadFromFile(file);
  return comparable(await fromKubeConfig(config).credentials());
}

describe('kube: credentials without client-node', () => {
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'davy-credentials-'));
    fs.writeFileSync(path.join(dir, 'token'), 'from-a-file\n');
    fs.writeFileSync(path.join(dir, 'client.crt'), 'CERT-FILE');
    fs.writeFileSync(path.join(dir, 'client.key'), 'KEY-FILE');
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const cases: [string, Record<string, unknown>, Record<string, unknown>?][] = [
    ['a token', { token: 'abc' }],
    ['a client certificate as data', { 'client-certificate-data': b64('CERT'), 'client-key-data': b64('KEY') }],
    ['a client certificate as files', { 'client-certificate': 'client.crt', 'client-key': 'client.key' }],
    ['a basic login (left to client-node)', { username: 'alice', password: 's3cret' }],
    ['no TLS verification', { token: 'abc' }, { 'insecure-skip-tls-verify': true, 'certificate-authority-data': undefined }],
  ];
  for (const [what, user, cluster] of cases) {
    it(`when the current user has ${what}, then the credentials are client-node's`, async () => {
      const file = kubeconfig(dir, user, cluster);
      expect(comparable(await loadCredentials(file).credentials())).to.deep.equal(await clientNode(file));
    });
  }

  it('when the user names a token file, then it is read relative to the kubeconfig, as kubectl does', async () => {
    const file = kubeconfig(dir, { tokenFile: 'token' });
    expect(authorization((await loadCredentials(file).credentials()).options)).to.equal('Bearer from-a-file');
  });

  it('when the token file changes, then the next credentials carry the new token', async () => {
    const file = kubeconfig(dir, { tokenFile: 'rotating' });
    fs.writeFileSync(path.join(dir, 'rotating'), 'one');
    const source = loadCredentials(file);
    const header = async (): Promise<string | undefined> => authorization((await source.credentials()).options);
    expect(await header()).to.equal('Bearer one');
    fs.writeFileSync(path.join(dir, 'rotating'), 'two');
    expect(await header()).to.equal('Bearer two');
  });

  it('when the user runs an exec plugin, then client-node loads the kubeconfig (and runs it)', async () => {
    const file = kubeconfig(dir, { exec: { apiVersion: 'client.authentication.k8s.io/v1', command: 'sh', args: ['-c', 'echo \'{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"from-exec"}}\''] } });
    expect(authorization((await loadCredentials(file).credentials()).options)).to.equal('Bearer from-exec');
  });

  it('when KUBECONFIG names the file, then it is used; when the named file is missing, then loading throws at once', () => {
    const file = kubeconfig(dir, { token: 'abc' });
    expect(() => loadCredentials(undefined, { KUBECONFIG: file, HOME: dir })).not.to.throw();
    expect(() => loadCredentials(path.join(dir, 'missing'))).to.throw(/ENOENT/);
    expect(() => loadCredentials(undefined, { KUBECONFIG: path.join(dir, 'missing'), HOME: dir })).to.throw(/ENOENT/);
  });
});

// certs/generate.sh: what it writes, and that it is idempotent.
import { readFile } from 'node:fs/promises';
import { X509Certificate } from 'node:crypto';
import { join } from 'node:path';
import { expect } from 'chai';
import { generateCerts, removeDir, type CertDir } from './support.js';

const certOf = async (file: string): Promise<X509Certificate> => new X509Certificate(await readFile(file));

describe('certs/generate.sh', function () {
  this.timeout(20_000);
  let certs: CertDir;
  before(async () => (certs = await generateCerts()));
  after(async () => removeDir(certs.dir));

  it('when run, then the serving certificate names every form of the Service plus the extra SANs, signed by the CA', async () => {
    const [ca, leaf] = await Promise.all([certOf(join(certs.dir, 'ca.crt')), certOf(certs.cert)]);
    expect(leaf.verify(ca.publicKey)).to.equal(true);
    expect(leaf.ca).to.equal(false);
    for (const name of ['DNS:davy-webhook', 'DNS:davy-webhook.davy-system', 'DNS:davy-webhook.davy-system.svc', 'DNS:davy-webhook.davy-system.svc.cluster.local', 'DNS:localhost', 'IP Address:127.0.0.1']) {
      expect(leaf.subjectAltName).to.include(name);
    }
  });

  it('when run, then both WebhookConfigurations get the CA as caBundle, in the kustomize overlay and the rendered file', async () => {
    const bundle = (await readFile(join(certs.dir, 'ca.crt'))).toString('base64');
    expect((await readFile(join(certs.dir, 'ca-bundle.b64'), 'utf8')).trim()).to.equal(bundle);
    const kustomization = await readFile(join(certs.dir, 'kustomization.yaml'), 'utf8');
    expect(kustomization.split(bundle)).to.have.length(3);
    const rendered = await readFile(join(certs.dir, 'webhook-configurations.yaml'), 'utf8');
    expect(rendered).to.include('kind: MutatingWebhookConfiguration').and.include('kind: ValidatingWebhookConfiguration');
    expect(rendered.split(`caBundle: "${bundle}"`)).to.have.length(3);
  });

  it('when run again with the same flags, then nothing changes; with other SANs, only the serving certificate; with --force, the CA too', async () => {
    const read = async () => ({ ca: (await certOf(join(certs.dir, 'ca.crt'))).fingerprint256, leaf: (await certOf(certs.cert)).fingerprint256 });
    const first = await read();
    await generateCerts(certs.dir);
    expect(await read()).to.deep.equal(first);
    await generateCerts(certs.dir, '--san', 'DNS:extra.example');
    const resigned = await read();
    expect(resigned.ca).to.equal(first.ca);
    expect(resigned.leaf).to.not.equal(first.leaf);
    await generateCerts(certs.dir, '--force');
    expect((await read()).ca).to.not.equal(first.ca);
  });

  it('when --webhook-url is given, then the rendered configurations call that URL', async () => {
    const other = await generateCerts(undefined, '--webhook-url', 'https://127.0.0.1:8443');
    try {
      const rendered = await readFile(join(other.dir, 'webhook-configurations.yaml'), 'utf8');
      expect(rendered).to.include('url: "https://127.0.0.1:8443/mutate"').and.include('url: "https://127.0.0.1:8443/validate"');
      expect(rendered).to.not.match(/clientConfig: \{service/);
    } finally {
      await removeDir(other.dir);
    }
  });
});

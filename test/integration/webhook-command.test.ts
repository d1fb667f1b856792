// `davy webhook` end to end in-process: flags, the real validator, and shutdown on request.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import { runWebhook } from '../../src/cli/webhook.js';
import type { RunningWebhook } from '../../src/admission/server.js';
import type { AdmissionReviewResponse } from '../../src/admission/review.js';
import { silentLogger } from '../../src/telemetry/logger.js';
import { fixtureText } from '../fixtures/admission/index.js';
import { deferred, eventually, generateCerts, getMetrics, removeDir, send, type CertDir } from './support.js';

const sink = (): NodeJS.WritableStream & { text: string } => {
  const out = { text: '', write: (chunk: string) => ((out.text += chunk), true) };
  return out as unknown as NodeJS.WritableStream & { text: string };
};

describe('davy webhook (the command)', function () {
  this.timeout(20_000);
  let certs: CertDir;
  before(async () => (certs = await generateCerts()));
  after(async () => removeDir(certs.dir));

  const argv = () => ['--port', '0', '--metrics-port', '0', '--bind-address', '127.0.0.1', '--tls-cert', certs.cert, '--tls-key', certs.key];

  it('when started and then asked to stop, then it validates with the real validator and exits 0', async () => {
    const stop = new AbortController();
    const listening = deferred<RunningWebhook>();
    const exit = runWebhook(argv(), {}, { logger: silentLogger(), stop: stop.signal, onListening: listening.resolve });
    const webhook = await listening.promise;

    const body = JSON.parse(fixtureText('canary-create'));
    body.request.object.spec.analysis.stepWeight = 'ten';
    const reply = await send(webhook.port, certs.ca, '/validate', JSON.stringify(body));
    const { response } = reply.json as AdmissionReviewResponse;
    expect(response.allowed).to.equal(false);
    expect(response.status!.message).to.include('spec.analysis.stepWeight');
    const valid = await send(webhook.port, certs.ca, '/validate', fixtureText('canary-create'));
    expect((valid.json as AdmissionReviewResponse).response.allowed, JSON.stringify(valid.json)).to.equal(true);
    expect((await getMetrics(webhook.metricsPort)).text).to.include('davy_webhook_requests_total{path="/validate",verdict="denied"} 1');

    stop.abort();
    expect(await exit).to.equal(0);
  });

  it('when --record-reviews is given, then every review is written to the directory as it was sent', async () => {
    const dir = join(certs.dir, 'recorded');
    const stop = new AbortController();
    const listening = deferred<RunningWebhook>();
    const exit = runWebhook([...argv(), '--record-reviews', dir], {}, { logger: silentLogger(), stop: stop.signal, onListening: listening.resolve });
    const webhook = await listening.promise;
    const sent = fixtureText('deployment-set-image');
    try {
      await send(webhook.port, certs.ca, '/mutate', sent);
      // A recorded file is whole as soon as its name is listed (written under a hidden name first).
      const files = await eventually('a recorded review', async () => {
        const names = (await readdir(dir).catch(() => [])).filter((name) => !name.startsWith('.'));
        return names.length === 1 ? names : undefined;
      });
      expect(files[0]).to.match(/^00001-mutate-deployment-update-/);
      expect(await readFile(join(dir, files[0]!), 'utf8')).to.equal(sent);
    } finally {
      // Also when an expectation failed: a server left listening would keep mocha from exiting.
      stop.abort();
    }
    expect(await exit).to.equal(0);
  });

  it('when a flag is wrong, then it prints the usage and exits 2', async () => {
    const stderr = sink();
    expect(await runWebhook(['--port', 'x'], {}, { stderr })).to.equal(2);
    expect(stderr.text).to.include('Usage: davy webhook');
  });

  it('when --help is asked, then it prints the usage and exits 0', async () => {
    const stdout = sink();
    expect(await runWebhook(['--help'], {}, { stdout })).to.equal(0);
    expect(stdout.text).to.include('--stepper-identity');
  });

  it('when the certificate files do not exist, then it exits 1 without listening', async () => {
    const code = await runWebhook(['--port', '0', '--metrics-port', '0', '--tls-cert', '/nonexistent/tls.crt', '--tls-key', '/nonexistent/tls.key'], {}, { logger: silentLogger(), stop: new AbortController().signal });
    expect(code).to.equal(1);
  });
});

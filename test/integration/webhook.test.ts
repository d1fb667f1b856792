// The webhook over real HTTPS on ephemeral ports, with certificates made by certs/generate.sh.
import { expect } from 'chai';
import type { RunningWebhook } from '../../src/admission/server.js';
import type { AdmissionReviewResponse } from '../../src/admission/review.js';
import { applyJsonPatch, fixtureText, responsePatch, workload } from '../fixtures/admission/index.js';
import { generateCerts, getMetrics, handshake, removeDir, send, startTestWebhook, type CertDir } from './support.js';

const review = (reply: { json: unknown }): AdmissionReviewResponse => reply.json as AdmissionReviewResponse;

describe('webhook over HTTPS', function () {
  this.timeout(20_000);
  let certs: CertDir;
  let webhook: RunningWebhook;
  let validateCalls = 0;

  before(async () => {
    certs = await generateCerts();
    webhook = await startTestWebhook(certs, {
      validate: (object) => {
        validateCalls += 1;
        const spec = object.spec as Record<string, unknown>;
        if (spec.provider === 'explode') return Promise.reject(new Error('cluster lookup failed'));
        return Promise.resolve(
          spec.provider === 'bogus'
            ? { errors: [{ path: 'spec.provider', type: 'NotSupported', value: 'bogus', detail: '' }, { path: 'spec.service.port', type: 'Required', detail: '' }], warnings: ['w1'] }
            : { errors: [], warnings: [] },
        );
      },
    });
  });
  after(async () => {
    await webhook.shutdown('test over');
    await removeDir(certs.dir);
  });

  it('when a client verifies against the generated CA, then TLS 1.2+ is negotiated with the generated certificate', async () => {
    const { protocol, fingerprint } = await handshake(webhook.port, certs.ca);
    expect(['TLSv1.2', 'TLSv1.3']).to.include(protocol);
    expect(fingerprint).to.equal(webhook.fingerprint());
  });

  it('when a client offers at most TLS 1.1, then the handshake fails', async () => {
    let failed = false;
    await handshake(webhook.port, certs.ca, { maxVersion: 'TLSv1.1' }).catch(() => (failed = true));
    expect(failed).to.equal(true);
  });

  it('when /mutate gets a kubectl set image review, then it answers the same uid with a patch that holds the rollout', async () => {
    const reply = await send(webhook.port, certs.ca, '/mutate', fixtureText('deployment-set-image'));
    expect(reply.status).to.equal(200);
    expect(reply.contentType).to.match(/^application\/json/);
    const { response } = review(reply);
    expect(response).to.include({ allowed: true, patchType: 'JSONPatch' });
    expect(response.uid).to.equal(JSON.parse(fixtureText('deployment-set-image')).request.uid);
    const object = JSON.parse(fixtureText('deployment-set-image')).request.object;
    expect(workload(applyJsonPatch(object, responsePatch(review(reply)))).spec.paused).to.equal(true);
  });

  it('when /validate gets an invalid Canary, then one deny lists both errors and carries the warning', async () => {
    const body = JSON.parse(fixtureText('canary-create'));
    body.request.object.spec.provider = 'bogus';
    const { response } = review(await send(webhook.port, certs.ca, '/validate', JSON.stringify(body)));
    expect(response.allowed).to.equal(false);
    expect(response.status).to.include({ code: 422 });
    expect(response.status!.message).to.include('spec.provider: Unsupported value: "bogus"').and.include('spec.service.port: Required value');
    expect(response.warnings).to.deep.equal(['w1']);
  });

  it('when /validate gets a valid Canary, then it is allowed', async () => {
    const reply = await send(webhook.port, certs.ca, '/validate', fixtureText('canary-create'));
    expect(review(reply).response).to.include({ allowed: true });
  });

  const badBodies: [string, string, string][] = [
    ['garbage', 'definitely { not json', 'NotJson'],
    ['a review without uid', JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { operation: 'UPDATE' } }), 'NoUid'],
    ['another kind', JSON.stringify({ apiVersion: 'v1', kind: 'Pod' }), 'NotAnAdmissionReview'],
    ['no body at all', '', 'NotJson'],
  ];
  for (const [what, body, code] of badBodies) {
    it(`when a review endpoint gets ${what}, then it answers 400 with a JSON error ${code}`, async () => {
      for (const path of ['/mutate', '/validate']) {
        const reply = await send(webhook.port, certs.ca, path, body);
        expect(reply.status).to.equal(400);
        expect(reply.contentType).to.match(/^application\/json/);
        expect(reply.json).to.have.nested.property('error.code', code);
      }
    });
  }

  it('when the body is 5 MB, then it answers 413 with a JSON error and keeps serving', async () => {
    const reply = await send(webhook.port, certs.ca, '/mutate', Buffer.alloc(5_000_000, 0x20));
    expect(reply.status).to.equal(413);
    expect(reply.json).to.have.nested.property('error.code', 'BodyTooLarge');
    expect((await send(webhook.port, certs.ca, '/healthz', undefined, { method: 'GET' })).status).to.equal(200);
  });

  it('when the validator throws, then the review is a JSON deny for its uid (fail closed), not a 500', async () => {
    const body = JSON.parse(fixtureText('canary-create'));
    body.request.object.spec.provider = 'explode';
    const reply = await send(webhook.port, certs.ca, '/validate', JSON.stringify(body));
    expect(reply.status).to.equal(200);
    expect(review(reply).response).to.deep.include({ uid: body.request.uid, allowed: false });
    expect(review(reply).response.status).to.include({ code: 500, reason: 'InternalError' });
    expect(review(reply).response.status!.message).to.include('cluster lookup failed');
  });

  it('when the request fields are malformed but the uid is there, then it is a deny for that uid', async () => {
    const body = JSON.parse(fixtureText('deployment-set-image'));
    body.request.operation = 'PATCH';
    const reply = await send(webhook.port, certs.ca, '/mutate', JSON.stringify(body));
    expect(reply.status).to.equal(200);
    expect(review(reply).response).to.deep.include({ uid: body.request.uid, allowed: false });
  });

  it('when an unknown path or a GET on a review path is asked, then 404 or 405 JSON answers', async () => {
    const missing = await send(webhook.port, certs.ca, '/nope', '{}');
    expect([missing.status, missing.json]).to.have.nested.property('[1].error.code', 'NotFound');
    const get = await send(webhook.port, certs.ca, '/mutate', undefined, { method: 'GET' });
    expect(get.status).to.equal(405);
    expect(get.json).to.have.nested.property('error.code', 'MethodNotAllowed');
  });

  it('when probed, then /healthz and /readyz answer 200 JSON', async () => {
    for (const path of ['/healthz', '/readyz']) {
      const reply = await send(webhook.port, certs.ca, path, undefined, { method: 'GET' });
      expect([reply.status, reply.contentType.startsWith('application/json')]).to.deep.equal([200, true]);
    }
  });

  it('when the metrics port is scraped, then davy_webhook_* series carry path and verdict', async () => {
    await send(webhook.port, certs.ca, '/mutate', fixtureText('deployment-scale-while-held'));
    const { status, text } = await getMetrics(webhook.metricsPort);
    expect(status).to.equal(200);
    expect(text).to.match(/davy_webhook_request_duration_seconds_bucket\{le="[^"]+",path="\/mutate",verdict="patched"\}/);
    expect(text).to.match(/davy_webhook_requests_total\{path="\/mutate",verdict="allowed"\} \d+/);
    expect(text).to.match(/davy_webhook_requests_total\{path="\/mutate",verdict="error"\} \d+/);
    expect(text).to.include('process_cpu_user_seconds_total');
    expect(validateCalls).to.be.greaterThan(0);
  });
});

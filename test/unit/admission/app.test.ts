// createApp's express settings and the message classes server.ts builds its HTTPS server with.
import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { expect } from 'chai';
import { createApp, messageClasses } from '../../../src/admission/app.js';
import { stepperIdentity } from '../../../src/admission/mutate.js';
import { silentLogger } from '../../../src/telemetry/logger.js';
import { WebhookMetrics } from '../../../src/telemetry/webhook-metrics.js';

const app = () =>
  createApp({
    logger: silentLogger(),
    metrics: new WebhookMetrics({ defaultMetrics: false }),
    stepperIdentity: stepperIdentity([]),
    validate: () => Promise.resolve({ errors: [], warnings: [] }),
    isReady: () => true,
  });

describe('webhook app', () => {
  it('when built, then it is lean: exact paths, no ETag, no x-powered-by, no query parser', () => {
    const built = app();
    expect(built.enabled('case sensitive routing'), 'case sensitive routing').to.equal(true);
    expect(built.enabled('strict routing'), 'strict routing').to.equal(true);
    expect(built.enabled('x-powered-by'), 'x-powered-by').to.equal(false);
    expect(built.get('etag'), 'etag').to.equal(false);
    expect(built.get('query parser'), 'query parser').to.equal(false);
  });

  it('when the server makes a request and a response, then they already have the app\'s prototypes and are still Node\'s messages', () => {
    const built = app();
    const classes = messageClasses(built);
    const socket = new Socket();
    const req = new classes.IncomingMessage(socket);
    const res = new classes.ServerResponse(req);
    // Express's own Object.setPrototypeOf(req, app.request) is then a no-op.
    expect(Object.getPrototypeOf(req)).to.equal(built.request);
    expect(Object.getPrototypeOf(res)).to.equal(built.response);
    expect(req).to.be.instanceOf(IncomingMessage);
    expect(res).to.be.instanceOf(ServerResponse);
    expect(req.socket).to.equal(socket);
    expect(res.req).to.equal(req);
    socket.destroy();
  });
});

// The servers under test for bench/mutate.bench.ts, in a child process of their own so the load
// loop does not share their event loop: the real webhook (startWebhookServer, JSON logs at info
// into a sink, metrics on) and a bare express HTTPS endpoint that echoes the body it receives
// (the reference the targets name), plus the same echo on a server built with the app's
// prototypes as the webhook's is (messageClasses), to show how much of the gap that accounts for.
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import express, { type Express } from 'express';
import { messageClasses } from '../../src/admission/app.js';
import { startWebhookServer } from '../../src/admission/server.js';
import { createLogger } from '../../src/telemetry/logger.js';

export interface ServerPorts {
  webhook: number;
  bare: number;
  /** The same echo, its requests made with the app's prototypes. */
  bareProto: number;
}

const [certFile, keyFile] = process.argv.slice(2);
if (!certFile || !keyFile || !process.send) {
  process.stderr.write('usage: forked by bench/mutate.bench.ts with <tls.crt> <tls.key>\n');
  process.exit(2);
}

/** Logs are formatted and written as in production, then dropped. */
const sink = new Writable({ write: (_chunk, _encoding, done) => done() });

const webhook = await startWebhookServer(
  {
    port: 0,
    metricsPort: 0,
    bindAddress: '127.0.0.1',
    tlsCert: certFile,
    tlsKey: keyFile,
    stepperIdentities: ['system:serviceaccount:davy-system:davy-stepper'],
    drainTimeoutMs: 5_000,
  },
  {
    logger: createLogger({ level: 'info', stream: sink, defaultMeta: { component: 'webhook' } }),
    validate: () => Promise.resolve({ errors: [], warnings: [] }),
  },
);

function echoApp(): Express {
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  app.post('/echo', express.raw({ type: () => true, limit: 4 * 1024 * 1024 }), (req, res) => {
    res.type('application/json').send(req.body);
  });
  return app;
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

const tls = { cert: readFileSync(certFile), key: readFileSync(keyFile), minVersion: 'TLSv1.2' } as const;
const bare: Server = createServer(tls, echoApp());
const protoApp = echoApp();
const bareProto: Server = createServer({ ...tls, ...messageClasses(protoApp) }, protoApp);

const ports: ServerPorts = { webhook: webhook.port, bare: await listen(bare), bareProto: await listen(bareProto) };
process.send(ports);
// The parent asks for this process's CPU time around each measured load: CPU per request is the
// servers' own cost, which contention on a shared host does not inflate the way it does latency.
process.on('message', (message) => {
  if (message === 'cpu') process.send?.({ cpu: process.cpuUsage() });
});
process.on('disconnect', () => {
  bare.close();
  bareProto.close();
  void webhook.shutdown('bench over').then(() => process.exit(0));
});

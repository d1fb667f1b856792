// The servers under test for bench/mutate.bench.ts, in a child process of their own so the load
// loop does not share their event loop: the real webhook (startWebhookServer, JSON logs at info
// into a sink, metrics on) and a bare express HTTPS endpoint that echoes the body it receives.
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import express from 'express';
import { startWebhookServer } from '../../src/admission/server.js';
import { createLogger } from '../../src/telemetry/logger.js';

export interface ServerPorts {
  webhook: number;
  bare: number;
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

const app = express();
app.disable('x-powered-by');
app.disable('etag');
app.post('/echo', express.raw({ type: () => true, limit: 4 * 1024 * 1024 }), (req, res) => {
  res.type('application/json').send(req.body);
});
const bare: Server = createServer({ cert: readFileSync(certFile), key: readFileSync(keyFile), minVersion: 'TLSv1.2' }, app);
await new Promise<void>((resolve) => bare.listen(0, '127.0.0.1', resolve));

const ports: ServerPorts = { webhook: webhook.port, bare: (bare.address() as AddressInfo).port };
process.send(ports);
// The parent asks for this process's CPU time around each measured load: CPU per request is the
// servers' own cost, which contention on a shared host does not inflate the way it does latency.
process.on('message', (message) => {
  if (message === 'cpu') process.send?.({ cpu: process.cpuUsage() });
});
process.on('disconnect', () => {
  bare.close();
  void webhook.shutdown('bench over').then(() => process.exit(0));
});

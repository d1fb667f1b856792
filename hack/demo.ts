// `make demo`: a canary release that succeeds and one that rolls back, live, on a local control
// plane (started around this program by hack/with-cluster.sh). KEEP=1 leaves it all running.
import { startEnvironment } from '../test/harness/environment.js';
import { runDemo } from '../test/harness/demo.js';

const keep = process.env.DEMO_KEEP === '1';
const env = await startEnvironment();
const started = Date.now();
let code = 0;
let stopDemo: (() => Promise<void>) | undefined;
try {
  const { result, stop } = await runDemo(env, { out: process.stdout, headless: !process.stdout.isTTY, realNode: process.env.DAVY_E2E_REAL_NODE === '1' });
  stopDemo = stop;
  process.stdout.write(`\nDone in ${Math.round((Date.now() - started) / 1000)}s: ${result.phases.join(', then ')}.\n`);
} catch (error) {
  code = 1;
  process.stderr.write(`demo failed: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
}
if (keep) {
  process.stdout.write(`\nKEEP=1: everything keeps running. Try:\n  export KUBECONFIG=${env.cluster.kubeconfig}\n  kubectl get canaries -A\n  npx davy status podinfo -n test\n  npx davy retry podinfo -n test\nPress Ctrl-C to stop it all.\n`);
  await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
}
await stopDemo?.();
await env.stop();
process.exitCode = code;

// Mocha root hooks for the e2e run: one environment (exporter, Prometheus, CRDs, RBAC, webhook)
// for all tests on the control plane hack/e2e.sh started, stopped at the end whatever happened.
import { startEnvironment, type Environment } from '../harness/environment.js';

let env: Environment | undefined;

/** The shared e2e environment, available inside tests and their hooks. */
export function e2e(): Environment {
  if (!env) throw new Error('the e2e environment is not started (run through `make test-e2e`)');
  return env;
}

export const mochaHooks = {
  async beforeAll(this: Mocha.Context): Promise<void> {
    this.timeout(120_000);
    env = await startEnvironment();
  },
  async afterAll(this: Mocha.Context): Promise<void> {
    this.timeout(60_000);
    await env?.stop();
    env = undefined;
  },
};

// Mocha root hooks for the in-cluster suite: a control plane with a real node (hack/e2e.sh starts
// it with DAVY_REAL_NODE=1) and Davy installed from deploy/ with its own image, as a user would.
// Nothing of Davy runs on the host here.
import path from 'node:path';
import { Cluster } from '../harness/cluster.js';
import { installDavy, type Installed } from '../harness/install.js';

export interface ClusterEnvironment {
  cluster: Cluster;
  installed: Installed;
  stateDir: string;
}

let env: ClusterEnvironment | undefined;

export function inCluster(): ClusterEnvironment {
  if (!env) throw new Error('the in-cluster environment is not started (run through `make test-e2e`)');
  return env;
}

export const mochaHooks = {
  async beforeAll(this: Mocha.Context): Promise<void> {
    this.timeout(300_000);
    if (process.env.DAVY_E2E_REAL_NODE !== '1') {
      throw new Error('the in-cluster suite needs a real node: run it through hack/e2e.sh (DAVY_REAL_NODE=1)');
    }
    const stateDir = process.env.DAVY_E2E_STATE!;
    const cluster = Cluster.fromEnv();
    const installed = await installDavy(cluster, path.join(stateDir, 'install'));
    env = { cluster, installed, stateDir };
  },
  afterAll(): void {
    env?.cluster.close();
    env = undefined;
  },
};

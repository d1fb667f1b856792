// deploy/webhook/base's two webhook configurations skip exactly the stepper's identity (issue 15):
// its writes would pass as sent (/mutate rule 1) or unvalidated (its spec never changes), so the
// apiserver does not call the webhook for them. The name skipped must be the one the webhook
// treats as the stepper, or that identity would bypass the state guard.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { parse as parseYaml } from 'yaml';
import { DEFAULT_STEPPER_IDENTITY } from '../../../src/config/webhook.js';

const BASE = fileURLToPath(new URL('../../../deploy/webhook/base/', import.meta.url));
const load = <T>(file: string): T => parseYaml(readFileSync(join(BASE, file), 'utf8')) as T;

interface WebhookConfiguration {
  webhooks: { name: string; matchConditions?: { name: string; expression: string }[] }[];
}
interface Deployment {
  spec: { template: { spec: { containers: { env?: { name: string; value: string }[] }[] } } };
}

describe('deploy/webhook/base matchConditions', () => {
  it('when the apiserver reads either configuration, then only requests of the webhook\'s stepper identity skip the webhook', () => {
    const env = load<Deployment>('deployment.yaml').spec.template.spec.containers.flatMap((c) => c.env ?? []);
    expect(env.find((e) => e.name === 'DAVY_STEPPER_IDENTITY')?.value).to.equal(DEFAULT_STEPPER_IDENTITY);
    for (const file of ['mutating.yaml', 'validating.yaml']) {
      for (const webhook of load<WebhookConfiguration>(file).webhooks) {
        expect(webhook.matchConditions, `${file} ${webhook.name}`).to.deep.equal([
          { name: 'not-the-stepper', expression: `request.userInfo.username != '${DEFAULT_STEPPER_IDENTITY}'` },
        ]);
      }
    }
  });
});

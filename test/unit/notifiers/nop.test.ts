// The no-op notifier: what canaries without alerts get.
import { expect } from 'chai';
import { nopNotifier } from '../../../src/notifiers/nop.js';

describe('nop notifier', () => {
  it('when a notification is posted, then it is dropped and reported delivered', async () => {
    const result = await nopNotifier.post({
      canary: { name: 'podinfo', namespace: 'test' },
      message: 'New revision detected, progressing canary analysis.',
      severity: 'info',
      fields: [{ name: 'Target', value: 'Deployment/podinfo.test' }],
    });
    expect(result).to.deep.equal({ ok: true });
  });
});

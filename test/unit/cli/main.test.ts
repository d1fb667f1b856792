// The command table: every operator command is listed in the usage and answers --help, whether
// run as `davy` or as the kubectl plugin (kubectl runs `kubectl-davy` with the same arguments).

import { expect } from 'chai';
import { main, USAGE } from '../../../src/cli/main.js';

/** Runs main with process.stdout captured. */
async function captured(argv: string[]): Promise<{ code: number; out: string }> {
  const write = process.stdout.write.bind(process.stdout);
  let out = '';
  process.stdout.write = (chunk: string | Uint8Array) => {
    out += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    return true;
  };
  try {
    return { code: await main(argv), out };
  } finally {
    process.stdout.write = write;
  }
}

const OPERATOR_COMMANDS = ['simulate', 'status', 'promote', 'abort', 'retry', 'pause', 'resume'];

describe('davy command table', () => {
  it('when the usage is printed, then it lists the operator commands and the kubectl plugin form', () => {
    for (const name of OPERATOR_COMMANDS) expect(USAGE).to.match(new RegExp(`^  ${name} +\\S`, 'm'));
    expect(USAGE).to.include('kubectl davy <command> [flags]');
  });

  for (const name of OPERATOR_COMMANDS) {
    it(`when \`${name} --help\` is run, then its usage is printed and it exits 0`, async () => {
      const r = await captured([name, '--help']);
      expect(r.code).to.equal(0);
      expect(r.out).to.match(new RegExp(`^Usage: davy ${name} `));
    });
  }
});

// A stepper or webhook process that an error nobody handled is ending says so in one JSON line,
// as it logs everything else, and exits 1 as node would (src/telemetry/fatal.ts).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';

const FATAL = fileURLToPath(new URL('../../src/telemetry/fatal.ts', import.meta.url));

/** Runs `body` in a fresh node after endOnUnhandled('stepper'): its exit code and stderr. */
function dying(body: string): { status: number | null; stderr: string } {
  const script = `import(${JSON.stringify(FATAL)}).then((m) => { m.endOnUnhandled('stepper'); ${body} });`;
  const run = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], { encoding: 'utf8', timeout: 30_000 });
  return { status: run.status, stderr: run.stderr };
}

describe('the end of a process by an error nobody handled', function () {
  this.timeout(60_000);

  for (const [what, body, message] of [
    ['a rejected promise nobody awaits', 'Promise.reject(new Error("socket hang up"));', 'a promise rejected with nobody to hear it; the process ends'],
    ['an exception thrown from a timer', 'setTimeout(() => { throw new TypeError("boom"); }, 0);', 'an exception nobody caught; the process ends'],
  ] as const) {
    it(`when ${what}, then the process exits 1 with one JSON line naming the error and its stack`, () => {
      const { status, stderr } = dying(body);
      expect(status).to.equal(1);
      const lines = stderr.trim().split('\n');
      expect(lines, stderr).to.have.length(1);
      const line = JSON.parse(lines[0]!) as { component: string; level: string; message: string; error: { message: string; stack: string }; timestamp: string };
      expect(line).to.deep.include({ component: 'stepper', level: 'error', message });
      expect(line.error.message).to.equal(body.includes('boom') ? 'boom' : 'socket hang up');
      expect(line.error.stack).to.match(/\n\s+at /);
      expect(Date.parse(line.timestamp)).to.be.a('number').and.not.NaN;
    });
  }
});

// Child processes the harness owns: started with their output in a log file, stopped by PID.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

/**
 * The arguments to `node` that run the davy CLI: the bundle hack/e2e.sh and hack/demo.sh build
 * (DAVY_CLI, the file the product ships), or else the sources through tsx, for a mocha run by hand.
 */
export function davyCli(): string[] {
  const bundle = process.env.DAVY_CLI;
  return bundle ? [path.resolve(bundle)] : ['--import', 'tsx', path.resolve(import.meta.dirname, '../../src/cli/index.ts')];
}

/** Runs `davy ARGS --kubeconfig KUBECONFIG` as a user would; resolves with its exit code and output (stdout and stderr). */
export function runDavy(kubeconfig: string, ...args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...davyCli(), ...args, '--kubeconfig', kubeconfig]);
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('close', (code) => resolve({ code: code ?? -1, out }));
  });
}

export interface Managed {
  child: ChildProcess;
  logFile: string;
  stop(): Promise<void>;
  /** The last lines of the log, for error messages. */
  tail(lines?: number): string;
}

export function startProcess(command: string, args: string[], logFile: string, env: NodeJS.ProcessEnv = process.env): Managed {
  const out = fs.openSync(logFile, 'a');
  const child = spawn(command, args, { stdio: ['ignore', out, out], env });
  fs.closeSync(out);
  const tail = (lines = 30): string => {
    try {
      return fs.readFileSync(logFile, 'utf8').split('\n').slice(-lines).join('\n');
    } catch {
      return '';
    }
  };
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };
  return { child, logFile, stop, tail };
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Polls `check` until it returns a value other than undefined, or throws after `timeoutMs`. */
export async function eventually<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 30_000, everyMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      const reason = last instanceof Error ? `: ${last.message}` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${reason}`, { cause: last });
    }
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

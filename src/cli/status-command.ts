// `davy status`: the composition root wiring runStatus to the kubeconfig, the process's streams,
// the clock, and Ctrl-C (caught only while watching).
import { setTimeout as delay } from 'node:timers/promises';
import { cliEnvironment, programName } from '../config/cli.js';
import { paintFor } from './format/ansi.js';
import { kubeconfigConnect } from './status-kube.js';
import { runStatus } from './status.js';

export async function statusCommand(argv: string[]): Promise<number> {
  const env = cliEnvironment(process.env);
  const tty = process.stdout.isTTY === true;
  let stopWatching: (() => void) | undefined;
  try {
    return await runStatus(argv, {
      stdout: (text) => process.stdout.write(text),
      stderr: (text) => process.stderr.write(text),
      connect: kubeconfigConnect(env),
      paint: paintFor(tty, env.noColor),
      program: programName(process.argv[1]),
      now: () => new Date(),
      sleep: (ms, signal) => delay(ms, undefined, { signal }).catch(() => undefined),
      screen: {
        write: (text) => process.stdout.write(text),
        ...(tty ? { size: () => ({ columns: process.stdout.columns || 80, rows: process.stdout.rows || 24 }) } : {}),
      },
      interrupt: () => {
        const controller = new AbortController();
        const onSigint = (): void => controller.abort();
        process.once('SIGINT', onSigint);
        stopWatching = () => process.off('SIGINT', onSigint);
        return controller.signal;
      },
    });
  } finally {
    stopWatching?.();
  }
}

// The last words of a long-running Davy process that an error nobody handled is ending. Node would
// print a bare stack and exit 1; the stepper and the webhook write every other line as JSON (a
// log pipeline keeps a JSON line whole, with its stack), so this one is JSON too, and the exit is
// the same. Nothing is lost by the exit: the stepper's next run converges from the cluster, and
// the webhook's Deployment restarts it.
import { writeSync } from 'node:fs';

/** The JSON log line for `error`, in the loggers' shape (telemetry/logger.ts). */
export function fatalLine(component: string, what: string, error: unknown, now = new Date()): string {
  const described = error instanceof Error ? { name: error.name, message: error.message, stack: error.stack } : { message: String(error) };
  return `${JSON.stringify({ component, level: 'error', message: `${what}; the process ends`, error: described, timestamp: now.toISOString() })}\n`;
}

/** From now on, an uncaught exception or unhandled rejection ends the process with one JSON line and exit code 1. */
export function endOnUnhandled(component: string): void {
  const end = (what: string) => (error: unknown): void => {
    try {
      writeSync(2, fatalLine(component, what, error));
    } catch {
      // stderr is gone (a closed pipe): the exit code alone says it.
    }
    process.exit(1);
  };
  process.on('uncaughtException', end('an exception nobody caught'));
  process.on('unhandledRejection', end('a promise rejected with nobody to hear it'));
}

// `davy promote|abort|retry|pause|resume`: the composition root wiring runAction to the
// kubeconfig, the process's streams, the clock and a random nonce.
import { randomBytes } from 'node:crypto';
import { cliEnvironment, programName } from '../config/cli.js';
import { runAction } from './actions.js';
import type { Verb } from './actions-plan.js';
import { kubeconfigConnect } from './status-kube.js';

export function actionCommand(verb: Verb): (argv: string[]) => Promise<number> {
  return (argv) =>
    runAction(verb, argv, {
      stdout: (text) => process.stdout.write(text),
      stderr: (text) => process.stderr.write(text),
      connect: kubeconfigConnect(cliEnvironment(process.env)),
      now: () => new Date(),
      nonce: () => randomBytes(8).toString('hex'),
      program: programName(process.argv[1]),
    });
}

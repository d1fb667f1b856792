// `davy simulate`: the composition root wiring runSimulate to the process's files and streams.
import fs from 'node:fs/promises';
import { cliEnvironment, programName } from '../config/cli.js';
import { paintFor } from './format/ansi.js';
import { runSimulate } from './simulate.js';

export async function simulateCommand(argv: string[]): Promise<number> {
  const env = cliEnvironment(process.env);
  return runSimulate(argv, {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    readFile: (path) => fs.readFile(path, 'utf8'),
    readStdin: async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks).toString('utf8');
    },
    paint: paintFor(process.stdout.isTTY === true, env.noColor),
    program: programName(process.argv[1]),
  });
}

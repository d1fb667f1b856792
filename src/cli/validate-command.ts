// `davy validate`: the composition root wiring runValidate to the process's files, streams and,
// for --cluster, the real API server.
import fs from 'node:fs/promises';
import { runValidate } from './validate.js';
import { NodeKubeClient } from '../kube/node-client.js';

export async function validateCommand(argv: string[]): Promise<number> {
  let client: NodeKubeClient | undefined;
  try {
    return await runValidate(argv, {
      stdout: (text) => process.stdout.write(text),
      stderr: (text) => process.stderr.write(text),
      readFile: (path) => fs.readFile(path, 'utf8'),
      readStdin: async () => {
        const chunks: Buffer[] = [];
        for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
        return Buffer.concat(chunks).toString('utf8');
      },
      clusterLookup: () => (client = NodeKubeClient.fromKubeconfig({ kubeconfig: process.env.KUBECONFIG })),
    });
  } finally {
    client?.close();
  }
}

// The `davy` command (also installed as the kubectl plugin `kubectl-davy`). Each subcommand is
// its own composition root, loaded on demand so a command pays only for the modules it uses.

type Command = (argv: string[]) => Promise<number>;

interface CommandEntry {
  summary: string;
  load: () => Promise<Command>;
}

const COMMANDS: Record<string, CommandEntry> = {
  webhook: {
    summary: 'serve the admission webhook (POST /validate, POST /mutate) over TLS',
    load: async () => {
      const { runWebhook } = await import('./webhook.js');
      return (argv) => runWebhook(argv, process.env);
    },
  },
  validate: {
    summary: 'validate Canary, MetricTemplate and AlertProvider manifests (-f FILE|-)',
    load: async () => (await import('./validate-command.js')).validateCommand,
  },
};

export const USAGE = `davy: progressive delivery for Kubernetes, speaking Flagger's API

Usage:
  davy <command> [flags]

Commands:
${Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`).join('\n')}

Run 'davy <command> --help' for the flags of a command.
`;

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(USAGE);
    return name ? 0 : 2;
  }
  if (name === '--version' || name === 'version') {
    const { readFile } = await import('node:fs/promises');
    const pkg = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    process.stdout.write(`davy ${pkg.version}\n`);
    return 0;
  }
  const entry = COMMANDS[name];
  if (!entry) {
    process.stderr.write(`davy: unknown command "${name}"\n\n${USAGE}`);
    return 2;
  }
  const command = await entry.load();
  return command(rest);
}

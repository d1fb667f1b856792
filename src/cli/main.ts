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
  step: {
    summary: 'step the canaries: analyse, promote or roll back (--once | --for D | --watch)',
    load: async () => {
      const { runStep } = await import('./step.js');
      return (argv) => runStep(argv, process.env);
    },
  },
  validate: {
    summary: 'validate Canary, MetricTemplate and AlertProvider manifests (-f FILE|-)',
    load: async () => (await import('./validate-command.js')).validateCommand,
  },
  simulate: {
    summary: 'the timeline a Canary would follow for a new revision, no cluster needed (-f FILE)',
    load: async () => (await import('./simulate-command.js')).simulateCommand,
  },
  status: {
    summary: 'where each release stands: the canaries of a namespace, or one in detail (--watch)',
    load: async () => (await import('./status-command.js')).statusCommand,
  },
  promote: {
    summary: 'skip the rest of the analysis of NAME and promote it',
    load: async () => (await import('./actions-command.js')).actionCommand('promote'),
  },
  abort: {
    summary: 'roll back the revision under analysis of NAME now',
    load: async () => (await import('./actions-command.js')).actionCommand('abort'),
  },
  retry: {
    summary: 're-run the analysis of the Failed revision of NAME, with no template change',
    load: async () => (await import('./actions-command.js')).actionCommand('retry'),
  },
  pause: {
    summary: 'hold the weight and iterations of NAME (the checks go on)',
    load: async () => (await import('./actions-command.js')).actionCommand('pause'),
  },
  resume: {
    summary: 'let a paused analysis of NAME advance again',
    load: async () => (await import('./actions-command.js')).actionCommand('resume'),
  },
};

export const USAGE = `davy: progressive delivery for Kubernetes, speaking Flagger's API

Usage:
  davy <command> [flags]
  kubectl davy <command> [flags]     (the same binary, installed as the kubectl plugin kubectl-davy)

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

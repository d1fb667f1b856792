#!/usr/bin/env node
// The installed entry point (`npx davy`, node_modules/.bin/davy, `kubectl davy`): runs the bundled
// CLI that `make build` produces in dist/bundle (hack/build.sh says why a bundle).
//
// The bundle needs Node.js 22 (it uses APIs such as zlib's zstd that Node 20 lacks), and whatever
// `node` is first on PATH runs this file. So this file is written for any Node that can load an ES
// module, checks the version before it imports anything, and on an older Node either re-runs
// itself under the Node 22 that `make deps` fetched (hack/ensure-node.sh, in ~/.cache/davy) or
// says in one line what it needs and exits 2. It imports only node: built-ins.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const NEEDED_MAJOR = 22;

const majorOf = (version) => Number(String(version).replace(/^v/, '').split('.')[0]);

/** A version string as comparable numbers: "22.23.3" -> [22, 23, 3]. */
const partsOf = (version) => version.split('.').map(Number);
const newer = (a, b) => {
  const [x, y] = [partsOf(a), partsOf(b)];
  for (let i = 0; i < 3; i += 1) if (x[i] !== y[i]) return (x[i] ?? 0) > (y[i] ?? 0);
  return false;
};

/**
 * The newest Node >= 22 that hack/ensure-node.sh unpacked: $DAVY_CACHE (default ~/.cache/davy)
 * holds node-v<version>/bin/node. Undefined when there is none.
 */
function fetchedNode() {
  const cache = process.env.DAVY_CACHE || join(homedir(), '.cache', 'davy');
  let best;
  let entries = [];
  try {
    entries = readdirSync(cache);
  } catch {
    return undefined;
  }
  for (const entry of entries) {
    const version = /^node-v(\d+\.\d+\.\d+)$/.exec(entry)?.[1];
    if (!version || majorOf(version) < NEEDED_MAJOR) continue;
    const binary = join(cache, entry, 'bin', 'node');
    if (existsSync(binary) && (!best || newer(version, best.version))) best = { version, binary };
  }
  return best?.binary;
}

/** Runs this script under `node` with the same arguments, and exits as the child did. */
function reexec(node) {
  const script = fileURLToPath(import.meta.url);
  // The marker stops a loop should the fetched binary report an old version after all.
  const child = spawn(node, [...process.execArgv, script, ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, DAVY_REEXEC: node },
  });
  // A `kill PID` reaches only this process, so it is passed on; Ctrl-C reaches the whole process
  // group, so this process waits for the child to finish its own shutdown and reports its status.
  for (const signal of ['SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
  process.on('SIGINT', () => {});
  child.on('error', (error) => {
    console.error(`davy: could not start ${node}: ${error.message}`);
    process.exit(2);
  });
  child.on('exit', (code, signal) => {
    if (signal) {
      process.removeAllListeners(signal);
      process.kill(process.pid, signal);
      return;
    }
    process.exit(code ?? 1);
  });
}

if (majorOf(process.versions.node) < NEEDED_MAJOR) {
  const node = process.env.DAVY_REEXEC ? undefined : fetchedNode();
  if (node) {
    reexec(node);
  } else {
    console.error(
      `davy: needs Node.js ${NEEDED_MAJOR} or newer, but ${process.execPath} is v${process.versions.node}; ` +
        '`make deps` in the davy checkout fetches Node 22 into ~/.cache/davy (or put Node 22 first on PATH)',
    );
    process.exit(2);
  }
} else {
  const bundle = new URL('../dist/bundle/davy.js', import.meta.url);
  if (!existsSync(bundle)) {
    console.error(`davy: ${fileURLToPath(bundle)} is missing; \`make build\` in the davy checkout makes it`);
    process.exit(2);
  }
  await import(bundle.href);
}

// bin/davy.js under a real Node older than 22 (the machine's /usr/bin/node here): it re-runs
// itself under the Node 22 that `make deps` fetched, or says in one line what it needs.
//
// The launcher is tested in a copy beside a stub bundle, so these tests need no `make build` and
// can point DAVY_CACHE anywhere; the last test runs the real bundle when one is built.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const launcher = join(root, 'bin/davy.js');

/** The first Node on this machine older than 22, from the usual places and every `node` on PATH. */
function oldNode(): { path: string; version: string } | undefined {
  const onPath = spawnSync('which', ['-a', 'node'], { encoding: 'utf8' }).stdout?.split('\n') ?? [];
  for (const candidate of ['/usr/bin/node', '/usr/local/bin/node', ...onPath]) {
    if (!candidate || !existsSync(candidate)) continue;
    const version = spawnSync(candidate, ['--version'], { encoding: 'utf8' }).stdout?.trim() ?? '';
    const major = Number(version.replace(/^v/, '').split('.')[0]);
    if (major > 0 && major < 22) return { path: candidate, version };
  }
  return undefined;
}

// Prints which Node runs it and what it was given, then exits 3, so a test can tell all three apart.
const STUB_BUNDLE = `console.log(JSON.stringify({ node: process.versions.node, args: process.argv.slice(2) }));
process.exit(3);
`;

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

describe('bin/davy.js on an older Node', function () {
  this.timeout(20_000);
  const old = oldNode();
  let dir: string;
  let copy: string;

  before(function () {
    if (!old) this.skip(); // no Node < 22 on this machine: nothing to prove here
  });
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'davy-node-'));
    copy = join(dir, 'pkg/bin/davy.js');
    await mkdir(join(dir, 'pkg/bin'), { recursive: true });
    await mkdir(join(dir, 'pkg/dist/bundle'), { recursive: true });
    await copyFile(launcher, copy);
    await writeFile(join(dir, 'pkg/dist/bundle/davy.js'), STUB_BUNDLE);
  });
  afterEach(async () => rm(dir, { recursive: true, force: true }));

  /** A cache laid out as hack/ensure-node.sh leaves it, with `node` standing for the given binary. */
  async function cacheWith(version: string, node: string): Promise<string> {
    const cache = join(dir, 'cache');
    await mkdir(join(cache, `node-v${version}/bin`), { recursive: true });
    await symlink(node, join(cache, `node-v${version}/bin/node`));
    return cache;
  }

  const run = (script: string, cache: string, args: string[]): Run => {
    const env: NodeJS.ProcessEnv = { ...process.env, DAVY_CACHE: cache };
    delete env.DAVY_REEXEC;
    const result = spawnSync(old!.path, [script, ...args], { encoding: 'utf8', env });
    return { status: result.status, stdout: result.stdout, stderr: result.stderr };
  };

  it('when the fetched Node 22 is in the cache, then it runs the bundle under it with the same arguments and exit code', async () => {
    const cache = await cacheWith('22.23.3', process.execPath);
    const result = run(copy, cache, ['validate', '-f', 'a file.yaml']);
    expect(result.stderr).to.equal('');
    expect(result.status).to.equal(3);
    const seen = JSON.parse(result.stdout) as { node: string; args: string[] };
    expect(seen.node).to.equal(process.versions.node);
    expect(seen.args).to.deep.equal(['validate', '-f', 'a file.yaml']);
  });

  it('when started through a symlink (node_modules/.bin/davy, kubectl-davy), then it still finds its bundle', async () => {
    const cache = await cacheWith('22.23.3', process.execPath);
    const link = join(dir, 'kubectl-davy');
    await symlink(copy, link);
    const result = run(link, cache, ['status']);
    expect(result.status, result.stderr).to.equal(3);
    expect(JSON.parse(result.stdout)).to.deep.equal({ node: process.versions.node, args: ['status'] });
  });

  it('when no Node 22 was fetched, then it prints one line saying what it needs and how to get it, and exits 2', async () => {
    const cache = await cacheWith('20.0.0', old!.path); // an old Node in the cache does not count
    const result = run(copy, cache, ['--version']);
    expect(result.status).to.equal(2);
    expect(result.stdout).to.equal('');
    const lines = result.stderr.trimEnd().split('\n');
    expect(lines, result.stderr).to.have.length(1);
    expect(lines[0]).to.include('Node.js 22').and.include(old!.version).and.include('make deps');
  });

  it('when the real bundle is built, then --version under the old Node prints what Node 22 prints', function () {
    if (!existsSync(join(root, 'dist/bundle/davy.js'))) this.skip(); // `make build` has not run
    if (!/\/node-v2\d\.[^/]*\/bin\/node$/.test(process.execPath)) this.skip(); // this Node 22 is not a fetched one
    const cache = dirname(dirname(dirname(process.execPath)));
    const expected = execFileSync(process.execPath, [launcher, '--version'], { encoding: 'utf8' });
    const result = run(launcher, cache, ['--version']);
    expect(result.stderr).to.equal('');
    expect(result.status).to.equal(0);
    expect(result.stdout).to.equal(expected);
  });
});

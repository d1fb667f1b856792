// The shape of the shipped bundle (hack/build.sh: esbuild, code-split per command): what a command
// loads before it runs is its entry chunk and everything that chunk imports statically. The
// webhook and the stepper must not load @kubernetes/client-node that way: it is about 40 MiB of a
// process's RSS (BENCHMARKS.md, "The webhook's memory"), and they only need it for kubeconfigs the
// small loader in src/kube/credentials.ts does not handle. Nor may any chunk import one of Node's
// own modules as an ES module, which loads 53 more of them (hack/bundle.ts says why).
import fs from 'node:fs';
import { builtinModules } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { build, type Metafile } from 'esbuild';
import { BUNDLE_OPTIONS } from '../../hack/bundle.js';

const ROOT = path.resolve(import.meta.dirname, '../..');

/** Every input (source file) of the outputs `entry` loads statically. */
function staticInputs(meta: Metafile, entry: string): Set<string> {
  const seen = new Set<string>();
  const inputs = new Set<string>();
  const visit = (output: string): void => {
    if (seen.has(output)) return;
    seen.add(output);
    const out = meta.outputs[output]!;
    for (const input of Object.keys(out.inputs)) inputs.add(input);
    for (const imported of out.imports) if (imported.kind === 'import-statement' && !imported.external) visit(imported.path);
  };
  const start = Object.keys(meta.outputs).find((o) => meta.outputs[o]!.entryPoint === entry);
  if (!start) throw new Error(`no output for ${entry}`);
  visit(start);
  return inputs;
}

describe('the bundle: what each command loads before it runs', function () {
  this.timeout(120_000);
  let meta: Metafile;
  let dir: string;
  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'davy-bundle-shape-'));
    // The commands as src/cli/main.ts loads them (each its own dynamic import), split as hack/build.sh does.
    const result = await build({
      ...BUNDLE_OPTIONS,
      absWorkingDir: ROOT, entryPoints: ['src/cli/index.ts', 'src/cli/webhook.ts', 'src/cli/step.ts', 'src/cli/status-command.ts'],
      outdir: dir, metafile: true, write: false, logLevel: 'silent',
    });
    meta = result.metafile;
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const clientNode = (inputs: Set<string>): string[] => [...inputs].filter((i) => i.includes('node_modules/@kubernetes/client-node/'));

  for (const command of ['webhook', 'step']) {
    it(`when \`davy ${command}\` starts, then @kubernetes/client-node is not among what it loads`, () => {
      const inputs = staticInputs(meta, `src/cli/${command}.ts`);
      expect(inputs.size).to.be.greaterThan(10);
      expect(clientNode(inputs)).to.deep.equal([]);
    });
  }

  it('when any chunk needs one of Node\'s modules, then it require()s it: no static ES import of a built-in', () => {
    const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
    const imports = Object.values(meta.outputs).flatMap((o) => o.imports);
    const required = imports.filter((i) => i.kind === 'require-call' && builtins.has(i.path)).map((i) => i.path);
    expect(required).to.include.members(['node:http', 'node:https', 'node:crypto']);
    expect(imports.filter((i) => i.kind === 'import-statement' && builtins.has(i.path)).map((i) => i.path)).to.deep.equal([]);
  });

  it('when `davy status` starts, then it does not load client-node either until it connects (the check can fail)', () => {
    // status reads contexts through client-node, imported when it connects: present in the bundle, not loaded up front.
    const all = new Set(Object.values(meta.outputs).flatMap((o) => Object.keys(o.inputs)));
    expect(clientNode(all)).to.not.deep.equal([]);
    expect(clientNode(staticInputs(meta, 'src/cli/status-command.ts'))).to.deep.equal([]);
  });
});

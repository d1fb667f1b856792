// The CLI bundled by esbuild into dist/bundle (hack/build.sh runs this; bin/davy.js runs the
// bundle; test/integration/bundle-shape.test.ts checks its shape with the same options).
//
// Code splitting keeps each command's imports lazy, as in src/cli/main.ts: `davy simulate` never
// loads the Kubernetes client. CommonJS dependencies (winston, prom-client ...) call require(); an
// ES module has none of its own, hence the banner.
//
// Node's own modules are loaded with require(), never as ES modules: importing one as an ES module
// builds its namespace by reading every export, which runs the lazy getters node keeps for what
// few programs use. `import { createServer } from 'node:http'` alone loads undici (for
// http.WebSocket), http2, worker_threads and web streams: 53 more built-in modules, 8 MiB of RSS
// in every Davy process (BENCHMARKS.md, "Node's modules as ES modules").
import { builtinModules } from 'node:module';
import { fileURLToPath } from 'node:url';
import { build, type BuildOptions, type Plugin } from 'esbuild';

const BUILTIN = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

/** Each static ES import of a Node built-in becomes a CommonJS module that require()s it. */
export const builtinsByRequire: Plugin = {
  name: 'builtins-by-require',
  setup(build) {
    build.onResolve({ filter: /^[a-z_:/]+$/ }, (args) => {
      if (!BUILTIN.has(args.path)) return undefined;
      // A dynamic import() stays one: split chunks give a CommonJS module's import() only a default export.
      if (args.kind !== 'import-statement' || args.namespace === 'builtin') return { path: args.path, external: true };
      return { path: args.path, namespace: 'builtin' };
    });
    build.onLoad({ filter: /.*/, namespace: 'builtin' }, (args) => ({
      contents: `module.exports = require(${JSON.stringify(args.path)});`,
      loader: 'js',
    }));
  },
};

export const BUNDLE_OPTIONS = {
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node22',
  plugins: [builtinsByRequire],
  banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" },
  legalComments: 'none',
  logLevel: 'warning',
} satisfies BuildOptions;

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** The CLI bundled into `outdir`: `davy.js` and its `chunks/`. */
export async function bundle(outdir: string): Promise<void> {
  await build({
    ...BUNDLE_OPTIONS,
    absWorkingDir: ROOT,
    entryPoints: ['src/cli/index.ts'],
    outdir,
    entryNames: 'davy',
    chunkNames: 'chunks/[name]-[hash]',
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await bundle('dist/bundle');

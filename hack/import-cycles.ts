// `make lint`: fails when the relative imports of src/ form a circle, type-only imports included
// (a type circle is still two modules that cannot be read, tested or moved one without the
// other). Prints each circle as a path that closes on itself:
//
//   import circle: src/stepper/state.ts -> src/stepper/state-codec.ts -> src/stepper/state.ts
//
// It reads `import ... from './x.js'` and `export ... from './x.js'` statements, which is all the
// project writes (no require(), no dynamic import inside src/ but the CLI's lazy commands, which
// are one-way from src/cli and listed too).
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '..');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sources(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^;]*?\sfrom\s+'(\.{1,2}\/[^']+)'|import\(\s*'(\.{1,2}\/[^']+)'\s*\)/g;

/** Each file's project imports, as paths relative to the repository. */
export function importGraph(dir = path.join(ROOT, 'src')): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of sources(dir)) {
    const text = readFileSync(file, 'utf8');
    const targets = [...text.matchAll(IMPORT)].map((match) => {
      const spec = (match[1] ?? match[2])!.replace(/\.js$/, '.ts');
      return path.relative(ROOT, path.resolve(path.dirname(file), spec));
    });
    graph.set(path.relative(ROOT, file), [...new Set(targets)]);
  }
  return graph;
}

/** Every circle, one per strongly connected group (Tarjan), as a closed path through it. */
export function circles(graph: Map<string, string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const found: string[][] = [];
  const visit = (node: string): void => {
    index.set(node, next);
    low.set(node, next);
    next += 1;
    stack.push(node);
    for (const target of graph.get(node) ?? []) {
      if (!graph.has(target)) continue;
      if (!index.has(target)) {
        visit(target);
        low.set(node, Math.min(low.get(node)!, low.get(target)!));
      } else if (stack.includes(target)) low.set(node, Math.min(low.get(node)!, index.get(target)!));
    }
    if (low.get(node) !== index.get(node)) return;
    const group: string[] = [];
    let member: string | undefined;
    do {
      member = stack.pop()!;
      group.push(member);
    } while (member !== node);
    const selfImport = (graph.get(node) ?? []).includes(node);
    if (group.length > 1 || selfImport) found.push(closedPath(graph, new Set(group), node));
  };
  for (const node of [...graph.keys()].sort()) if (!index.has(node)) visit(node);
  return found;
}

/** A shortest path from `start` back to itself inside `group`, for a message a person can follow. */
function closedPath(graph: Map<string, string[]>, group: Set<string>, start: string): string[] {
  const previous = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const node = queue.shift()!;
    for (const target of graph.get(node) ?? []) {
      if (!group.has(target)) continue;
      if (target === start) {
        const route = [start];
        for (let at: string | undefined = node; at !== undefined && at !== start; at = previous.get(at)) route.splice(1, 0, at);
        return [...route, start];
      }
      if (!previous.has(target)) {
        previous.set(target, node);
        queue.push(target);
      }
    }
  }
  return [start, start];
}

if (process.argv[1] === import.meta.filename) {
  const found = circles(importGraph());
  for (const circle of found) console.error(`import circle: ${circle.join(' -> ')}`);
  if (found.length > 0) {
    console.error(`${found.length} import circle(s) in src/: move what both sides need into a leaf module`);
    process.exit(1);
  }
}

// hack/import-cycles.ts, the `make lint` step that keeps src/ free of import circles.
import { expect } from 'chai';
import { circles, importGraph } from '../../../hack/import-cycles.js';

const graph = (edges: Record<string, string[]>) => new Map(Object.entries(edges));

describe('the import-circle check (make lint)', () => {
  it('when src/ is read, then it has no circle', () => {
    const found = circles(importGraph());
    expect(found, found.map((c) => c.join(' -> ')).join('\n')).to.deep.equal([]);
  });

  it('when src/ is read, then type-only imports and re-exports count as edges', () => {
    const edges = importGraph();
    expect(edges.get('src/stepper/status.ts')).to.include('src/stepper/options.ts'); // `import type`
    expect(edges.get('src/stepper/index.ts')).to.include('src/stepper/state-codec.ts'); // `export ... from`
  });

  it('when three modules import each other in a loop, then the circle is named as a closed path', () => {
    const found = circles(graph({ 'a.ts': ['b.ts'], 'b.ts': ['c.ts', 'leaf.ts'], 'c.ts': ['a.ts'], 'leaf.ts': [] }));
    expect(found).to.have.length(1);
    expect(found[0]).to.have.length(4);
    expect(found[0]?.[0]).to.equal(found[0]?.at(-1));
    expect(new Set(found[0])).to.deep.equal(new Set(['a.ts', 'b.ts', 'c.ts']));
  });

  it('when imports only point one way, then there is no circle', () => {
    expect(circles(graph({ 'a.ts': ['b.ts', 'c.ts'], 'b.ts': ['c.ts'], 'c.ts': [] }))).to.deep.equal([]);
  });
});

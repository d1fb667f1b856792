import { expect } from 'chai';
import { matchPath, matchProblem } from '../../../src/api/router-match.js';

describe('matchProblem: what the header-only routers can route an A/B request on', () => {
  it('when nginx gets one exact header and one cookie, contour prefix/suffix, gloo a regex, then nothing is refused', () => {
    expect(matchProblem('nginx', [{ headers: { 'x-canary': { exact: 'insider' } } }, { headers: { cookie: { exact: 'canary' } } }])).to.equal(undefined);
    expect(matchProblem('contour', [{ headers: { 'x-canary': { prefix: 'in' } } }, { headers: { cookie: { suffix: 'canary' } } }])).to.equal(undefined);
    expect(matchProblem('gloo', [{ headers: { 'user-agent': { regex: '.*Firefox.*' } } }])).to.equal(undefined);
  });

  it('when the provider is istio (or any not listed), then every condition of the schema is left to it', () => {
    expect(matchProblem('istio', [{ queryParams: { q: { exact: '1' } } }])).to.equal(undefined);
  });

  const refused: [string, Parameters<typeof matchProblem>[0], unknown[], string][] = [
    ['nginx, a header by prefix', 'nginx', [{ headers: { 'x-canary': { prefix: 'in' } } }], 'spec.analysis.match[0].headers.x-canary'],
    ['nginx, a second header', 'nginx', [{ headers: { a: { exact: '1' } } }, { headers: { b: { exact: '2' } } }], 'spec.analysis.match[1].headers.b'],
    ['nginx, a cookie by regex', 'nginx', [{ headers: { cookie: { regex: 'can.*' } } }], 'spec.analysis.match[0].headers.cookie'],
    ['nginx, a second cookie', 'nginx', [{ headers: { cookie: { exact: 'a' } } }, { headers: { cookie: { exact: 'b' } } }], 'spec.analysis.match[1].headers.cookie'],
    ['contour, a header by regex', 'contour', [{ headers: { 'user-agent': { regex: '.*' } } }], 'spec.analysis.match[0].headers.user-agent'],
    ['gloo, a header by suffix', 'gloo', [{ headers: { 'user-agent': { suffix: 'x' } } }], 'spec.analysis.match[0].headers.user-agent'],
    ['gloo, query parameters', 'gloo', [{ headers: { a: { exact: '1' } }, queryParams: { q: { exact: '1' } } }], 'spec.analysis.match[0].queryParams'],
    ['contour, an entry without headers', 'contour', [{ sourceLabels: { app: 'x' } }], 'spec.analysis.match[0].sourceLabels'],
    ['nginx, an empty entry', 'nginx', [{}], 'spec.analysis.match[0]'],
    ['nginx, an entry that is not an object', 'nginx', ['x-canary'], 'spec.analysis.match[0]'],
  ];
  for (const [what, provider, match, path] of refused) {
    it(`when ${what}, then it is refused at ${path}`, () => {
      const problem = matchProblem(provider, match);
      expect(problem && matchPath(problem)).to.equal(path);
    });
  }
});

// Go-template rendering of Flagger's variables, and the whole pipeline (render, rewrite, collapse)
// on the example manifests' queries.
import { expect } from 'chai';
import { effectiveAnalysis } from '../../../src/api/defaults.js';
import { promDuration, queryScope, renderQuery, renderTemplate, type QueryScope, type TemplateValues } from '../../../src/metrics/render.js';
import { canaryFixture, metricTemplateFixture } from '../../fixtures/metrics/index.js';

const values = (overrides: Partial<TemplateValues> = {}): TemplateValues => ({
  name: 'podinfo',
  namespace: 'test',
  target: 'podinfo',
  service: 'podinfo',
  interval: '1m',
  variables: { direction: 'inbound', 'my-key': 'x' },
  ...overrides,
});

const rendered = (text: string, v = values()): string => {
  const result = renderTemplate(text, v);
  if (!result.ok) throw new Error(result.message);
  return result.query;
};

const renderError = (text: string, v = values()): string => {
  const result = renderTemplate(text, v);
  if (result.ok) throw new Error(`expected an error, got ${result.query}`);
  return result.message;
};

const scope: QueryScope = {
  name: 'podinfo',
  namespace: 'test',
  targetName: 'podinfo',
  canaryWorkloadName: 'podinfo-canary',
  serviceName: 'podinfo',
};

describe('render: Flagger template variables', () => {
  it('when a variable stands in a double-quoted label value, then quotes and backslashes in it are escaped and cannot end the string', () => {
    const hostile = values({ variables: { direction: 'x"} or vector(1) or up{a="' } });
    expect(rendered('sum(rate(m{direction="{{ variables.direction }}"}[1m]))', hostile)).to.equal('sum(rate(m{direction="x\\"} or vector(1) or up{a=\\""}[1m]))');
    expect(rendered("m{d='{{ variables.direction }}'}", values({ variables: { direction: "a'b\\\nc" } }))).to.equal("m{d='a\\'b\\\\\\nc'}");
  });

  it('when a variable stands outside any string, then only a bare word renders, and anything that could add an operator is refused', () => {
    expect(rendered('sum by ({{ variables.by }}) (m)', values({ variables: { by: 'pod,namespace' } }))).to.equal('sum by (pod,namespace) (m)');
    for (const value of ['1) or vector(1', 'x or up', 'a{b="c"}', '', '- 100']) {
      expect(renderError('rate(m[{{ variables.w }}])', values({ variables: { w: value } }))).to.include('not a bare word');
    }
  });

  it('when a quote closes before the variable, then the variable is outside the string and must be a bare word', () => {
    expect(renderError('m{a="x"} {{ variables.op }}', values({ variables: { op: 'or up' } }))).to.include('not a bare word');
    expect(rendered('m{a="x\\"y", b="{{ variables.op }}"}', values({ variables: { op: 'or up' } }))).to.equal('m{a="x\\"y", b="or up"}');
  });

  it('when a variable stands in a backquoted string, then a backquote in it is refused', () => {
    expect(rendered('m{a=~`{{ variables.re }}`}', values({ variables: { re: 'a|b"' } }))).to.equal('m{a=~`a|b"`}');
    expect(renderError('m{a=~`{{ variables.re }}`}', values({ variables: { re: 'a`} or up{b=`' } }))).to.include('would end the backquoted string');
  });

  it('when a query uses every scalar variable, then each renders its value', () => {
    const text = '{{ name }} {{namespace}} {{ target }} {{ service }} {{ ingress }} {{ route }} {{ interval }}';
    expect(rendered(text, values({ ingress: 'web', route: 'r1' }))).to.equal('podinfo test podinfo podinfo web r1 1m');
  });

  it('when a query uses variables.key or index variables "key", then the templateVariables value renders', () => {
    expect(rendered('direction="{{ variables.direction }}", k="{{ index variables "my-key" }}"')).to.equal('direction="inbound", k="x"');
  });

  it('when a variables key is missing, then rendering fails naming the key (missingkey=error)', () => {
    expect(renderError('{{ variables.reporter }}')).to.include('map has no entry for key "reporter"');
  });

  it('when a variable is unknown, then rendering fails instead of printing an empty string', () => {
    expect(renderError('up{job="{{ job }}"}')).to.include('unknown variable "job"');
  });

  it('when ingress is used on a canary without ingressRef, then rendering fails with the reason', () => {
    expect(renderError('{{ ingress }}')).to.include('no spec.ingressRef');
  });

  it('when an action is not a variable (if, pipelines, fields), then rendering fails', () => {
    expect(renderError('{{ if true }}x{{ end }}')).to.include('unsupported action');
    expect(renderError('{{ target | printf "%s" }}')).to.include('unsupported action');
    expect(renderError('{{ .Target }}')).to.include('unsupported action');
  });

  it('when an action is unclosed or empty, then rendering fails', () => {
    expect(renderError('sum(x{a="{{ target"})')).to.include('unclosed action');
    expect(renderError('{{ }}')).to.include('empty action');
  });

  it('when trim markers and comments are used, then they behave as in Go templates', () => {
    expect(rendered('a  {{- target -}}  b')).to.equal('apodinfob');
    expect(rendered('a {{/* a comment */}}b')).to.equal('a b');
    expect(rendered('a {{- /* trimmed */ -}} b')).to.equal('ab');
  });

  it('when a query has no actions, then it renders unchanged', () => {
    expect(rendered('sum(rate(x{a="b"}[1m]))')).to.equal('sum(rate(x{a="b"}[1m]))');
  });
});

describe('render: interval as a Prometheus duration', () => {
  it('when the interval is whole seconds, then it prints Go-style units Prometheus accepts', () => {
    expect([60_000, 30_000, 90_000, 10_000, 3_600_000].map(promDuration)).to.deep.equal(['1m', '30s', '1m30s', '10s', '1h']);
  });

  it('when the interval has a fraction of a second, then it prints milliseconds', () => {
    expect(promDuration(1500)).to.equal('1500ms');
  });
});

describe('render: inline queries and MetricTemplates, rewritten', () => {
  it('when the 404s example is rendered, then it selects destination_name="podinfo-canary", on one line', () => {
    const canary = canaryFixture('podinfo-canary-osm-404s');
    const analysis = effectiveAnalysis(canary.spec, { namespace: 'test' });
    const metric = analysis.metrics.find((m) => m.name === '404s percentage')!;
    const result = renderQuery(metric.query!, queryScope(canary, analysis), metric.intervalMs, metric.templateVariables, analysis.rewriteQueries);
    if (!result.ok) throw new Error(result.message);
    expect(result.query).to.equal(
      '100 - ( sum( rate( osm_request_total{ destination_namespace="test", destination_kind="Deployment", ' +
        'destination_name="podinfo-canary", response_code!="404" }[1m] ) ) / sum( rate( osm_request_total{ ' +
        'destination_namespace="test", destination_kind="Deployment", destination_name="podinfo-canary" }[1m] ) ) * 100 )',
    );
  });

  it('when rewriteQueries is false, then the 404s query is sent as written', () => {
    const canary = canaryFixture('podinfo-canary-osm-404s');
    canary.spec.analysis!.rewriteQueries = false;
    const analysis = effectiveAnalysis(canary.spec, { namespace: 'test' });
    const metric = analysis.metrics.find((m) => m.name === '404s percentage')!;
    const result = renderQuery(metric.query!, queryScope(canary, analysis), metric.intervalMs, {}, analysis.rewriteQueries);
    if (!result.ok) throw new Error(result.message);
    expect(result.query).to.include('destination_name="podinfo"').and.not.include('podinfo-canary');
  });

  it('when a template uses {{ target }}, then it selects the canary copy with rewriting on or off', () => {
    const text = 'sum(rate(istio_requests_total{destination_workload="{{ target }}"}[{{ interval }}]))';
    const expected = 'sum(rate(istio_requests_total{destination_workload="podinfo-canary"}[30s]))';
    for (const rewrite of [true, false]) {
      const result = renderQuery(text, scope, 30_000, {}, rewrite);
      expect(result).to.deep.equal({ ok: true, query: expected });
    }
  });

  it('when a template uses {{ target }}-primary, then with rewriting it selects the stable workload', () => {
    const result = renderQuery('up{deployment="{{ target }}-primary"}', scope, 60_000, {}, true);
    expect(result).to.deep.equal({ ok: true, query: 'up{deployment="podinfo"}' });
  });

  it('when the MetricTemplate fixture is rendered with its variables, then reporter and the copy are filled in', () => {
    const template = metricTemplateFixture();
    const result = renderQuery(template.spec.query, scope, 60_000, { reporter: 'destination' }, true);
    if (!result.ok) throw new Error(result.message);
    expect(result.query).to.include('reporter="destination"');
    expect(result.query).to.include('destination_workload="podinfo-canary"');
    expect(result.query).not.to.match(/\s{2}|\n/);
  });

  it('when the MetricTemplate fixture lacks its variable, then rendering fails naming it', () => {
    const result = renderQuery(metricTemplateFixture().spec.query, scope, 60_000, {}, true);
    expect(result.ok).to.equal(false);
    if (!result.ok) expect(result.message).to.include('"reporter"');
  });
});

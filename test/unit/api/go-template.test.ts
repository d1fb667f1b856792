import { expect } from 'chai';
import { scanTemplate } from '../../../src/api/go-template.js';

describe('scanTemplate', () => {
  it('when a query uses Flagger\'s variables, then there is no problem and the variable keys are listed', () => {
    const scan = scanTemplate('x{ns="{{ namespace }}",w=~"{{ target }}",d="{{ variables.direction }}"}[{{ interval }}] {{- /* note */ -}}');
    expect(scan).to.deep.equal({ problems: [], variableKeys: ['direction'] });
  });
  it('when a query has no action, then there is nothing to report', () => expect(scanTemplate('up')).to.deep.equal({ problems: [], variableKeys: [] }));
  it('when an action is a pipeline or a control word, then it is left to the renderer', () => {
    expect(scanTemplate('{{ if true }}a{{ else }}b{{ end }} {{ target | printf "%s" }}').problems).to.deep.equal([]);
  });
  it('when an action is unknown, unclosed or empty, then each is reported', () => {
    expect(scanTemplate('{{ app }} {{ }} {{ target').problems).to.deep.equal([
      { kind: 'unknownVariable', variable: 'app' },
      { kind: 'empty' },
      { kind: 'unclosed' },
    ]);
  });
});

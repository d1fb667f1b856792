// MetricTemplate and AlertProvider rules, and the envelope checks of validateResource.

import { expect } from 'chai';
import { formatFieldError } from '../../../src/api/field-errors.js';
import { validateAlertProvider, validateMetricTemplate, validateResource } from '../../../src/api/validate.js';
import { notObjectCases } from './canary-cases.js';
import { fixture, type InvalidCase } from './helpers.js';

const MT = 'metrictemplate.yaml';
const AP = 'alertprovider.yaml';
const URL = 'must be an absolute http or https URL';

const cases: InvalidCase[] = [
  { rule: 'metric provider type', when: 'the provider type is prom', fixture: MT, mutate: (d) => (d.spec.provider.type = 'prom'), errors: ['spec.provider.type: Unsupported value: "prom": supported values: "prometheus", "datadog", "newrelic", "dynatrace", "cloudwatch", "graphite", "stackdriver", "splunk", "influxdb", "keptn", "externalmetrics"'] },
  {
    rule: 'metricProviderSecret',
    when: 'a datadog provider has no secretRef',
    fixture: MT,
    mutate: (d) => (d.spec.provider = { type: 'datadog' }),
    errors: ['spec.provider.secretRef: Required value: the datadog provider needs a secretRef: a Secret with datadog_api_key and datadog_application_key'],
  },
  {
    rule: 'metricProviderRegion',
    when: 'a cloudwatch provider has no region',
    fixture: MT,
    mutate: (d) => (d.spec.provider = { type: 'cloudwatch' }),
    errors: ['spec.provider.region: Required value: the cloudwatch provider needs a region'],
  },
  { rule: 'metricProviderAddress', when: 'a prometheus provider has no address', fixture: MT, mutate: (d) => delete d.spec.provider.address, errors: ['spec.provider.address: Required value: the prometheus provider needs an address'] },
  { rule: 'url', when: 'the address has no scheme', fixture: MT, mutate: (d) => (d.spec.provider.address = 'prometheus:9090'), errors: [`spec.provider.address: Invalid value: "prometheus:9090": ${URL}`] },
  { rule: 'emptyQuery', when: 'the query is empty', fixture: MT, mutate: (d) => (d.spec.query = ''), errors: ['spec.query: Invalid value: "": must not be empty'] },
  { rule: 'required (schema)', when: 'the query is missing', fixture: MT, mutate: (d) => delete d.spec.query, errors: ['spec.query: Required value'] },
  {
    rule: 'templateUnknownVariable',
    when: 'the query uses {{ foo }}',
    fixture: MT,
    mutate: (d) => (d.spec.query = 'up{job="{{ foo }}"}'),
    errors: ['spec.query: Invalid value: "up{job=\\"{{ foo }}\\"}": uses unknown template variable "foo" (known: name, namespace, target, service, ingress, route, interval, variables)'],
  },
  { rule: 'required (schema)', when: 'the secretRef has no name', fixture: MT, mutate: (d) => (d.spec.provider.secretRef = {}), errors: ['spec.provider.secretRef.name: Required value'] },
  {
    rule: 'dns1123Subdomain',
    when: 'the template name has an underscore',
    fixture: MT,
    mutate: (d) => (d.metadata.name = 'error_rate'),
    errors: ["metadata.name: Invalid value: \"error_rate\": must be a DNS-1123 subdomain: lowercase letters, digits, '-' and '.', starting and ending with a letter or digit"],
  },
  {
    rule: 'enum',
    when: 'the alert provider type is email',
    fixture: AP,
    mutate: (d) => (d.spec.type = 'email'),
    errors: ['spec.type: Unsupported value: "email": supported values: "slack", "msteams", "discord", "rocket", "gchat"'],
  },
  { rule: 'addressOrSecret', when: 'the alert provider has neither address nor secretRef', fixture: AP, mutate: (d) => delete d.spec.address, errors: ['spec.address: Required value: must set one of address or secretRef'] },
  {
    rule: 'addressAndSecret',
    when: 'the alert provider has both address and secretRef',
    fixture: AP,
    mutate: (d) => (d.spec.secretRef = { name: 'slack' }),
    errors: ["spec.address: Forbidden: may not be set together with secretRef: the Secret's address would override it"],
  },
  { rule: 'url', when: 'the alert address has no scheme', fixture: AP, mutate: (d) => (d.spec.address = 'hooks.slack.com/x'), errors: [`spec.address: Invalid value: "hooks.slack.com/x": ${URL}`] },
  { rule: 'url', when: 'the proxy is socks5', fixture: AP, mutate: (d) => (d.spec.proxy = 'socks5://proxy:1080'), errors: [`spec.proxy: Invalid value: "socks5://proxy:1080": ${URL}`] },
  { rule: 'channelEmpty', when: 'the channel is empty', fixture: AP, mutate: (d) => (d.spec.channel = ''), errors: ['spec.channel: Invalid value: "": must not be empty'] },
  { rule: 'required (schema)', when: 'the alert provider has no type', fixture: AP, mutate: (d) => delete d.spec.type, errors: ['spec.type: Required value'] },
];

describe('validateMetricTemplate and validateAlertProvider: invalid specs', () => {
  for (const c of cases) {
    it(`when ${c.when}, then it reports ${c.rule}`, () => {
      const doc = fixture(c.fixture);
      c.mutate(doc);
      const result = validateResource(doc);
      expect(result.errors.map(formatFieldError).sort()).to.deep.equal([...c.errors].sort());
      const direct = c.fixture === MT ? validateMetricTemplate(doc) : validateAlertProvider(doc);
      expect(direct.errors).to.deep.equal(result.errors);
    });
  }

  it('when the fixtures are validated unchanged, then they have no errors and no warnings', () => {
    expect(validateResource(fixture(MT))).to.deep.equal({ errors: [], warnings: [] });
    expect(validateResource(fixture(AP))).to.deep.equal({ errors: [], warnings: [] });
  });

  it('when an alert provider uses a secretRef only, then it is valid', () => {
    const doc = fixture(AP);
    delete doc.spec.address;
    doc.spec.secretRef = { name: 'slack-url' };
    expect(validateAlertProvider(doc).errors).to.deep.equal([]);
  });
});

describe('validateResource: what is not a flagger.app object', () => {
  for (const c of notObjectCases) {
    it(`when ${c.when}, then it reports one error at <root> and does not throw`, () => {
      expect(validateResource(c.value).errors.map(formatFieldError)).to.deep.equal([c.error]);
    });
  }

  it('when the document is an apps/v1 Deployment, then apiVersion and kind are refused', () => {
    const errors = validateResource({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'x' } }).errors.map(formatFieldError);
    expect(errors).to.deep.equal([
      'apiVersion: Unsupported value: "apps/v1": supported values: "flagger.app/v1beta1"',
      'kind: Unsupported value: "Deployment": supported values: "Canary", "MetricTemplate", "AlertProvider"',
    ]);
  });

  it('when metadata uses generateName, then no name is required', () => {
    const doc = fixture(AP);
    doc.metadata = { generateName: 'slack-' };
    expect(validateResource(doc).errors).to.deep.equal([]);
  });
});

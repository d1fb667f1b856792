// The provider and observer registries: every name has an entry, and the ones Davy does not
// support yet answer a clear error instead of falling back to something else.
import { expect } from 'chai';
import { BUILTIN_OBSERVERS, DAVY_PROVIDERS, PROVIDER_OBSERVER } from '../../../src/api/providers.js';
import { DAVY_METRIC_PROVIDER_TYPES, METRIC_PROVIDER_TYPES } from '../../../src/api/types.js';
import { OBSERVERS } from '../../../src/metrics/observers/index.js';
import { METRIC_PROVIDERS } from '../../../src/metrics/providers/index.js';

describe('metric provider registry', () => {
  it('when a provider type is one Flagger knows, then Davy queries it (none is refused as not supported yet)', () => {
    expect([...DAVY_METRIC_PROVIDER_TYPES].sort()).to.deep.equal([...METRIC_PROVIDER_TYPES].sort());
    for (const type of METRIC_PROVIDER_TYPES) expect(METRIC_PROVIDERS[type], type).to.be.a('function');
  });
});

describe('observer registry', () => {
  it('when a provider is one Davy routes, then its builtin observer has queries', () => {
    for (const provider of DAVY_PROVIDERS) {
      expect(OBSERVERS[PROVIDER_OBSERVER[provider]], provider).to.have.all.keys('request-success-rate', 'request-duration');
    }
  });

  // Ingresses and gateways see Services, not workloads: they select the copy through the canary
  // Ingress Davy writes (nginx, skipper) or the canary Service (contour, traefik, gloo, kuma);
  // Knative through the revision under analysis, which the runner passes as {{ route }}.
  it('when an observer has queries, then both builtins select the copy ({{ target }}, the canary Ingress, Service or revision) over {{ interval }}', () => {
    for (const name of BUILTIN_OBSERVERS) {
      for (const query of Object.values(OBSERVERS[name])) {
        const selectors = ['{{ target }}', '{{ ingress }}', '{{ service }}-canary', ...(name === 'knative' ? ['{{ route }}'] : [])];
        const copy = selectors.filter((v) => query.template.includes(v));
        expect(copy, name).to.have.length.greaterThan(0);
        expect(query.template, name).to.include('[{{ interval }}]').and.include('{{ namespace }}');
      }
    }
  });
});

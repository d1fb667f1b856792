// src/config/cli.ts: the flags and environment the operator's commands share.

import { expect } from 'chai';
import { CLUSTER_FLAGS, cliEnvironment, clusterFlags, outputFormat, parseFlags, programName } from '../../../src/config/cli.js';

describe('cli config', () => {
  it('when kubectl-style flags are given, then -n, --namespace=, --kubeconfig and --context are read', () => {
    const parsed = parseFlags(['podinfo', '-ntest', '--kubeconfig=/k', '--context', 'dev'], CLUSTER_FLAGS);
    expect(parsed.kind).to.equal('ok');
    if (parsed.kind !== 'ok') return;
    expect(parsed.positionals).to.deep.equal(['podinfo']);
    expect(clusterFlags(parsed.values)).to.deep.equal({ allNamespaces: false, namespace: 'test', kubeconfig: '/k', context: 'dev' });
  });

  it('when a flag is unknown or lacks its value, then a one-sentence usage error comes back', () => {
    const unknown = parseFlags(['--bogus'], CLUSTER_FLAGS);
    expect(unknown).to.deep.equal({ kind: 'error', error: "Unknown option '--bogus'" });
    expect(parseFlags(['-n'], CLUSTER_FLAGS).kind).to.equal('error');
    expect(parseFlags(['--namespace='], CLUSTER_FLAGS)).to.deep.equal({ kind: 'error', error: '--namespace needs a value' });
  });

  it('when -h or --help is given, then help is asked for', () => {
    expect(parseFlags(['x', '-h'], CLUSTER_FLAGS)).to.deep.equal({ kind: 'help' });
  });

  it('when -o is json, text or something else, then the format or a usage error comes back', () => {
    expect(outputFormat({ output: 'json' })).to.equal('json');
    expect(outputFormat({})).to.equal('text');
    expect(outputFormat({ output: 'yaml' })).to.deep.equal({ error: '--output must be text or json, not "yaml"' });
  });

  it('when run through the kubectl plugin symlink, then hints name `kubectl davy`', () => {
    expect(programName('/usr/local/bin/kubectl-davy')).to.equal('kubectl davy');
    expect(programName('C:\\bin\\kubectl-davy.js')).to.equal('kubectl davy');
    expect(programName('/work/main/bin/davy.js')).to.equal('davy');
    expect(programName(undefined)).to.equal('davy');
  });

  it('when the environment names a user, a kubeconfig and NO_COLOR, then those are what the commands see', () => {
    expect(cliEnvironment({ USER: 'alice', KUBECONFIG: '/a:/b', NO_COLOR: '1', HOME: '/x' })).to.deep.equal({ user: 'alice', kubeconfig: '/a:/b', noColor: true });
    expect(cliEnvironment({ USERNAME: 'bob', NO_COLOR: '' })).to.deep.equal({ user: 'bob', noColor: false });
  });
});

// The host-process e2e suite. hack/e2e.sh runs it as DAVY_E2E_SHARDS processes side by side, each
// on its own control plane with its own webhook, exporter and Prometheus: DAVY_E2E_SHARD=i/n runs
// shard i of n. The files go to shards heaviest first, each to the lightest shard so far, by the
// seconds they took in the last full run (SECONDS below; a file not listed counts DEFAULT_SECONDS).
// Without DAVY_E2E_SHARD every file runs.
const fs = require('node:fs');
const path = require('node:path');

const SECONDS = {
  'stepper-osm': 320, 'stepper-lifecycle': 380, 'router-gatewayapi': 345, 'actions': 260, 'demo': 230,
  'faults': 175, 'routers-tutorials': 140, 'dashboard': 130, 'stepper-keda': 100, 'stepper-istio': 100,
  'alerts': 90, 'cloudevents': 90, 'router-knative': 80, 'kstatus': 70, 'daemonset-hold': 25,
};
const DEFAULT_SECONDS = 15;

function shard(files, spec) {
  const match = /^(\d+)\/(\d+)$/.exec(spec);
  if (!match || +match[1] < 1 || +match[1] > +match[2]) throw new Error(`DAVY_E2E_SHARD=${spec}: expected i/n with 1 <= i <= n`);
  const [index, count] = [+match[1] - 1, +match[2]];
  const weight = (file) => SECONDS[path.basename(file, '.test.ts')] ?? DEFAULT_SECONDS;
  const loads = Array.from({ length: count }, () => ({ seconds: 0, files: [] }));
  for (const file of [...files].sort((a, b) => weight(b) - weight(a) || a.localeCompare(b))) {
    const lightest = loads.reduce((min, load) => (load.seconds < min.seconds ? load : min));
    lightest.seconds += weight(file);
    lightest.files.push(file);
  }
  return loads[index].files;
}

const all = fs.readdirSync(__dirname).filter((f) => f.endsWith('.test.ts')).map((f) => path.join('test/e2e', f));

module.exports = {
  'node-option': ['import=tsx'],
  extension: ['ts'],
  spec: process.env.DAVY_E2E_SHARD ? shard(all, process.env.DAVY_E2E_SHARD) : all,
  require: ['test/e2e/hooks.ts'],
  reporter: 'spec',
  timeout: 120000,
  slow: 10000,
  // After the root hooks stopped everything, end even if a failed test left a request or socket
  // open: a run that printed its summary and then waited on one kept CI waiting until its limit.
  exit: true,
};

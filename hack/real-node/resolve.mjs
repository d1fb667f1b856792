// node resolve.mjs SERVER NAME: resolves NAME's A record at SERVER (port 53); exit 0 with the
// addresses, 1 without. hack/real-node.sh waits on it for the cluster DNS to answer.
import { Resolver } from 'node:dns/promises';

const [server, name] = process.argv.slice(2);
const resolver = new Resolver({ timeout: 1000, tries: 1 });
resolver.setServers([server]);
try {
  console.log((await resolver.resolve4(name)).join(' '));
} catch (error) {
  console.error(`${name} at ${server}: ${error.code ?? error.message}`);
  process.exit(1);
}

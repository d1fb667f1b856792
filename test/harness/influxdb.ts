// A real InfluxDB 1.8 (built from its Go module by hack/ensure-influxdb.sh; Debian's 1.6 has no
// Flux), started on free ports with its own storage, Flux's `/api/v2/query` enabled and
// authentication on: an admin user is created first, and its `user:password` is the token the
// v2 API accepts. Points go in over the 1.x line-protocol write API.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { eventually, freePort, startProcess } from './process.js';

export interface InfluxServer {
  url: string;
  /** The admin's v2 token (`user:password`). */
  token: string;
  /** Writes line protocol (`measurement,tag=v field=1 <unix seconds>`) into `database`. */
  write(database: string, lines: string[]): Promise<void>;
  /** Runs an InfluxQL statement (CREATE DATABASE ...) as the admin. */
  influxql(statement: string): Promise<void>;
  stop(): Promise<void>;
}

/** DAVY_INFLUXD (make test-unit sets it from hack/ensure-influxdb.sh), else a cached build. */
export function influxdBinary(): string | undefined {
  const fromEnv = process.env.DAVY_INFLUXD;
  if (fromEnv) return fs.existsSync(fromEnv) ? fromEnv : undefined;
  const cache = path.join(process.env.DAVY_CACHE ?? path.join(os.homedir(), '.cache', 'davy'), 'bin');
  const builds = fs.existsSync(cache) ? fs.readdirSync(cache).filter((d) => d.startsWith('influxdb-v1.8')).sort() : [];
  const found = builds.map((d) => path.join(cache, d, 'influxd')).find((f) => fs.existsSync(f));
  return found;
}

const USER = 'davy';
const PASSWORD = 'davy-tests-only';

export async function startInflux(binary: string, dir: string): Promise<InfluxServer> {
  const [http, rpc] = await Promise.all([freePort(), freePort()]);
  const config = path.join(dir, 'influxdb.conf');
  fs.writeFileSync(config, [
    'reporting-disabled = true',
    `bind-address = "127.0.0.1:${rpc}"`,
    '[meta]', `  dir = "${dir}/meta"`,
    '[data]', `  dir = "${dir}/data"`, `  wal-dir = "${dir}/wal"`, '  query-log-enabled = false',
    '[monitor]', '  store-enabled = false',
    '[http]', `  bind-address = "127.0.0.1:${http}"`, '  auth-enabled = true', '  flux-enabled = true', '  log-enabled = false',
    '[continuous_queries]', '  enabled = false',
    '',
  ].join('\n'));
  const proc = startProcess(binary, ['run', '-config', config], path.join(dir, 'influxd.log'));
  const url = `http://127.0.0.1:${http}`;
  const basic = `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`;
  const influxql = async (statement: string, auth = true): Promise<void> => {
    const response = await fetch(`${url}/query`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...(auth ? { authorization: basic } : {}) },
      body: new URLSearchParams({ q: statement }).toString(),
    });
    const text = await response.text();
    if (!response.ok || text.includes('"error"')) throw new Error(`influxql ${statement}: HTTP ${response.status} ${text}`);
  };
  try {
    await eventually('influxd to answer /ping', async () => ((await fetch(`${url}/ping`).catch(() => undefined))?.status === 204 ? true : undefined), 30_000);
    // With authentication on and no user yet, InfluxDB accepts exactly this statement unauthenticated.
    await influxql(`CREATE USER ${USER} WITH PASSWORD '${PASSWORD}' WITH ALL PRIVILEGES`, false);
  } catch (error) {
    await proc.stop();
    throw new Error(`${(error as Error).message}\n${proc.tail()}`, { cause: error });
  }
  return {
    url,
    token: `${USER}:${PASSWORD}`,
    influxql: (statement) => influxql(statement),
    write: async (database, lines) => {
      const response = await fetch(`${url}/write?db=${encodeURIComponent(database)}&precision=s`, { method: 'POST', headers: { authorization: basic }, body: lines.join('\n') });
      if (response.status !== 204) throw new Error(`write: HTTP ${response.status} ${await response.text()}`);
    },
    stop: () => proc.stop(),
  };
}

// A real Graphite from Debian's packages (hack/ensure-graphite.sh): carbon-cache receiving points
// over its plaintext protocol and graphite-web serving the render API, each on free ports with
// their own storage in a temporary directory. graphite-web runs under Django's development server
// with a settings module written here that imports the package's settings and moves every path.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { eventually, freePort, startProcess, type Managed } from './process.js';

const PYTHON = '/usr/bin/python3';

export interface GraphiteServer {
  /** graphite-web's base URL, for the provider's address. */
  url: string;
  /** Sends points with carbon's plaintext protocol: `<path> <value> <unix seconds>`. */
  send(points: { path: string; value: number; at?: number }[]): Promise<void>;
  /** Waits until the render API shows a non-null point for `target`. */
  visible(target: string): Promise<void>;
  stop(): Promise<void>;
}

export const graphiteInstalled = (): boolean => fs.existsSync('/usr/bin/carbon-cache') && fs.existsSync('/usr/lib/python3/dist-packages/graphite/settings.py');

export async function startGraphite(dir: string): Promise<GraphiteServer> {
  const whisper = path.join(dir, 'whisper');
  fs.mkdirSync(whisper, { recursive: true });
  const [line, pickle, query, web] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
  fs.writeFileSync(path.join(dir, 'carbon.conf'), [
    '[cache]',
    `STORAGE_DIR = ${dir}/`, `LOCAL_DATA_DIR = ${whisper}/`, `WHITELISTS_DIR = ${dir}/lists/`, `LOG_DIR = ${dir}/log/`, `PID_DIR = ${dir}/`,
    'LINE_RECEIVER_INTERFACE = 127.0.0.1', `LINE_RECEIVER_PORT = ${line}`,
    'PICKLE_RECEIVER_INTERFACE = 127.0.0.1', `PICKLE_RECEIVER_PORT = ${pickle}`,
    'CACHE_QUERY_INTERFACE = 127.0.0.1', `CACHE_QUERY_PORT = ${query}`,
    'ENABLE_UDP_LISTENER = False', 'MAX_CREATES_PER_MINUTE = inf', 'MAX_UPDATES_PER_SECOND = inf', 'USER =', '',
  ].join('\n'));
  // Ten-second points for a day: a window of a few minutes holds several buckets.
  fs.writeFileSync(path.join(dir, 'storage-schemas.conf'), '[default]\npattern = .*\nretentions = 10s:1d\n');
  fs.writeFileSync(path.join(dir, 'davy_graphite_settings.py'), [
    'from graphite.settings import *  # noqa',
    `SECRET_KEY = 'davy-tests-only'`,
    `STORAGE_DIR = ${JSON.stringify(dir)}`, `WHISPER_DIR = ${JSON.stringify(whisper)}`, `STANDARD_DIRS = [WHISPER_DIR]`,
    `LOG_DIR = ${JSON.stringify(path.join(dir, 'log'))}`, `INDEX_FILE = ${JSON.stringify(path.join(dir, 'index'))}`,
    `DATABASES = {'default': {'ENGINE': 'django.db.backends.sqlite3', 'NAME': ${JSON.stringify(path.join(dir, 'graphite.db'))}}}`,
    `CARBONLINK_HOSTS = ['127.0.0.1:${query}']`,
    `ALLOWED_HOSTS = ['127.0.0.1', 'localhost']`,
    'LOG_RENDERING_PERFORMANCE = False', 'LOG_CACHE_PERFORMANCE = False', '',
  ].join('\n'));
  fs.mkdirSync(path.join(dir, 'log'), { recursive: true });
  const env = { ...process.env, PYTHONPATH: dir, DJANGO_SETTINGS_MODULE: 'davy_graphite_settings', GRAPHITE_SETTINGS_MODULE: 'davy_graphite_settings' };
  const migrate = startProcess(PYTHON, ['-m', 'django', 'migrate', '--run-syncdb', '--verbosity', '0'], path.join(dir, 'migrate.log'), env);
  const migrated = await new Promise<number>((resolve) => migrate.child.once('exit', (code) => resolve(code ?? -1)));
  if (migrated !== 0) throw new Error(`graphite-web migrate failed:\n${migrate.tail()}`);
  const carbon = startProcess('/usr/bin/carbon-cache', [`--config=${path.join(dir, 'carbon.conf')}`, '--debug', '--pidfile', path.join(dir, 'carbon.pid'), 'start'], path.join(dir, 'carbon.log'));
  const webProc = startProcess(PYTHON, ['-m', 'django', 'runserver', '--noreload', '--nothreading', `127.0.0.1:${web}`], path.join(dir, 'web.log'), env);
  const processes: Managed[] = [carbon, webProc];
  const stop = async (): Promise<void> => {
    await Promise.all(processes.map((p) => p.stop()));
  };
  const url = `http://127.0.0.1:${web}`;
  try {
    await eventually('graphite-web to answer', async () => ((await fetch(`${url}/render?target=none&format=json`).catch(() => undefined))?.ok ? true : undefined), 60_000, 500);
    await eventually('carbon-cache to listen', () => connects(line), 30_000, 250);
  } catch (error) {
    await stop();
    throw new Error(`${(error as Error).message}\ncarbon:\n${carbon.tail()}\nweb:\n${webProc.tail()}`, { cause: error });
  }
  return {
    url,
    stop,
    send: (points) => sendLines(line, points.map((p) => `${p.path} ${p.value} ${p.at ?? Math.floor(Date.now() / 1000)}\n`).join('')),
    visible: async (target) => {
      await eventually(`graphite to show ${target}`, async () => {
        const answer = (await (await fetch(`${url}/render?target=${encodeURIComponent(target)}&from=-5min&format=json`)).json()) as { datapoints: [number | null, number][] }[];
        return answer.some((s) => s.datapoints.some((d) => d[0] !== null)) ? true : undefined;
      }, 30_000, 250);
    },
  };
}

const connects = (port: number): Promise<true | undefined> =>
  new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => {
      socket.end();
      resolve(true);
    });
    socket.on('error', () => resolve(undefined));
  });

function sendLines(port: number, text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.end(text, () => resolve()));
    socket.on('error', reject);
  });
}

// A real Prometheus (Debian's package), started on a free port with a generated scrape config:
// `targets` fixed at start, and more added while it runs (`scrape()`: Davy's own processes, whose
// ports are known only once they start) through file-based discovery, which Prometheus re-reads.
import fs from 'node:fs';
import path from 'node:path';
import { startProcess, freePort, eventually, type Managed } from './process.js';

/** Debian's Prometheus binary, or the one DAVY_PROMETHEUS names (`make test-unit` ensures it). */
export const PROMETHEUS_BINARY = process.env.DAVY_PROMETHEUS ?? '/usr/bin/prometheus';

/** Skips the suite, saying why, when there is no Prometheus binary to run. */
export function skipWithoutPrometheus(suite: Mocha.Context): void {
  if (fs.existsSync(PROMETHEUS_BINARY)) return;
  console.log(`    skipped: no Prometheus binary at ${PROMETHEUS_BINARY} (install Debian's prometheus package or set DAVY_PROMETHEUS)`);
  suite.skip();
}

export interface PrometheusServer {
  url: string;
  port: number;
  process: Managed;
  /**
   * Scrapes `targets` (host:port, /metrics) from now on, labelled `component`; a second call with
   * the same component replaces its targets. Resolves once Prometheus has scraped them all.
   */
  scrape(component: string, targets: string[]): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Prometheus scraping `targets`. It listens on 127.0.0.1 unless `listenHost` says otherwise (the
 * in-cluster suite's pods reach it at the real node's address, so there it listens on 0.0.0.0).
 */
export async function startPrometheus(
  binary: string, dir: string, targets: string[], scrapeIntervalSeconds = 1, listenHost = '127.0.0.1',
): Promise<PrometheusServer> {
  fs.mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const config = [
    'global:',
    `  scrape_interval: ${scrapeIntervalSeconds}s`,
    `  evaluation_interval: ${scrapeIntervalSeconds}s`,
    'scrape_configs:',
    '  - job_name: davy-e2e',
    '    static_configs:',
    `      - targets: [${targets.map((t) => JSON.stringify(t)).join(', ')}]`,
    '  - job_name: davy-components',
    '    file_sd_configs:',
    `      - files: [${JSON.stringify(path.join(dir, 'targets', '*.json'))}]`,
    `        refresh_interval: ${scrapeIntervalSeconds}s`,
    '',
  ].join('\n');
  fs.mkdirSync(path.join(dir, 'targets'), { recursive: true });
  const configFile = path.join(dir, 'prometheus.yml');
  fs.writeFileSync(configFile, config);
  const proc = startProcess(binary, [
    `--config.file=${configFile}`,
    `--storage.tsdb.path=${path.join(dir, 'data')}`,
    `--web.listen-address=${listenHost}:${port}`,
    '--storage.tsdb.retention.time=1h',
    '--log.level=warn',
  ], path.join(dir, 'prometheus.log'));
  const url = `http://127.0.0.1:${port}`;
  try {
    await eventually('Prometheus to be ready', async () => ((await fetch(`${url}/-/ready`)).ok ? true : undefined), 30_000);
  } catch (error) {
    await proc.stop();
    throw new Error(`${(error as Error).message}\n${proc.tail()}`, { cause: error });
  }
  const scrape = async (component: string, scraped: string[]): Promise<void> => {
    const file = path.join(dir, 'targets', `${component}.json`);
    // Written aside and renamed, so Prometheus never reads half a file.
    fs.writeFileSync(`${file}.tmp`, JSON.stringify([{ targets: scraped, labels: { component } }]));
    fs.renameSync(`${file}.tmp`, file);
    await eventually(`Prometheus to scrape ${component} (${scraped.join(', ')})`, async () => {
      const up = await promQuery(url, `up{component=${JSON.stringify(component)}} == 1`);
      return scraped.every((t) => up.some((s) => s.metric.instance === t)) ? true : undefined;
    }, 30_000, 500);
  };
  return { url, port, process: proc, scrape, stop: () => proc.stop() };
}

/** An instant query; the raw `data.result` of the HTTP API. */
export async function promQuery(url: string, query: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]> {
  const response = await fetch(`${url}/api/v1/query?${new URLSearchParams({ query }).toString()}`);
  const body = (await response.json()) as { status: string; error?: string; data?: { result: { metric: Record<string, string>; value: [number, string] }[] } };
  if (body.status !== 'success') throw new Error(`query ${query} failed: ${body.error ?? response.status}`);
  return body.data?.result ?? [];
}

// A metrics exporter the tests (and the demo) shape: Prometheus scrapes it like a mesh's telemetry.
// Pods do not run under kwok, so this process stands in for the sidecars' request metrics:
// counters grow at the shaped request rate, split by response code by the shaped success rate,
// and latency histograms put every request in the bucket of the shaped latency.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface TrafficShape {
  requestsPerSecond: number;
  /** Fraction of requests answered without a 5xx, 0..1. */
  successRate: number;
  /** Fraction answered 404, 0..1 (counted as successes by the builtin success rate). */
  notFoundRate?: number;
  latencyMs: number;
}

type Labels = Record<string, string>;
type Mesh = 'osm' | 'istio' | 'http' | 'envoy';

interface Series {
  mesh: Mesh;
  labels: Labels;
  shape: TrafficShape;
  /** Requests so far per response code, and the latency histogram's cumulative state. */
  codes: Map<string, number>;
  buckets: number[];
  sum: number;
  count: number;
  updated: number;
}

// Fine enough that histogram_quantile reads a shaped latency back within a few percent.
const BUCKETS_MS = [1, 5, 10, 20, 30, 40, 50, 75, 100, 150, 200, 300, 400, 500, 750, 1000, 1500, 2000, 3000, 5000, 10000];

export class MetricsExporter {
  private readonly series = new Map<string, Series>();
  private readonly gauges = new Map<string, { name: string; labels: Labels; value: number }>();
  private server?: http.Server;

  constructor(private readonly now: () => number = Date.now) {}

  /** OSM's `osm_request_total` / `osm_request_duration_ms_bucket` for a Deployment. */
  shapeOsm(namespace: string, deployment: string, shape: TrafficShape): void {
    this.shape('osm', { destination_namespace: namespace, destination_kind: 'Deployment', destination_name: deployment }, shape);
  }

  /** Istio's `istio_requests_total` / `istio_request_duration_milliseconds_bucket` (reporter=destination). */
  shapeIstio(namespace: string, workload: string, shape: TrafficShape): void {
    this.shape('istio', { reporter: 'destination', destination_workload_namespace: namespace, destination_workload: workload }, shape);
  }

  /** The app-exported `http_request_duration_seconds` histogram that the kubernetes provider reads. */
  shapeHttp(namespace: string, pod: string, shape: TrafficShape): void {
    this.shape('http', { kubernetes_namespace: namespace, kubernetes_pod_name: pod }, shape);
  }

  /** Envoy's `envoy_cluster_upstream_rq` / `envoy_cluster_upstream_rq_time_bucket` for one upstream cluster. */
  shapeEnvoy(cluster: string, shape: TrafficShape): void {
    this.shape('envoy', { envoy_cluster_name: cluster }, shape);
  }

  setGauge(name: string, labels: Labels, value: number): void {
    this.gauges.set(key(name, labels), { name, labels, value });
  }

  /** The Prometheus text exposition format (version 0.0.4). */
  render(): string {
    const now = this.now();
    const lines: string[] = [];
    for (const s of this.series.values()) this.advance(s, now);
    // [mesh, request counter, the label of its response code, latency histogram, ms per unit]
    const families: [Mesh, string, string, string, number][] = [
      ['osm', 'osm_request_total', 'response_code', 'osm_request_duration_ms', 1],
      ['istio', 'istio_requests_total', 'response_code', 'istio_request_duration_milliseconds', 1],
      ['http', '', '', 'http_request_duration_seconds', 1000],
      ['envoy', 'envoy_cluster_upstream_rq', 'envoy_response_code', 'envoy_cluster_upstream_rq_time', 1],
    ];
    for (const [mesh, counter, codeLabel, histogram, unit] of families) {
      const members = [...this.series.values()].filter((s) => s.mesh === mesh);
      if (!members.length) continue;
      if (counter) {
        lines.push(`# TYPE ${counter} counter`);
        for (const s of members) for (const [code, n] of s.codes) lines.push(`${counter}${fmt({ ...s.labels, [codeLabel]: code })} ${n}`);
      }
      lines.push(`# TYPE ${histogram} histogram`);
      for (const s of members) {
        // The http histogram is split by status, as app instrumentation does; the meshes' are not.
        const parts = mesh === 'http' ? [...s.codes].map(([code, n]) => [{ ...s.labels, status: code }, n / Math.max(s.count, 1)] as const)
          : [[s.labels, 1] as const];
        for (const [labels, share] of parts) {
          BUCKETS_MS.forEach((le, i) => lines.push(`${histogram}_bucket${fmt({ ...labels, le: String(le / unit) })} ${s.buckets[i]! * share}`));
          lines.push(`${histogram}_bucket${fmt({ ...labels, le: '+Inf' })} ${s.count * share}`);
          lines.push(`${histogram}_sum${fmt(labels)} ${(s.sum / unit) * share}`);
          lines.push(`${histogram}_count${fmt(labels)} ${s.count * share}`);
        }
      }
    }
    const gauges = [...this.gauges.values()];
    for (const name of new Set(gauges.map((g) => g.name))) {
      lines.push(`# TYPE ${name} gauge`);
      for (const g of gauges.filter((x) => x.name === name)) lines.push(`${name}${fmt(g.labels)} ${g.value}`);
    }
    return `${lines.join('\n')}\n`;
  }

  async listen(port = 0, host = '127.0.0.1'): Promise<number> {
    this.server = http.createServer((req, res) => {
      if (req.url?.startsWith('/metrics')) {
        res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(this.render());
      } else {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((resolve) => this.server!.listen(port, host, resolve));
    return (this.server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    if (this.server) await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }

  private shape(mesh: Mesh, labels: Labels, shape: TrafficShape): void {
    const id = key(mesh, labels);
    const existing = this.series.get(id);
    const now = this.now();
    if (existing) {
      this.advance(existing, now); // what happened so far keeps the old shape
      existing.shape = shape;
      return;
    }
    this.series.set(id, { mesh, labels, shape, codes: new Map(), buckets: BUCKETS_MS.map(() => 0), sum: 0, count: 0, updated: now });
  }

  private advance(s: Series, now: number): void {
    const n = (s.shape.requestsPerSecond * (now - s.updated)) / 1000;
    s.updated = now;
    if (n <= 0) return;
    const notFound = s.shape.notFoundRate ?? 0;
    const split: [string, number][] = [['200', s.shape.successRate - notFound], ['404', notFound], ['500', 1 - s.shape.successRate]];
    for (const [code, share] of split) {
      if (share > 0) s.codes.set(code, (s.codes.get(code) ?? 0) + n * share);
    }
    BUCKETS_MS.forEach((le, i) => { if (s.shape.latencyMs <= le) s.buckets[i]! += n; });
    s.sum += n * s.shape.latencyMs;
    s.count += n;
  }
}

function key(name: string, labels: Labels): string {
  return `${name}${fmt(labels)}`;
}

function fmt(labels: Labels): string {
  const body = Object.entries(labels).map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`).join(',');
  return `{${body}}`;
}

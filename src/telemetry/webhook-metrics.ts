// The webhook's Prometheus instruments, on a Registry this object owns (no global registry), so
// tests and several servers in one process never collide.
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export type WebhookPath = '/mutate' | '/validate' | 'other';
export type WebhookVerdict = 'allowed' | 'denied' | 'patched' | 'error';
export type CertificateReloadResult = 'success' | 'failure';

export interface WebhookMetricsOptions {
  /** Process and Node.js runtime metrics on the same registry (default true). */
  defaultMetrics?: boolean;
}

// Reviews take well under a millisecond; the apiserver gives up at timeoutSeconds (5).
const DURATION_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

export class WebhookMetrics {
  readonly registry = new Registry();
  private readonly duration: Histogram<'path' | 'verdict'>;
  private readonly requests: Counter<'path' | 'verdict'>;
  private readonly reloads: Counter<'result'>;

  constructor(options: WebhookMetricsOptions = {}) {
    this.duration = new Histogram({
      name: 'davy_webhook_request_duration_seconds',
      help: 'Time to answer an admission request, by path and verdict.',
      labelNames: ['path', 'verdict'],
      buckets: DURATION_BUCKETS,
      registers: [this.registry],
    });
    this.requests = new Counter({
      name: 'davy_webhook_requests_total',
      help: 'Admission requests answered, by path and verdict.',
      labelNames: ['path', 'verdict'],
      registers: [this.registry],
    });
    this.reloads = new Counter({
      name: 'davy_webhook_certificate_reloads_total',
      help: 'Serving certificate reloads after the files changed, by result (a failure keeps the previous pair).',
      labelNames: ['result'],
      registers: [this.registry],
    });
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry });
  }

  /** Records one answered request. */
  observe(path: WebhookPath, verdict: WebhookVerdict, seconds: number): void {
    this.duration.observe({ path, verdict }, seconds);
    this.requests.inc({ path, verdict });
  }

  certificateReload(result: CertificateReloadResult): void {
    this.reloads.inc({ result });
  }

  /** The exposition text for GET /metrics. */
  async expose(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}

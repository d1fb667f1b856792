// Serving-certificate loading and hot reload. Kubernetes updates a mounted Secret by swapping a
// `..data` symlink in the directory, so the directories are watched, not the files; events are
// debounced because a certificate and its key never change in one step. A pair that cannot be
// read, or whose key does not match, is refused and the previous pair keeps serving.
import { watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { dirname } from 'node:path';
import { createSecureContext } from 'node:tls';
import type { Logger } from '../telemetry/logger.js';
import type { WebhookMetrics } from '../telemetry/webhook-metrics.js';

export const TLS_MIN_VERSION = 'TLSv1.2';

/**
 * The suites offered: TLS 1.3's (all AEAD), and for TLS 1.2 only ECDHE with AES-GCM or
 * ChaCha20-Poly1305. No CBC, no SHA-1 MAC, no static RSA key exchange (issue 11): the apiserver's
 * Go client offers these first, so nothing it needs is lost.
 */
export const TLS_CIPHERS = [
  'TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256',
  'ECDHE-ECDSA-AES128-GCM-SHA256', 'ECDHE-RSA-AES128-GCM-SHA256', 'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384', 'ECDHE-ECDSA-CHACHA20-POLY1305', 'ECDHE-RSA-CHACHA20-POLY1305',
].join(':');

/** What every secure context of the webhook is made with, besides its pair. */
export const TLS_SETTINGS = { minVersion: TLS_MIN_VERSION, ciphers: TLS_CIPHERS } as const;

export interface CertificateFiles {
  certFile: string;
  keyFile: string;
}

export interface KeyPair {
  cert: Buffer;
  key: Buffer;
  /** SHA-256 fingerprint of the leaf certificate, for logs and change detection. */
  fingerprint: string;
  subject: string;
  validTo: string;
}

/** Reads and checks a pair: both parse, the key belongs to the certificate, OpenSSL accepts them. */
export async function loadKeyPair(files: CertificateFiles): Promise<KeyPair> {
  const [cert, key] = await Promise.all([readFile(files.certFile), readFile(files.keyFile)]);
  const x509 = new X509Certificate(cert);
  if (!x509.checkPrivateKey(createPrivateKey(key))) {
    throw new Error(`the key in ${files.keyFile} does not belong to the certificate in ${files.certFile}`);
  }
  createSecureContext({ cert, key, ...TLS_SETTINGS });
  return { cert, key, fingerprint: x509.fingerprint256, subject: x509.subject.replace(/\n/g, ', '), validTo: x509.validTo };
}

/** Anything that can swap its serving pair: tls.Server and https.Server. */
export interface SecureContextTarget {
  setSecureContext(options: { cert: Buffer; key: Buffer; minVersion: 'TLSv1.2'; ciphers: string }): void;
}

export interface ReloaderOptions {
  files: CertificateFiles;
  target: SecureContextTarget;
  current: KeyPair;
  logger: Logger;
  metrics: WebhookMetrics;
  debounceMs?: number;
}

export class CertificateReloader {
  private current: KeyPair;
  private readonly watchers: FSWatcher[] = [];
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();

  constructor(private readonly options: ReloaderOptions) {
    this.current = options.current;
  }

  get fingerprint(): string {
    return this.current.fingerprint;
  }

  start(): void {
    const dirs = new Set([dirname(this.options.files.certFile), dirname(this.options.files.keyFile)]);
    for (const dir of dirs) {
      const watcher = watch(dir, { persistent: false }, () => this.schedule());
      watcher.on('error', (error) => this.options.logger.warn('certificate directory watch failed', { dir, error }));
      this.watchers.push(watcher);
    }
  }

  close(): void {
    for (const watcher of this.watchers.splice(0)) watcher.close();
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.running = this.running.then(() => this.reload());
    }, this.options.debounceMs ?? 200);
  }

  /** Loads the files again and swaps the context when the pair changed; never throws. */
  async reload(): Promise<void> {
    const { files, target, logger, metrics } = this.options;
    let next: KeyPair;
    try {
      next = await loadKeyPair(files);
    } catch (error) {
      metrics.certificateReload('failure');
      logger.warn('serving certificate changed but cannot be used; keeping the previous one', { ...files, fingerprint: this.current.fingerprint, error });
      return;
    }
    if (next.fingerprint === this.current.fingerprint && next.key.equals(this.current.key)) return;
    try {
      target.setSecureContext({ cert: next.cert, key: next.key, ...TLS_SETTINGS });
    } catch (error) {
      metrics.certificateReload('failure');
      logger.warn('serving certificate refused by TLS; keeping the previous one', { ...files, error });
      return;
    }
    logger.info('serving certificate reloaded', { previous: this.current.fingerprint, fingerprint: next.fingerprint, subject: next.subject, validTo: next.validTo });
    this.current = next;
    metrics.certificateReload('success');
  }
}

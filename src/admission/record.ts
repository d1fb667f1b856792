// `davy webhook --record-reviews DIR`: a development aid that writes every AdmissionReview the
// webhook decodes to DIR, byte for byte as the apiserver sent it, so real reviews can become test
// fixtures (test/fixtures/admission/recorded/). Off by default. Reviews carry whole objects and
// the requesting user's identity: the directory is created private (0700), files are 0600 and
// never overwritten, and recording stops after a fixed number of files. Each file appears whole:
// it is written under a hidden `.partial` name, then linked to its own. A failed write is logged
// and never changes an answer.
import { mkdirSync } from 'node:fs';
import { link, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../telemetry/logger.js';
import type { WebhookPath } from '../telemetry/webhook-metrics.js';
import type { AdmissionRequest } from './review.js';

/** Recording stops after this many files, so a forgotten flag cannot fill a disk. */
export const RECORD_LIMIT = 2000;

export type ReviewRecorder = (path: WebhookPath, body: Buffer, request: AdmissionRequest) => void;

const safe = (text: string): string => text.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 60) || '_';

/** The file name of the n-th review: sortable, and saying what it is at a glance. */
export function recordFileName(n: number, path: WebhookPath, request: AdmissionRequest): string {
  const parts = [String(n).padStart(5, '0'), path.replace('/', ''), request.kind.kind, request.subResource ?? '', request.operation, request.namespace, request.name, request.dryRun ? 'dryrun' : '', request.uid.slice(0, 8)];
  return `${parts.filter((p) => p !== '').map(safe).join('-').toLowerCase()}.json`;
}

/** Creates DIR (private) and returns the recorder; throws if DIR cannot be created. */
export function reviewRecorder(dir: string, logger: Logger, limit = RECORD_LIMIT): ReviewRecorder {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  logger.warn('recording every admission review to a directory (a development aid: reviews hold whole objects and user identities)', { dir, limit });
  let count = 0;
  return (path, body, request) => {
    if (count >= limit) return;
    count += 1;
    if (count === limit) logger.warn('review recording reached its limit; later reviews are not recorded', { dir, limit });
    const name = recordFileName(count, path, request);
    const file = join(dir, name);
    const partial = join(dir, `.${name}.partial`);
    // link, unlike rename, refuses to replace an existing file.
    writeFile(partial, body, { mode: 0o600, flag: 'wx' })
      .then(() => link(partial, file))
      .finally(() => unlink(partial).catch(() => undefined))
      .catch((error: unknown) => logger.warn('could not record a review', { file, error }));
  };
}

// Reading a review's body from the request stream: bounded, uncompressed, whole. The express
// routes in app.ts use it in place of express.raw: it refuses a compressed body rather than
// inflating it, reports every refusal as a coded DecodeError, and skips body-parser's per-request
// content-type and charset work. A refused body is still read to its end before the answer (as
// body-parser does), so the client, which is usually still sending, gets the error instead of a
// reset connection; the server's requestTimeout bounds how long that may take.
import type { IncomingMessage } from 'node:http';
import type { DecodeError } from './review.js';

export type BodyResult = { ok: true; body: Buffer } | { ok: false; status: 400 | 413 | 415; error: DecodeError };

const refuse = (status: 400 | 413 | 415, error: DecodeError): BodyResult => ({ ok: false, status, error });

/** The body of `req`, or why it is refused: larger than `limit` bytes, compressed, or cut short. */
export function readBody(req: IncomingMessage, limit: number): Promise<BodyResult> {
  const encoding = req.headers['content-encoding']?.trim().toLowerCase();
  let refusal: BodyResult | undefined;
  if (encoding !== undefined && encoding !== '' && encoding !== 'identity') {
    // The apiserver never compresses review bodies; inflating untrusted input is not worth its risk.
    refusal = refuse(415, { code: 'UnsupportedEncoding', message: `content-encoding ${JSON.stringify(encoding)} is not supported: send the review uncompressed` });
  }
  const declared = Number(req.headers['content-length'] ?? NaN);
  const tooLarge = (): BodyResult => refuse(413, { code: 'BodyTooLarge', message: `the body exceeds ${limit} bytes` });
  if (refusal === undefined && declared > limit) refusal = tooLarge();

  return new Promise((resolve) => {
    let chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const settle = (result: BodyResult): void => {
      if (settled) return;
      settled = true;
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
      resolve(result);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (refusal !== undefined) return;
      if (size > limit) {
        refusal = tooLarge();
        chunks = [];
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      if (refusal !== undefined) settle(refusal);
      else settle({ ok: true, body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size) });
    };
    const unreadable = (why: string): void => settle(refuse(400, { code: 'UnreadableBody', message: `the body could not be read: ${why}` }));
    const onError = (error: Error): void => unreadable(error.message);
    const onClose = (): void => unreadable('the client closed the connection before the body ended');
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
}

// A CloudEvents sink on 127.0.0.1 that checks each request against CloudEvents 1.0 and its HTTP
// binding before it accepts it, so a malformed event fails a test instead of passing silently:
//
//   - structured content mode: Content-Type `application/cloudevents+json` and a JSON object body
//     (binary mode's ce-* headers alone are refused: Davy documents structured mode);
//   - the REQUIRED attributes: specversion "1.0", id a non-empty string, source a non-empty
//     URI-reference, type a non-empty string;
//   - the OPTIONAL ones when present: time an RFC 3339 timestamp, subject a non-empty string,
//     datacontenttype a media type (RFC 2046), dataschema a non-empty URI;
//   - attribute names of lower-case letters and digits only, none named `data`, and string values
//     without control characters.
//
// Accepted events are recorded in order. `failNext(n)` answers the next n posts 500; with
// `stored: true` it records them first (a sink that kept the event but lost its answer), which is
// how a test sees that a retried post carries the same id.
import type http from 'node:http';
import { PostReceiver } from './post-receiver.js';

export interface ReceivedEvent {
  headers: http.IncomingHttpHeaders;
  event: Record<string, unknown> & { id: string; source: string; type: string; specversion: string };
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;
const MEDIA_TYPE = /^[A-Za-z0-9][\w!#$&^.+-]*\/[A-Za-z0-9][\w!#$&^.+-]*(\s*;.*)?$/;
const ATTRIBUTE_NAME = /^[a-z0-9]+$/;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
/** RFC 3986 URI-reference, roughly: no spaces or characters outside the URI alphabet. */
const URI_REFERENCE = /^[A-Za-z0-9\-._~:/?#[\]@!$&'()*+,;=%]+$/;
const ABSOLUTE_URI = /^[A-Za-z][A-Za-z0-9+.-]*:[^\s]+$/;

/** Why `body` is not a valid CloudEvent in structured mode, or undefined when it is. */
export function invalidity(contentType: string | undefined, body: string): string | undefined {
  if (!(contentType ?? '').toLowerCase().startsWith('application/cloudevents+json')) return `Content-Type ${String(contentType)} is not application/cloudevents+json`;
  let event: unknown;
  try {
    event = JSON.parse(body);
  } catch {
    return 'the body is not JSON';
  }
  if (typeof event !== 'object' || event === null || Array.isArray(event)) return 'the body is not a JSON object';
  const e = event as Record<string, unknown>;
  if (e.specversion !== '1.0') return `specversion ${JSON.stringify(e.specversion)} is not "1.0"`;
  for (const name of ['id', 'source', 'type'] as const) {
    if (typeof e[name] !== 'string' || e[name] === '') return `${name} must be a non-empty string`;
  }
  if (!URI_REFERENCE.test(e.source as string)) return `source ${JSON.stringify(e.source)} is not a URI-reference`;
  if ('time' in e && (typeof e.time !== 'string' || !RFC3339.test(e.time) || Number.isNaN(Date.parse(e.time)))) return `time ${JSON.stringify(e.time)} is not RFC 3339`;
  if ('subject' in e && (typeof e.subject !== 'string' || e.subject === '')) return 'subject must be a non-empty string';
  if ('datacontenttype' in e && (typeof e.datacontenttype !== 'string' || !MEDIA_TYPE.test(e.datacontenttype))) return `datacontenttype ${JSON.stringify(e.datacontenttype)} is not a media type`;
  if ('dataschema' in e && (typeof e.dataschema !== 'string' || !ABSOLUTE_URI.test(e.dataschema))) return 'dataschema must be a non-empty URI';
  for (const [name, value] of Object.entries(e)) {
    if (name === 'data' || name === 'data_base64') continue;
    if (!ATTRIBUTE_NAME.test(name)) return `attribute name ${JSON.stringify(name)} is not lower-case letters and digits`;
    if (typeof value === 'string' && CONTROL.test(value)) return `attribute ${name} holds a control character`;
    if (typeof value === 'object' && value !== null) return `attribute ${name} is not a scalar`;
  }
  return undefined;
}

export class CloudEventsReceiver extends PostReceiver {
  /** Events recorded, in the order they came (a retried one again, when it was stored before). */
  readonly received: ReceivedEvent[] = [];
  readonly refused: { status: number; reason: string }[] = [];
  private failing = 0;
  private storeFailed = false;

  /** The next `n` posts answer 500; `stored`: recorded first, as if the answer was lost. */
  failNext(n: number, options: { stored?: boolean } = {}): void {
    this.failing = n;
    this.storeFailed = options.stored === true;
  }

  /** The types of the events received, in order. */
  types(): string[] {
    return this.received.map((r) => r.event.type);
  }

  protected receive(req: http.IncomingMessage, raw: Buffer, res: http.ServerResponse): void {
    const answer = (status: number, reason?: string): void => {
      if (reason) this.refused.push({ status, reason });
      res.writeHead(status, { 'content-type': 'text/plain' }).end(reason ?? '');
    };
    if (req.method !== 'POST') return answer(405, `method ${req.method ?? ''}`);
    const body = raw.toString('utf8');
    const wrong = invalidity(req.headers['content-type'], body);
    if (wrong) return answer(400, wrong);
    const record = (): void => void this.received.push({ headers: req.headers, event: JSON.parse(body) as ReceivedEvent['event'] });
    if (this.failing > 0) {
      this.failing -= 1;
      if (this.storeFailed) record();
      return answer(500);
    }
    record();
    return answer(202);
  }
}

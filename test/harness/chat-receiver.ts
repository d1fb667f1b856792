// Local stand-ins for the chat services' incoming webhooks, on 127.0.0.1: Slack (incoming webhook
// and chat.postMessage), Microsoft Teams (MessageCard connector), Discord (its /slack endpoint),
// Rocket.Chat and Google Chat. Each checks what its service documents and rejects the rest with
// the service's own error shape, so a wrong payload fails a test instead of passing silently:
//
//   POST /slack/<hook>             Slack incoming webhook: JSON, text or attachments; 400 "invalid_payload" / "no_text"
//   POST /api/chat.postMessage     Slack Web API: Bearer token required ({"ok":false,"error":"not_authed"} else), channel required
//   POST /teams/<hook>             MessageCard: @type, @context, summary or text; 400 "Summary or Text is required."
//   POST /api/webhooks/<id>/<t>/slack   Discord's Slack-compatible endpoint (without /slack: 400, Discord's JSON error)
//   POST /rocket/hooks/<token>     Rocket.Chat: JSON with text or attachments
//   POST /gchat/v1/spaces/<s>/messages  Google Chat: key and token query parameters, text or cards
//
// Posts accepted are recorded with their path and headers; `failNext` makes the next posts answer
// 500 (a service outage), to test retries.
import type http from 'node:http';
import { PostReceiver } from './post-receiver.js';

export interface ReceivedPost {
  service: 'slack' | 'slack-api' | 'msteams' | 'discord' | 'rocket' | 'gchat';
  path: string;
  headers: http.IncomingHttpHeaders;
  body: Record<string, unknown>;
}

type Verdict = { status: number; body: unknown } | undefined;

export class ChatReceiver extends PostReceiver {
  readonly received: ReceivedPost[] = [];
  /** Every request that was refused, with the reason, for test failure messages. */
  readonly refused: { path: string; status: number; reason: string }[] = [];
  private failing = 0;

  /** The next `n` posts answer 500, as a service having an outage. */
  failNext(n: number): void {
    this.failing = n;
  }

  protected receive(req: http.IncomingMessage, raw: Buffer, res: http.ServerResponse): void {
    const answer = (status: number, body: unknown, reason?: string): void => {
      if (reason) this.refused.push({ path: req.url ?? '', status, reason });
      res.writeHead(status, { 'content-type': typeof body === 'string' ? 'text/plain' : 'application/json' }).end(typeof body === 'string' ? body : JSON.stringify(body));
    };
    if (req.method !== 'POST') return answer(405, 'method not allowed', `method ${req.method ?? ''}`);
    if (this.failing > 0) {
      this.failing -= 1;
      return answer(500, 'service unavailable');
    }
    if (!(req.headers['content-type'] ?? '').startsWith('application/json')) return answer(400, 'invalid_payload', 'content-type is not JSON');
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
    } catch {
      return answer(400, 'invalid_payload', 'body is not JSON');
    }
    const url = new URL(req.url ?? '/', 'http://receiver');
    const routed = route(url, req.headers, body);
    if (!routed) return answer(404, 'no_service', `no service at ${url.pathname}`);
    if (routed.verdict) return answer(routed.verdict.status, routed.verdict.body, JSON.stringify(routed.verdict.body));
    this.received.push({ service: routed.service, path: url.pathname + url.search, headers: req.headers, body });
    return answer(200, routed.service === 'slack-api' ? { ok: true, channel: body.channel, ts: '1.0' } : routed.service === 'msteams' ? '1' : 'ok');
  }
}

function route(url: URL, headers: http.IncomingHttpHeaders, body: Record<string, unknown>): { service: ReceivedPost['service']; verdict: Verdict } | undefined {
  const path = url.pathname;
  if (path === '/api/chat.postMessage') return { service: 'slack-api', verdict: slackApi(headers, body) };
  if (path.startsWith('/slack/')) return { service: 'slack', verdict: slackShaped(body) };
  if (path.startsWith('/teams/')) return { service: 'msteams', verdict: messageCard(body) };
  if (path.startsWith('/api/webhooks/')) {
    if (!path.endsWith('/slack')) return { service: 'discord', verdict: { status: 400, body: { message: 'Cannot send an empty message', code: 50006 } } };
    return { service: 'discord', verdict: slackShaped(body) };
  }
  if (path.startsWith('/rocket/hooks/')) return { service: 'rocket', verdict: slackShaped(body) };
  if (/^\/gchat\/v1\/spaces\/[^/]+\/messages$/.test(path)) return { service: 'gchat', verdict: chat(url, body) };
  return undefined;
}

const isText = (v: unknown): boolean => typeof v === 'string' && v.length > 0;

/** Slack's incoming-webhook rules: text or attachments, each attachment with text or fields. */
function slackShaped(body: Record<string, unknown>): Verdict {
  const attachments = body.attachments;
  if (!isText(body.text) && !(Array.isArray(attachments) && attachments.length > 0)) return { status: 400, body: 'no_text' };
  if (attachments !== undefined && !Array.isArray(attachments)) return { status: 400, body: 'invalid_attachments' };
  for (const a of (attachments ?? []) as Record<string, unknown>[]) {
    if (!isText(a.text) && !isText(a.fallback) && !Array.isArray(a.fields)) return { status: 400, body: 'invalid_attachments' };
    if (a.fields !== undefined && !(Array.isArray(a.fields) && (a.fields as Record<string, unknown>[]).every((f) => typeof f.title === 'string' && typeof f.value === 'string'))) {
      return { status: 400, body: 'invalid_attachments' };
    }
  }
  return undefined;
}

/** chat.postMessage answers 200 with ok:false for its errors, as Slack's Web API does. */
function slackApi(headers: http.IncomingHttpHeaders, body: Record<string, unknown>): Verdict {
  if (!/^Bearer \S+$/.test(headers.authorization ?? '')) return { status: 200, body: { ok: false, error: 'not_authed' } };
  if (!isText(body.channel)) return { status: 200, body: { ok: false, error: 'channel_not_found' } };
  return slackShaped(body) ? { status: 200, body: { ok: false, error: 'no_text' } } : undefined;
}

function messageCard(body: Record<string, unknown>): Verdict {
  if (body['@type'] !== 'MessageCard' || body['@context'] !== 'http://schema.org/extensions') return { status: 400, body: 'Webhook message delivery failed with error: Microsoft Teams endpoint returned HTTP error 400' };
  if (!isText(body.summary) && !isText(body.text)) return { status: 400, body: 'Summary or Text is required.' };
  return undefined;
}

/** Google Chat webhooks carry `key` and `token` in the query, and take text or cards. */
function chat(url: URL, body: Record<string, unknown>): Verdict {
  if (!url.searchParams.get('key') || !url.searchParams.get('token')) {
    return { status: 401, body: { error: { code: 401, message: 'Request is missing required authentication credential.', status: 'UNAUTHENTICATED' } } };
  }
  if (!isText(body.text) && !(Array.isArray(body.cards) && body.cards.length > 0)) {
    return { status: 400, body: { error: { code: 400, message: 'Message cannot be empty.', status: 'INVALID_ARGUMENT' } } };
  }
  return undefined;
}

/**
 * The server side of one Streamable HTTP session, written on Node's own request and response
 * objects. The SDK's transport converts every request to a web-standard Request and pipes every
 * answer through a ReadableStream; on the tools/call hot path that conversion cost more than
 * toolgate's policy check, receipt and log write together.
 *
 * A POST carrying requests is answered with one `application/json` body when its responses are
 * the only messages sent for it (the spec lets the server choose, and every client accepts both).
 * The first notification or request sent for it (progress, a log message, an elicitation) turns
 * the answer into an SSE stream instead. SSE events carry ids from the session's event store, so a
 * client that lost a stream resumes it with `Last-Event-ID`.
 */
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { Transport, TransportSendOptions } from '@modelcontextprotocol/sdk/shared/transport.js';
import {
  JSONRPCMessageSchema,
  SUPPORTED_PROTOCOL_VERSIONS,
  isInitializeRequest,
  isJSONRPCErrorResponse,
  isJSONRPCRequest,
  isJSONRPCResultResponse,
  type JSONRPCMessage,
  type MessageExtraInfo,
  type RequestId,
} from '@modelcontextprotocol/sdk/types.js';
import { SessionEventStore } from './event-store.js';

/** How often an open SSE stream gets a comment line, so proxies and clients do not time it out. */
export const SSE_KEEP_ALIVE_MS = 15_000;
/**
 * How long a POST's answer may stay a pending JSON body. A call still running then (a person
 * deciding a challenge, a slow tool) gets an event stream: keep-alive lines for whatever sits in
 * between, and an event id, so a client that loses the connection can resume and get the result.
 */
export const JSON_ANSWER_MS = 10_000;
/** The most messages one POST may carry. */
export const MAX_BATCH = 100;
/** The event-store stream of the session's GET stream (POST streams are numbered). */
const STANDALONE = 'standalone';

/** One POST's answer (or the GET stream): where its messages go, and what it still waits for. */
interface Stream {
  readonly id: string;
  /** The requests the POST carried, in order; empty for the GET stream. */
  readonly requests: readonly RequestId[];
  readonly responses: Map<RequestId, JSONRPCMessage>;
  /** The connection the stream is written to now; undefined once the client let go of it. */
  res: ServerResponse | undefined;
  /** True once the answer is an event stream (always for GET). */
  sse: boolean;
  /** The keep-alive interval of an event stream, or the timer that turns a slow JSON answer into one. */
  timer: NodeJS.Timeout | undefined;
}

/** What the transport is told when it is made. */
export interface HttpSessionOptions {
  readonly sessionId: string;
  /** Called once, when the session's `initialize` request arrives. */
  readonly onInitialized?: () => void;
  /** Where SSE events are kept for replay; one per session. */
  readonly events?: SessionEventStore;
  /** Overrides JSON_ANSWER_MS (tests). */
  readonly jsonAnswerMs?: number;
}

/**
 * An SDK `Transport` for one stateful Streamable HTTP session. The HTTP listener authenticates,
 * reads the body and finds the session; `handle` does the rest of the transport's part of the spec
 * (Accept and Content-Type checks, `MCP-Protocol-Version`, initialization, GET streams, DELETE).
 */
export class HttpSessionTransport implements Transport {
  readonly sessionId: string;
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: <T extends JSONRPCMessage>(message: T, extra?: MessageExtraInfo) => void;

  readonly #events: SessionEventStore;
  readonly #onInitialized: (() => void) | undefined;
  readonly #jsonAnswerMs: number;
  readonly #jsonHeaders: OutgoingHttpHeaders;
  readonly #sseHeaders: OutgoingHttpHeaders;
  readonly #streams = new Map<string, Stream>();
  readonly #byRequest = new Map<RequestId, Stream>();
  #nextStream = 1;
  #initialized = false;
  #closed = false;

  constructor(options: HttpSessionOptions) {
    this.sessionId = options.sessionId;
    this.#onInitialized = options.onInitialized;
    this.#jsonAnswerMs = options.jsonAnswerMs ?? JSON_ANSWER_MS;
    this.#events = options.events ?? new SessionEventStore();
    // Built once: every answer of the session carries the same headers.
    this.#jsonHeaders = { 'content-type': 'application/json', 'mcp-session-id': this.sessionId };
    this.#sseHeaders = {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
      'mcp-session-id': this.sessionId,
    };
  }

  async start(): Promise<void> {}

  /** Answers one HTTP request of this session. `body` is the parsed JSON of a POST. */
  async handle(req: IncomingMessage, res: ServerResponse, body?: unknown): Promise<void> {
    if (this.#closed) return refuse(res, 404, -32001, 'Session not found');
    if (req.method === 'POST') return this.#post(req, res, body);
    if (req.method === 'GET') return this.#get(req, res);
    if (req.method === 'DELETE') {
      if (!this.#versionOk(req, res)) return;
      res.writeHead(200).end();
      await this.close();
      return;
    }
    res.writeHead(405, { allow: 'GET, POST, DELETE' }).end();
  }

  async send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    const response = isJSONRPCResultResponse(message) || isJSONRPCErrorResponse(message);
    const requestId = response ? message.id : options?.relatedRequestId;
    if (requestId === undefined) {
      // Server-initiated: the GET stream, kept for replay when no GET stream is open.
      const eventId = this.#events.add(STANDALONE, message);
      const stream = this.#streams.get(STANDALONE);
      if (stream?.res) writeEvent(stream.res, eventId, message);
      return;
    }
    const stream = this.#byRequest.get(requestId);
    if (!stream) throw new Error(`No connection established for request ID: ${String(requestId)}`);
    if (response) stream.responses.set(requestId, message);
    if (!stream.sse && !response) this.#toSse(stream);
    if (stream.sse) {
      const eventId = this.#events.add(stream.id, message);
      if (stream.res) writeEvent(stream.res, eventId, message);
    }
    if (response && stream.requests.every((id) => stream.responses.has(id))) this.#finish(stream);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const stream of this.#streams.values()) {
      clearInterval(stream.timer);
      const res = stream.res;
      if (!res) continue;
      if (stream.sse) res.end();
      else refuse(res, 404, -32001, 'Session not found');
    }
    this.#streams.clear();
    this.#byRequest.clear();
    this.onclose?.();
  }

  async #post(req: IncomingMessage, res: ServerResponse, body: unknown): Promise<void> {
    const accept = req.headers.accept ?? '';
    if (!accept.includes('application/json') || !accept.includes('text/event-stream')) {
      return refuse(res, 406, -32000, 'Not Acceptable: Client must accept both application/json and text/event-stream');
    }
    if (!isJson(req.headers['content-type'])) return refuse(res, 415, -32000, 'Unsupported Media Type: Content-Type must be application/json');
    const raw = Array.isArray(body) ? body : [body];
    if (raw.length > MAX_BATCH) return refuse(res, 400, -32600, `Invalid Request: Batch must not exceed ${MAX_BATCH} messages`);
    const messages: JSONRPCMessage[] = [];
    for (const m of raw) {
      const parsed = JSONRPCMessageSchema.safeParse(m);
      if (!parsed.success) return refuse(res, 400, -32700, 'Parse error: Invalid JSON-RPC message');
      messages.push(parsed.data);
    }
    // The method is looked at first: a schema check that fails (every tools/call) costs far more than one that passes.
    if (messages.some((m) => 'method' in m && m.method === 'initialize' && isInitializeRequest(m))) {
      if (this.#initialized) return refuse(res, 400, -32600, 'Invalid Request: Server already initialized');
      if (messages.length > 1) return refuse(res, 400, -32600, 'Invalid Request: Only one initialization request is allowed');
      this.#initialized = true;
      this.#onInitialized?.();
    } else {
      if (!this.#initialized) return refuse(res, 400, -32000, 'Bad Request: Server not initialized');
      if (!this.#versionOk(req, res)) return;
    }
    const extra: MessageExtraInfo = { requestInfo: { headers: req.headers } };
    const requests = messages.filter(isJSONRPCRequest).map((m) => m.id);
    if (requests.length === 0) {
      res.writeHead(202).end();
      for (const message of messages) this.onmessage?.(message, extra);
      return;
    }
    const stream: Stream = { id: String(this.#nextStream++), requests, responses: new Map(), res, sse: false, timer: undefined };
    this.#streams.set(stream.id, stream);
    for (const id of requests) this.#byRequest.set(id, stream);
    res.once('close', () => this.#letGo(stream, res));
    stream.timer = setTimeout(() => {
      if (!stream.sse && stream.res) this.#toSse(stream);
    }, this.#jsonAnswerMs).unref();
    for (const message of messages) this.onmessage?.(message, extra);
  }

  #get(req: IncomingMessage, res: ServerResponse): void {
    if (!(req.headers.accept ?? '').includes('text/event-stream')) {
      return refuse(res, 406, -32000, 'Not Acceptable: Client must accept text/event-stream');
    }
    if (!this.#initialized) return refuse(res, 400, -32000, 'Bad Request: Server not initialized');
    if (!this.#versionOk(req, res)) return;
    const lastEventId = header(req, 'last-event-id');
    if (lastEventId === undefined) {
      if (this.#streams.get(STANDALONE)?.res) return refuse(res, 409, -32000, 'Conflict: Only one SSE stream is allowed per session');
      const stream: Stream = { id: STANDALONE, requests: [], responses: new Map(), res: undefined, sse: true, timer: undefined };
      this.#streams.set(STANDALONE, stream);
      this.#attach(stream, res);
      return;
    }
    const replay = this.#events.after(lastEventId);
    if (!replay) return refuse(res, 400, -32000, 'Invalid event ID format');
    const live = this.#streams.get(replay.streamId);
    if (live?.res) return refuse(res, 409, -32000, 'Conflict: Stream already has an active connection');
    res.writeHead(200, this.#sseHeaders);
    for (const [id, message] of replay.events) writeEvent(res, id, message);
    if (live) {
      this.#attach(live, res);
    } else if (replay.streamId === STANDALONE) {
      const stream: Stream = { id: STANDALONE, requests: [], responses: new Map(), res: undefined, sse: true, timer: undefined };
      this.#streams.set(STANDALONE, stream);
      this.#attach(stream, res);
    } else {
      // The POST the stream answered is complete: everything it had to say was just replayed.
      res.end();
    }
  }

  // Makes `res` the live connection of an SSE stream (headers written or about to be).
  #attach(stream: Stream, res: ServerResponse): void {
    if (!res.headersSent) res.writeHead(200, this.#sseHeaders);
    res.flushHeaders();
    stream.res = res;
    stream.sse = true;
    stream.timer = setInterval(() => res.write(': keepalive\n\n'), SSE_KEEP_ALIVE_MS).unref();
    res.once('close', () => this.#letGo(stream, res));
  }

  // The first message of a POST's answer that is not a response: the answer becomes an event stream,
  // starting with whatever responses of a batch were already waiting.
  #toSse(stream: Stream): void {
    clearTimeout(stream.timer);
    stream.timer = undefined;
    stream.sse = true;
    const res = stream.res;
    if (res) {
      res.writeHead(200, this.#sseHeaders);
      stream.timer = setInterval(() => res.write(': keepalive\n\n'), SSE_KEEP_ALIVE_MS).unref();
    }
    for (const response of stream.responses.values()) {
      const eventId = this.#events.add(stream.id, response);
      if (res) writeEvent(res, eventId, response);
    }
  }

  // Every request of the POST has its response: send the JSON answer, or end the stream.
  #finish(stream: Stream): void {
    clearInterval(stream.timer);
    stream.timer = undefined;
    for (const id of stream.requests) this.#byRequest.delete(id);
    this.#streams.delete(stream.id);
    const res = stream.res;
    stream.res = undefined;
    if (!res) return;
    if (stream.sse) {
      res.end();
      return;
    }
    const answers = stream.requests.map((id) => stream.responses.get(id));
    const text = JSON.stringify(answers.length === 1 ? answers[0] : answers);
    // A length instead of chunked framing: one less thing for the client to parse.
    res.writeHead(200, { ...this.#jsonHeaders, 'content-length': Buffer.byteLength(text) }).end(text);
  }

  // The client closed a connection. A POST stream keeps collecting (its events stay replayable);
  // a plain JSON answer that can no longer be delivered is dropped when it arrives.
  #letGo(stream: Stream, res: ServerResponse): void {
    if (stream.res !== res) return;
    stream.res = undefined;
    clearInterval(stream.timer);
    stream.timer = undefined;
    if (stream.id === STANDALONE) this.#streams.delete(STANDALONE);
  }

  #versionOk(req: IncomingMessage, res: ServerResponse): boolean {
    const version = header(req, 'mcp-protocol-version');
    if (version === undefined || SUPPORTED_PROTOCOL_VERSIONS.includes(version)) return true;
    refuse(res, 400, -32000, `Bad Request: Unsupported protocol version: ${version} (supported versions: ${SUPPORTED_PROTOCOL_VERSIONS.join(', ')})`);
    return false;
  }
}

function writeEvent(res: ServerResponse, id: string, message: JSONRPCMessage): void {
  res.write(`event: message\nid: ${id}\ndata: ${JSON.stringify(message)}\n\n`);
}

function refuse(res: ServerResponse, status: number, code: number, message: string): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ jsonrpc: '2.0', id: null, error: { code, message } }));
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

// A parsed media type, not a substring: `application/json-seq` is not JSON.
function isJson(contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  return contentType.split(';')[0]?.trim().toLowerCase() === 'application/json';
}

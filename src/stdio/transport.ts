/**
 * The downstream stdio transport: newline-delimited JSON-RPC like the SDK's, except that bad
 * input is answered instead of ending the session — malformed JSON gets -32700, a message that
 * is not JSON-RPC (or a batch) gets -32600, an oversized line gets -32600, and reading goes on.
 */
import type { Readable, Writable } from 'node:stream';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { JSONRPCMessageSchema, type JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';

/** Stdio transport options. */
export interface StdioOptions {
  readonly input?: Readable;
  readonly output?: Writable;
  /** Longest accepted line in bytes; longer lines are refused and skipped. */
  readonly maxMessageBytes: number;
}

/** A Transport over a pair of streams that survives bad input. */
export class GatewayStdioTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;

  readonly #input: Readable;
  readonly #output: Writable;
  readonly #max: number;
  #chunks: Buffer[] = [];
  #buffered = 0;
  // While skipping the rest of an oversized line, bytes are dropped until the next newline.
  #skipping = false;
  #closed = false;

  constructor(options: StdioOptions) {
    this.#input = options.input ?? process.stdin;
    this.#output = options.output ?? process.stdout;
    this.#max = options.maxMessageBytes;
  }

  async start(): Promise<void> {
    this.#input.on('data', this.#onData);
    this.#input.on('end', this.#onEnd);
    this.#input.on('error', this.#onError);
  }

  async send(message: JSONRPCMessage): Promise<void> {
    const line = `${JSON.stringify(message)}\n`;
    await new Promise<void>((resolve) => {
      if (this.#output.write(line)) resolve();
      else this.#output.once('drain', resolve);
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#input.off('data', this.#onData);
    this.#input.off('end', this.#onEnd);
    this.#input.off('error', this.#onError);
    this.onclose?.();
  }

  readonly #onEnd = (): void => {
    void this.close();
  };

  readonly #onError = (e: Error): void => {
    this.onerror?.(e);
  };

  readonly #onData = (chunk: Buffer): void => {
    let start = 0;
    for (let nl = chunk.indexOf(10, start); nl !== -1; nl = chunk.indexOf(10, start)) {
      this.#take(chunk.subarray(start, nl), true);
      start = nl + 1;
    }
    if (start < chunk.length) this.#take(chunk.subarray(start), false);
  };

  #take(part: Buffer, endOfLine: boolean): void {
    if (this.#skipping) {
      if (endOfLine) this.#skipping = false;
      return;
    }
    this.#buffered += part.length;
    if (this.#buffered > this.#max) {
      this.#chunks = [];
      this.#buffered = 0;
      this.#skipping = !endOfLine;
      this.#reply(null, -32600, `message larger than ${this.#max} bytes refused`);
      return;
    }
    this.#chunks.push(part);
    if (!endOfLine) return;
    const line = (this.#chunks.length === 1 ? (this.#chunks[0] as Buffer) : Buffer.concat(this.#chunks)).toString('utf8');
    this.#chunks = [];
    this.#buffered = 0;
    this.#dispatch(line.endsWith('\r') ? line.slice(0, -1) : line);
  }

  #dispatch(line: string): void {
    if (line.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      this.#reply(null, -32700, 'parse error: not valid JSON');
      return;
    }
    if (Array.isArray(value)) {
      this.#reply(null, -32600, 'invalid request: JSON-RPC batches are not supported');
      return;
    }
    const parsed = JSONRPCMessageSchema.safeParse(value);
    if (!parsed.success) {
      this.#reply(idOf(value), -32600, 'invalid request: not a JSON-RPC 2.0 message');
      return;
    }
    try {
      this.onmessage?.(parsed.data);
    } catch (e) {
      this.onerror?.(e instanceof Error ? e : new Error(String(e)));
    }
  }

  #reply(id: string | number | null, code: number, message: string): void {
    const error = { jsonrpc: '2.0' as const, id, error: { code, message } };
    this.#output.write(`${JSON.stringify(error)}\n`);
  }
}

function idOf(value: unknown): string | number | null {
  if (value && typeof value === 'object' && 'id' in value) {
    const id = (value as { id: unknown }).id;
    if (typeof id === 'string' || typeof id === 'number') return id;
  }
  return null;
}

/** An SDK Client per upstream: stdio, or Streamable HTTP falling back to legacy SSE. */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StdioClientTransport, getDefaultEnvironment } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { ClientCapabilities } from '@modelcontextprotocol/sdk/types.js';
import type { LoadedUpstream } from '../config/load.js';
import { ToolgateError, oneLine } from '../errors.js';
import { quietFetch } from './fetch.js';

/** Identity toolgate presents to upstreams. */
export const CLIENT_INFO = { name: 'toolgate', version: '0.1.0' } as const;

/** A live connection to one upstream. */
export interface UpstreamConnection {
  readonly name: string;
  readonly client: Client;
  /** Which transport ended up carrying the session. */
  readonly transport: 'stdio' | 'http' | 'sse';
  /** The last line the upstream wrote to stderr (stdio), for messages about why it went away. */
  lastStderr(): string | undefined;
  close(): Promise<void>;
}

/** What toolgate declares to upstreams, and hooks into the connection. */
export interface ConnectOptions {
  readonly capabilities?: ClientCapabilities;
  /** Called with the new client before the handshake, to install request and notification handlers. */
  readonly setup?: (client: Client) => void;
  /** Called once when the connection closes without `close()` having been called. */
  readonly onClosed?: (name: string) => void;
  /** Called for transport and protocol errors after the handshake (unparseable lines, failed sends). */
  readonly onError?: (name: string, error: Error) => void;
}

/**
 * Connects to one upstream and completes the MCP handshake within the upstream's `timeout`.
 * Throws `TG_UPSTREAM_START_FAILED` naming the upstream, with the reason (and, for stdio, the
 * last line the process wrote to stderr).
 */
export async function connectUpstream(upstream: LoadedUpstream, options: ConnectOptions = {}): Promise<UpstreamConnection> {
  if (upstream.transport === 'stdio') return connectStdio(upstream, options);
  try {
    return await connectHttp(upstream, options, 'http');
  } catch (first) {
    // Servers that predate Streamable HTTP answer its POST with 404 or 405: try legacy SSE.
    if (!isOldServerRefusal(first)) throw startFailed(upstream.name, first);
    try {
      return await connectHttp(upstream, options, 'sse');
    } catch (second) {
      throw startFailed(upstream.name, second);
    }
  }
}

async function connectStdio(
  upstream: Extract<LoadedUpstream, { transport: 'stdio' }>,
  options: ConnectOptions,
): Promise<UpstreamConnection> {
  const transport = new StdioClientTransport({
    command: upstream.command,
    args: upstream.args,
    env: { ...getDefaultEnvironment(), ...upstream.env },
    cwd: upstream.cwd,
    stderr: 'pipe',
  });
  const stderrTail: string[] = [];
  transport.stderr?.on('data', (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (line.trim()) stderrTail.push(line.trim());
    }
    if (stderrTail.length > 20) stderrTail.splice(0, stderrTail.length - 20);
  });
  try {
    return await handshake(upstream, transport, options, 'stdio', () => stderrTail.at(-1));
  } catch (e) {
    const tail = stderrTail.at(-1);
    throw startFailed(upstream.name, e, tail);
  }
}

async function connectHttp(
  upstream: Extract<LoadedUpstream, { transport: 'http' }>,
  options: ConnectOptions,
  kind: 'http' | 'sse',
): Promise<UpstreamConnection> {
  const url = new URL(upstream.url);
  const requestInit = { headers: upstream.headers };
  const transport =
    kind === 'http'
      ? new StreamableHTTPClientTransport(url, { requestInit, fetch: quietFetch })
      : new SSEClientTransport(url, {
          requestInit,
          fetch: quietFetch,
          eventSourceInit: { fetch: (u, init) => quietFetch(u, { ...init, headers: { ...upstream.headers, ...(init?.headers as Record<string, string>) } }) },
        });
  return handshake(upstream, transport, options, kind, () => undefined);
}

async function handshake(
  upstream: LoadedUpstream,
  transport: Transport,
  options: ConnectOptions,
  kind: UpstreamConnection['transport'],
  lastStderr: () => string | undefined,
): Promise<UpstreamConnection> {
  const client = new Client(CLIENT_INFO, { capabilities: options.capabilities ?? {} });
  options.setup?.(client);
  let closing = false;
  let connected = false;
  client.onclose = () => {
    // Before the handshake completes, a close is reported by connect() failing instead.
    if (connected && !closing) options.onClosed?.(upstream.name);
  };
  // Errors during the handshake surface through connect(); later ones go to the pool, which
  // decides whether the upstream still answers. The SDK never logs them itself.
  client.onerror = (error) => {
    if (connected && !closing) options.onError?.(upstream.name, error);
  };
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer to initialize within ${upstream.timeout} ms`)), upstream.timeout);
  });
  try {
    await Promise.race([client.connect(transport, { timeout: upstream.timeout }), timeout]);
  } catch (e) {
    closing = true;
    await client.close().catch(() => undefined);
    throw e;
  } finally {
    clearTimeout(timer);
  }
  connected = true;
  return {
    name: upstream.name,
    client,
    transport: kind,
    lastStderr,
    close: async () => {
      closing = true;
      await client.close();
    },
  };
}

function isOldServerRefusal(e: unknown): boolean {
  const code = (e as { code?: unknown }).code;
  return code === 404 || code === 405;
}

function startFailed(name: string, cause: unknown, stderrTail?: string): ToolgateError {
  const reason = oneLine(cause) || 'unknown error';
  const tail = stderrTail ? ` (stderr: ${stderrTail.slice(0, 200)})` : '';
  return new ToolgateError('TG_UPSTREAM_START_FAILED', `upstream ${name} failed to start: ${reason}${tail}`, {
    cause,
    details: { upstream: name },
  });
}

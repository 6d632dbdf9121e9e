/** Starts the real `toolgate serve` and connects the SDK's real Client to it, over stdio or HTTP. */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { ClientCapabilities } from '@modelcontextprotocol/sdk/types.js';
import { ROOT } from './workspace.js';

/** The CLI entry, as `npm test` builds it. */
export const BIN = join(ROOT, 'bin/toolgate');

/** A connected client and how to stop everything. */
export interface Connected {
  readonly client: Client;
  /** Everything the gateway wrote to stderr so far. */
  stderr(): string;
  close(): Promise<void>;
}

/** `toolgate serve` on stdio, driven by the SDK's StdioClientTransport. */
export async function connectStdio(config: string, capabilities: ClientCapabilities = {}): Promise<Connected> {
  const transport = new StdioClientTransport({ command: process.execPath, args: [BIN, 'serve', '--config', config], stderr: 'pipe' });
  let err = '';
  transport.stderr?.on('data', (c: Buffer) => (err += c.toString()));
  const client = new Client({ name: 'e2e', version: '1.0.0' }, { capabilities });
  await client.connect(transport);
  return { client, stderr: () => err, close: () => client.close() };
}

/** A `toolgate serve` process listening on HTTP. */
export interface HttpGateway {
  readonly url: string;
  readonly child: ChildProcess;
  stdout(): string;
  stderr(): string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts `toolgate serve --port 0` and waits for the URL in its banner. */
export async function startHttpGateway(config: string, env: NodeJS.ProcessEnv = {}): Promise<HttpGateway> {
  const child = spawn(process.execPath, [BIN, 'serve', '--config', config, '--port', '0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  let out = '';
  let err = '';
  child.stderr?.on('data', (c: Buffer) => (err += c.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout?.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /serving MCP at (http:\/\/\S+\/mcp)/.exec(out);
      if (m?.[1]) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`toolgate serve exited with ${code}: ${err}`)));
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    url,
    child,
    stdout: () => out,
    stderr: () => err,
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** The SDK's Streamable HTTP client on `url`. */
export async function connectHttp(url: string, capabilities: ClientCapabilities = {}, token?: string): Promise<Client> {
  const client = new Client({ name: 'e2e', version: '1.0.0' }, { capabilities });
  const requestInit = token ? { headers: { authorization: `Bearer ${token}` } } : undefined;
  await client.connect(new StreamableHTTPClientTransport(new URL(url), requestInit ? { requestInit } : {}));
  return client;
}

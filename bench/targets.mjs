// The benchmark's targets: the echo server direct, toolgate in three shapes, mcp-proxy and supergateway, each started for real.
import { execFile } from 'node:child_process';
import { setMaxListeners } from 'node:events';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { freePort, spawnNode, trackPid, waitForOutput, waitForPort } from './procs.mjs';

/** The repository root. */
export const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** The toolgate CLI, as `npm run bench` builds it. */
export const BIN = join(ROOT, 'bin/toolgate');
const ECHO = join(ROOT, 'bench/servers/echo.mjs');
const LOOPBACK = pathToFileURL(join(ROOT, 'bench/servers/loopback.mjs')).href;
const MCP_PROXY = join(ROOT, 'node_modules/mcp-proxy/dist/bin/mcp-proxy.mjs');
const SUPERGATEWAY = join(ROOT, 'node_modules/supergateway/dist/index.js');

/**
 * The policy every toolgate target runs: default deny, and echo and blob allowed only through
 * rules with argument conditions, so each call evaluates conditions, not just a tool name.
 */
export const BENCH_POLICY = `version: 1
default: deny
rules:
  - id: never-dotenv
    effect: deny
    tools: ["*"]
    when:
      args.path: { glob: "**/.env*" }
    reason: dotenv files hold secrets
  - id: echo-bounded
    effect: allow
    tools: [echo]
    when:
      args.text: { maxLength: 100000 }
  - id: blob-bounded
    effect: allow
    tools: [blob]
    when:
      args.bytes: { max: 1048576 }
`;

const run = promisify(execFile);

/** Makes the shared receipts key with the real CLI; returns the key and JWKS paths. */
export async function makeKeys(dir) {
  await run(process.execPath, [BIN, 'keys', 'generate', '--out', join(dir, 'keys')], { cwd: ROOT });
  return { key: join(dir, 'keys/gateway.key.json'), jwks: join(dir, 'keys/jwks.json') };
}

/**
 * Writes a toolgate workspace under `dir`: toolgate.yaml (policy, receipts key, log and state on),
 * the policy file, and folders. `upstreams` maps upstream names to YAML blocks.
 */
export async function makeWorkspace(dir, { listen, upstreams, key }) {
  await mkdir(join(dir, 'policies'), { recursive: true });
  await writeFile(join(dir, 'policies/bench.yaml'), BENCH_POLICY);
  const blocks = Object.entries(upstreams)
    .map(([name, block]) => `  ${name}:\n${block}`)
    .join('');
  const config = `gateway:
  name: bench-gateway
  listen:
${listen === 'http' ? '    transport: http\n    host: 127.0.0.1\n    port: 0\n' : '    transport: stdio\n'}  principal: { id: bench, roles: [bench] }
upstreams:
${blocks}policy:
  files: [policies/bench.yaml]
receipts:
  key: ${JSON.stringify(key)}
  ttl: 120s
log:
  path: logs/decisions.jsonl
state:
  path: state/toolgate.db
`;
  await writeFile(join(dir, 'toolgate.yaml'), config);
  return { dir, config: join(dir, 'toolgate.yaml'), logFile: join(dir, 'logs/decisions.jsonl') };
}

/** An upstream block for the echo server on stdio. */
export function stdioEcho() {
  return `    transport: stdio\n    command: ${JSON.stringify(process.execPath)}\n    args: [${JSON.stringify(ECHO)}, stdio]\n`;
}

/** An upstream block for the echo server on Streamable HTTP. */
export function httpEcho(url) {
  return `    transport: http\n    url: ${url}\n`;
}

const CLIENT_INFO = { name: 'toolgate-bench', version: '1.0.0' };

/** The SDK's Streamable HTTP client on `url`, initialized. */
export async function httpClient(url) {
  const client = new Client(CLIENT_INFO);
  // The SDK hands one AbortSignal to every fetch; undici's per-request listeners on it pile up until GC (see src/upstream/fetch.ts).
  const fetchQuietly = (u, init) => {
    if (init?.signal) setMaxListeners(0, init.signal);
    return fetch(u, init);
  };
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { fetch: fetchQuietly }));
  return client;
}

async function stdioClient(args, onStderr) {
  const transport = new StdioClientTransport({ command: process.execPath, args, cwd: ROOT, stderr: 'pipe' });
  transport.stderr?.on('data', onStderr);
  const client = new Client(CLIENT_INFO);
  await client.connect(transport);
  return { client, pid: transport.pid };
}

/**
 * A running target. `front` is the process the client talks to (the gateway or proxy; the echo
 * server itself for a direct target). `open(n)` returns the callers: n HTTP sessions, or the
 * one stdio connection (concurrent calls then share it). `tool(name)` is the name a client calls.
 */
function target(fields) {
  return { workspace: null, upstreamName: 'echo', tool: (name) => name, ...fields };
}

/** The echo server on stdio, spawned by the client. */
export async function directStdio() {
  let err = '';
  const { client, pid } = await stdioClient([ECHO, 'stdio'], (c) => (err = (err + c).slice(-4096)));
  trackPid(pid);
  return target({
    id: 'direct-stdio',
    label: 'direct stdio',
    transport: 'stdio',
    kind: 'direct',
    front: pid,
    open: async () => [client],
    stderr: () => err,
    close: () => client.close(),
  });
}

/** The echo server serving stateful Streamable HTTP on 127.0.0.1. */
export async function directHttp() {
  const proc = spawnNode([ECHO, 'http', '0']);
  const port = await waitForOutput(proc, /^(\d+)\n/);
  const url = `http://127.0.0.1:${port}/mcp`;
  return httpTarget({ id: 'direct-http', label: 'direct Streamable HTTP', kind: 'direct', proc, url });
}

/** toolgate on stdio (the client spawns `toolgate serve`), one stdio echo upstream. */
export async function toolgateStdio(dir, key) {
  const ws = await makeWorkspace(dir, { listen: 'stdio', upstreams: { echo: stdioEcho() }, key });
  let err = '';
  const { client, pid } = await stdioClient([BIN, 'serve', '--config', ws.config], (c) => (err = (err + c).slice(-4096)));
  trackPid(pid);
  return target({
    id: 'toolgate-stdio-stdio',
    label: 'toolgate stdio→stdio',
    transport: 'stdio',
    kind: 'toolgate',
    front: pid,
    workspace: ws,
    open: async () => [client],
    stderr: () => err,
    close: () => client.close(),
  });
}

/** `toolgate serve --port 0` on HTTP in front of `upstreams` (name → YAML block); `nodeArgs` go to node (e.g. --cpu-prof). */
export async function toolgateHttp(dir, key, { id, label, upstreams, nodeArgs = [] }) {
  const ws = await makeWorkspace(dir, { listen: 'http', upstreams, key });
  const proc = spawnNode([...nodeArgs, BIN, 'serve', '--config', ws.config, '--port', '0'], { cwd: ROOT });
  const url = await waitForOutput(proc, /serving MCP at (http:\/\/\S+\/mcp)/, 30_000);
  return httpTarget({ id, label, kind: 'toolgate', proc, url, workspace: ws });
}

/** mcp-proxy (Streamable HTTP only, on 127.0.0.1) fronting a stdio echo server; otherwise its defaults. */
export async function mcpProxy() {
  const port = await freePort();
  const proc = spawnNode([MCP_PROXY, '--host', '127.0.0.1', '--port', String(port), '--server', 'stream', '--', process.execPath, ECHO, 'stdio']);
  await waitForPort(port, proc);
  return httpTarget({ id: 'mcp-proxy', label: 'mcp-proxy HTTP→stdio', kind: 'proxy', proc, url: `http://127.0.0.1:${port}/mcp` });
}

/**
 * supergateway stdio→Streamable HTTP, stateful (stateless mode starts an upstream per request),
 * bound to 127.0.0.1 by a preload since it has no host option. It starts one upstream per session.
 */
export async function supergateway() {
  const port = await freePort();
  const proc = spawnNode([
    '--import',
    LOOPBACK,
    SUPERGATEWAY,
    '--stdio',
    `"${process.execPath}" "${ECHO}" stdio`,
    '--outputTransport',
    'streamableHttp',
    '--stateful',
    '--port',
    String(port),
    '--logLevel',
    'none',
  ]);
  await waitForPort(port, proc);
  return httpTarget({ id: 'supergateway', label: 'supergateway HTTP→stdio', kind: 'proxy', proc, url: `http://127.0.0.1:${port}/mcp` });
}

function httpTarget({ id, label, kind, proc, url, workspace = null }) {
  const clients = [];
  return target({
    id,
    label,
    transport: 'http',
    kind,
    front: proc.pid,
    proc,
    url,
    workspace,
    open: async (n) => {
      while (clients.length < n) clients.push(await httpClient(url));
      return clients.slice(0, n);
    },
    stderr: () => proc.err,
    close: async () => {
      await Promise.allSettled(clients.map((c) => c.close()));
    },
  });
}

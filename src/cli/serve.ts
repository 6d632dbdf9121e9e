/** `toolgate serve`: runs the gateway on the config's downstream transport and prints how to reach it. */
import { InvalidArgumentError, type Command } from 'commander';
import { listenAdmin } from '../admin/listen.js';
import { createMetrics, type AdminMetrics } from '../admin/metrics.js';
import { loadConfig, DEFAULT_CONFIG, type LoadedConfig } from '../config/load.js';
import { createSession } from '../gateway/server.js';
import { startGateway, type RunningGateway } from '../gateway/start.js';
import { listenHttp } from '../http/listen.js';
import { GatewayStdioTransport } from '../stdio/transport.js';
import { processIO } from './run.js';

/** Registers `serve`. */
export function register(program: Command): void {
  program
    .command('serve')
    .description('run the gateway: connect the upstreams, then serve MCP on stdio or Streamable HTTP')
    .option('-c, --config <file>', 'the gateway config', DEFAULT_CONFIG)
    .option('--port <port>', 'override gateway.listen.port (HTTP; 0 picks a free port)', parsePort)
    .action(async (opts: { config: string; port?: number }) => {
      const loaded = await loadConfig(opts.config);
      const config: LoadedConfig =
        opts.port === undefined ? loaded : { ...loaded, gateway: { ...loaded.gateway, listen: { ...loaded.gateway.listen, port: opts.port } } };
      const metrics = config.admin ? createMetrics() : undefined;
      const started = await startGateway(config, metrics?.hooks ?? {});
      const { running, adminUrl } = metrics ? await withAdmin(started, metrics) : { running: started, adminUrl: undefined };
      if (config.gateway.listen.transport === 'stdio') await serveStdio(running, adminUrl);
      else await serveHttp(running, adminUrl);
      // Everything is closed (final checkpoint written); an open stdin must not keep the process alive.
      process.exit(process.exitCode ?? 0);
    });
}

// The review console, /healthz and /metrics beside the gateway, stopped before it.
async function withAdmin(running: RunningGateway, metrics: AdminMetrics): Promise<{ running: RunningGateway; adminUrl: string }> {
  const admin = await listenAdmin(running.gateway, { metrics }).catch(async (e: unknown) => {
    await running.close();
    throw e;
  });
  const close = async (): Promise<void> => {
    await admin.close();
    await running.close();
  };
  return { running: { ...running, close }, adminUrl: admin.url };
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InvalidArgumentError(`--port must be 0-65535, not ${value}`);
  return port;
}

async function serveStdio(running: RunningGateway, adminUrl?: string): Promise<void> {
  const { gateway } = running;
  const session = createSession(gateway, 'stdio', gateway.config.gateway.principal);
  running.sessions.add(session);
  const transport = new GatewayStdioTransport({ maxMessageBytes: gateway.config.limits.max_request_bytes });
  // stdout carries the protocol: everything for people goes to stderr.
  process.stderr.write(banner(running, undefined, adminUrl));
  const done = new Promise<void>((resolve) => {
    transport.onclose = () => resolve();
  });
  await session.server.connect(transport);
  await Promise.race([done, signalled()]);
  await running.close();
}

async function serveHttp(running: RunningGateway, adminUrl?: string): Promise<void> {
  const listener = await listenHttp(running.gateway, running.sessions);
  processIO.out(banner(running, listener.url, adminUrl));
  await signalled();
  process.stderr.write('toolgate: shutting down\n');
  await listener.close();
  await running.close();
}

function signalled(): Promise<void> {
  return new Promise((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
}

/** The one-screen summary: where to connect, what is served, under which policy and key. */
export function banner(running: RunningGateway, url: string | undefined, adminUrl?: string): string {
  const { config, pool, signer, policy } = running.gateway;
  const lines: string[] = [];
  lines.push(`toolgate ${config.gateway.name}: ${url ? `serving MCP at ${url}` : 'serving MCP on stdio'}`);
  lines.push('');
  lines.push('upstreams:');
  const connected = new Set(pool.connected());
  for (const name of Object.keys(config.upstreams)) {
    const tools = pool.catalog.entries.filter((e) => e.server === name).map((e) => e.exposed);
    lines.push(connected.has(name) ? `  ${name}: ${tools.length} tools: ${tools.join(', ') || '(none)'}` : `  ${name}: NOT CONNECTED (see the error above)`);
  }
  lines.push(`policy:    ${config.policy.files.join(', ')} (${policy.current.rules.length} rules, default ${policy.current.default})`);
  lines.push(`receipts:  ${signer.alg} key ${signer.kid}${running.ephemeralKey ? ' (EPHEMERAL: set receipts.key)' : ''}`);
  lines.push(`log:       ${config.log.path}`);
  lines.push(`state:     ${config.state.redis ? `redis ${running.gateway.state.location}` : config.state.path}`);
  if (adminUrl) lines.push(`admin:     ${adminUrl} (review console; /healthz and /metrics need the admin token)`);
  if (url) {
    lines.push('');
    lines.push('client config (Claude Desktop, Cursor, ...):');
    lines.push(JSON.stringify({ mcpServers: { [config.gateway.name]: { type: 'http', url } } }, null, 2).replace(/^/gm, '  '));
    lines.push('');
    lines.push('press Ctrl-C to stop');
  }
  return `${lines.join('\n')}\n`;
}

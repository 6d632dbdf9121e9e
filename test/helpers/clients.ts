/** SDK clients for the pass-through tests: the same capabilities and answers whether they talk to an upstream directly or through the gateway. */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import {
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  ListRootsRequestSchema,
  LoggingMessageNotificationSchema,
  PromptListChangedNotificationSchema,
  ResourceListChangedNotificationSchema,
  ResourceUpdatedNotificationSchema,
  ToolListChangedNotificationSchema,
  type ClientCapabilities,
  type CreateMessageRequest,
  type ElicitRequest,
  type LoggingMessageNotification,
} from '@modelcontextprotocol/sdk/types.js';
import { BIN } from './gateway.js';

/** Everything a client was asked or told, oldest first. */
export interface Observed {
  readonly sampling: Array<CreateMessageRequest['params']>;
  readonly elicitation: Array<ElicitRequest['params']>;
  roots: number;
  readonly logs: Array<LoggingMessageNotification['params']>;
  readonly updated: string[];
  readonly changed: string[];
}

/** A client that can answer sampling, elicitation (form and URL) and roots: what the gateway declares to upstreams. */
export const FULL_CAPABILITIES: ClientCapabilities = { sampling: {}, elicitation: { form: {}, url: {} }, roots: { listChanged: true } };

/** The roots every test client reports. */
export const ROOTS = [{ uri: 'file:///tmp/toolgate-e2e-root', name: 'e2e root' }];

/** The answer every test client gives to sampling. */
export const SAMPLED = { role: 'assistant', content: { type: 'text', text: 'a sampled answer' }, model: 'test-model', stopReason: 'endTurn' } as const;

/** The answer every test client gives to elicitation. */
export const ELICITED = { action: 'accept', content: { name: 'Ada Lovelace', check: true, integer: 7 } } as const;

/** A client with handlers for every request and notification a server can send; connect it yourself. */
export function observingClient(capabilities: ClientCapabilities = FULL_CAPABILITIES): { client: Client; seen: Observed } {
  const seen: Observed = { sampling: [], elicitation: [], roots: 0, logs: [], updated: [], changed: [] };
  const client = new Client({ name: 'e2e', version: '1.0.0' }, { capabilities });
  if (capabilities.sampling) {
    client.setRequestHandler(CreateMessageRequestSchema, async (req) => {
      seen.sampling.push(req.params);
      return { ...SAMPLED };
    });
  }
  if (capabilities.elicitation) {
    client.setRequestHandler(ElicitRequestSchema, async (req) => {
      seen.elicitation.push(req.params);
      if (req.params.mode === 'url') return { action: 'accept' };
      return { action: ELICITED.action, content: { ...ELICITED.content } };
    });
  }
  if (capabilities.roots) {
    client.setRequestHandler(ListRootsRequestSchema, async () => {
      seen.roots += 1;
      return { roots: ROOTS.map((r) => ({ ...r })) };
    });
  }
  client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => void seen.logs.push(n.params));
  client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => void seen.updated.push(n.params.uri));
  client.setNotificationHandler(ResourceListChangedNotificationSchema, () => void seen.changed.push('resources'));
  client.setNotificationHandler(PromptListChangedNotificationSchema, () => void seen.changed.push('prompts'));
  client.setNotificationHandler(ToolListChangedNotificationSchema, () => void seen.changed.push('tools'));
  return { client, seen };
}

/** A stdio transport to a server script run with this Node. */
export function stdioTo(script: string, args: string[], env: Record<string, string> = {}): StdioClientTransport {
  return new StdioClientTransport({ command: process.execPath, args: [script, ...args], env: { ...(process.env as Record<string, string>), ...env }, stderr: 'pipe' });
}

/** A stdio transport to `toolgate serve --config <config>`; `stderr()` is what it wrote there. */
export function gatewayStdio(config: string): { transport: Transport; stderr(): string } {
  const transport = stdioTo(BIN, ['serve', '--config', config]);
  let err = '';
  transport.stderr?.on('data', (c: Buffer) => (err += c.toString()));
  return { transport, stderr: () => err };
}

/** A Streamable HTTP transport to `url`. */
export function httpTo(url: string): StreamableHTTPClientTransport {
  return new StreamableHTTPClientTransport(new URL(url));
}

/** Polls `probe` until it is truthy (at most `tries` × 25 ms); returns its last value. */
export async function eventually<T>(probe: () => T | Promise<T>, tries = 400): Promise<T> {
  let value = await probe();
  for (let i = 0; i < tries && !value; i++) {
    await new Promise((r) => setTimeout(r, 25));
    value = await probe();
  }
  return value;
}

/** A result without the gateway's receipt, and with times of day made equal, for comparing with a direct answer. */
export function comparable(value: unknown): unknown {
  return JSON.parse(
    JSON.stringify(value, (key, v: unknown) => {
      if (key === '_meta' && v && typeof v === 'object') {
        const { ['toolgate/receipt']: _receipt, ...rest } = v as Record<string, unknown>;
        return Object.keys(rest).length > 0 ? rest : undefined;
      }
      return typeof v === 'string' ? v.replace(/\b\d{1,2}:\d{2}:\d{2}(\s?[AP]M)?/g, 'HH:MM:SS') : v;
    }),
  );
}

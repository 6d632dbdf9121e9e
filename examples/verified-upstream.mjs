#!/usr/bin/env node
// An example upstream MCP server (stdio) that runs its tools only for calls carrying a valid toolgate receipt.
//
//   node examples/verified-upstream.mjs [--jwks FILE|URL] [--audience NAME] [--issuer NAME]
//
// --jwks      the gateway's public keys: its jwks.json (default keys/jwks.json, relative to the working
//             folder, which for a stdio upstream is the config's folder) or its /.well-known/jwks.json URL
// --audience  this server's name in the gateway config's `upstreams` (default: verified)
// --issuer    the gateway's name (gateway.name); checked when given
//
// In toolgate.yaml:
//   upstreams:
//     verified: { transport: stdio, command: node, args: [verified-upstream.mjs, --jwks, keys/jwks.json] }
import { parseArgs } from 'node:util';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { z } from 'zod';
import { requireReceipts } from 'toolgate/verify';

const { values } = parseArgs({
  options: {
    jwks: { type: 'string', default: process.env.TOOLGATE_JWKS ?? 'keys/jwks.json' },
    audience: { type: 'string', default: process.env.TOOLGATE_AUDIENCE ?? 'verified' },
    issuer: { type: 'string' },
  },
});

const server = new McpServer({ name: 'verified-upstream', version: '1.0.0' });

// Every tools/call must carry params._meta["toolgate/receipt"]: signed by a key in the JWKS, for this
// audience, this tool and exactly these arguments, unexpired, and not used before. Otherwise the
// client gets a JSON-RPC error (data.code TG_RECEIPT_INVALID, data.reason) and the tool never runs.
requireReceipts(server, {
  jwks: values.jwks,
  audience: values.audience,
  ...(values.issuer === undefined ? {} : { issuer: values.issuer }),
  // stdout is the MCP channel on stdio; diagnostics go to stderr.
  onRefused: (error, tool) => process.stderr.write(`verified-upstream: refused ${tool}: ${error.details.reason ?? error.code}\n`),
});

server.registerTool(
  'echo',
  { description: 'Returns its text unchanged', inputSchema: { text: z.string() } },
  ({ text }) => ({ content: [{ type: 'text', text }] }),
);

await server.connect(new StdioServerTransport());

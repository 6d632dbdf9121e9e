#!/usr/bin/env node
// A small upstream for tests that pages everything it lists: PAGER_RESOURCES resources
// (`pager://item/<n>`, default 250) and a few prompts, PAGER_PAGE entries a page (default 7),
// plus the template `pager://item/{id}` that reads any item, listed or not. Stdio only.
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import {
  CallToolRequestSchema,
  GetPromptRequestSchema,
  ListPromptsRequestSchema,
  ListResourceTemplatesRequestSchema,
  ListResourcesRequestSchema,
  ListToolsRequestSchema,
  McpError,
  ReadResourceRequestSchema,
} from '@modelcontextprotocol/sdk/types.js';

const count = Number(process.env.PAGER_RESOURCES ?? 250);
const size = Number(process.env.PAGER_PAGE ?? 7);
const resources = Array.from({ length: count }, (_, i) => ({ uri: `pager://item/${i}`, name: `item ${i}`, mimeType: 'text/plain' }));
const prompts = ['first', 'second', 'third'].map((name) => ({ name, description: `the ${name} prompt` }));

// Cursors are the offset as a string; anything else is refused as the spec asks (-32602).
function page(items, cursor) {
  const offset = cursor === undefined ? 0 : Number(cursor);
  if (!Number.isInteger(offset) || offset < 0) throw new McpError(-32602, `invalid cursor ${cursor}`);
  const end = offset + size;
  return { items: items.slice(offset, end), ...(end < items.length ? { nextCursor: String(end) } : {}) };
}

const server = new Server({ name: 'pager', version: '1.0.0' }, { capabilities: { tools: {}, resources: {}, prompts: {} } });
server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools: [{ name: 'noop', description: 'does nothing', inputSchema: { type: 'object' } }] }));
server.setRequestHandler(CallToolRequestSchema, async () => ({ content: [{ type: 'text', text: 'nothing done' }] }));
server.setRequestHandler(ListResourcesRequestSchema, async (req) => {
  const p = page(resources, req.params?.cursor);
  return { resources: p.items, ...(p.nextCursor ? { nextCursor: p.nextCursor } : {}) };
});
server.setRequestHandler(ListResourceTemplatesRequestSchema, async () => ({
  resourceTemplates: [{ uriTemplate: 'pager://item/{id}', name: 'any item', mimeType: 'text/plain' }],
}));
server.setRequestHandler(ReadResourceRequestSchema, async (req) => {
  const match = /^pager:\/\/item\/(\d+)$/.exec(req.params.uri);
  if (!match) throw new McpError(-32002, `Resource not found: ${req.params.uri}`);
  return { contents: [{ uri: req.params.uri, mimeType: 'text/plain', text: `item number ${match[1]}` }] };
});
server.setRequestHandler(ListPromptsRequestSchema, async (req) => {
  const p = page(prompts, req.params?.cursor);
  return { prompts: p.items, ...(p.nextCursor ? { nextCursor: p.nextCursor } : {}) };
});
server.setRequestHandler(GetPromptRequestSchema, async (req) => {
  if (!prompts.some((p) => p.name === req.params.name)) throw new McpError(-32602, `no prompt ${req.params.name}`);
  return { messages: [{ role: 'user', content: { type: 'text', text: `the ${req.params.name} prompt's text` } }] };
});
await server.connect(new StdioServerTransport());

/** An import plan → the text of toolgate.yaml, the starter policy and the client config: pure. */
import type { ImportPlan, ImportedServer } from './plan.js';

/** How the client reaches the gateway. */
export type ListenMode = 'stdio' | 'http';

/** Where things are, for the generated files. */
export interface RenderOptions {
  /** The client config the plan came from, as given (for comments). */
  readonly source: string;
  readonly listen: ListenMode;
  /** Absolute path of the generated toolgate.yaml (the stdio client config runs it). */
  readonly configPath: string;
  /** Absolute path of the Node.js binary that runs the gateway. */
  readonly nodePath: string;
  /** Absolute path of `bin/toolgate`. */
  readonly toolgateBin: string;
}

/** The generated policy file, relative to toolgate.yaml. */
export const POLICY_FILE = 'policies/imported.yaml';
/** The receipt key, relative to toolgate.yaml. */
export const KEY_FILE = 'keys/gateway.key.json';
/** Where `--listen http` serves. */
export const HTTP_HOST = '127.0.0.1';
export const HTTP_PORT = 8787;
/** The key the gateway gets in the client config. */
export const CLIENT_SERVER_NAME = 'toolgate';

// JSON strings, arrays and objects are YAML flow scalars and collections: one quoting rule for all.
const q = (value: unknown): string => JSON.stringify(value);
// An upstream name as a YAML scalar: bare when YAML cannot read it as a number or boolean.
const yamlName = (name: string): string => (/^[A-Za-z][A-Za-z0-9_-]*$/.test(name) && !/^(true|false|null|yes|no|on|off|y|n)$/i.test(name) ? name : q(name));

/** toolgate.yaml for `plan`: valid for `configSchema` once its `${VAR}`s are set. */
export function renderConfig(plan: ImportPlan, options: RenderOptions): string {
  const lines: string[] = [
    `# Written by \`toolgate import claude-desktop\` from ${oneLine(options.source)}.`,
    '# Env and header values of the client config are not copied here: each is a ${VAR} that the',
    '# gateway reads from its own environment when it starts (names: see the import summary).',
    "# Relative paths are taken from this file's folder; stdio upstreams start here unless they set cwd.",
    'gateway:',
    '  name: toolgate                  # receipt issuer (iss)',
    '  listen:',
    ...(options.listen === 'http'
      ? ['    transport: http              # Streamable HTTP at /mcp', `    host: ${HTTP_HOST}`, `    port: ${HTTP_PORT}`]
      : ['    transport: stdio             # the client starts the gateway (client-config.json)']),
    '  principal: { id: "${USER:-local}", roles: [local] }',
    'upstreams:',
  ];
  for (const server of plan.servers) lines.push(...upstreamLines(server));
  lines.push(
    'policy:',
    `  files: [${POLICY_FILE}]   # reloaded on change; a bad file keeps the old policy`,
    'receipts:',
    `  key: ${KEY_FILE}`,
    '  ttl: 120s',
    'log:',
    '  path: logs/decisions.jsonl',
    '  redact: []                      # argument paths to hide in the log, e.g. [args.token, args.password]',
    'state:',
    '  path: state/toolgate.db',
    'pins: enforce                     # a tool whose definition changes is denied until `toolgate pins accept`',
    '',
  );
  return lines.join('\n');
}

function upstreamLines(server: ImportedServer): string[] {
  const u = server.upstream;
  const from = server.key === server.name ? '' : `   # ${q(server.key)} in the client config`;
  const lines = [`  ${yamlName(server.name)}:${from}`];
  if (u.transport === 'stdio') {
    lines.push('    transport: stdio', `    command: ${q(u.command)}`, `    args: ${q(u.args)}`);
    if (Object.keys(u.env).length > 0) lines.push(`    env: ${flowMap(u.env)}`);
    if (u.cwd !== undefined) lines.push(`    cwd: ${q(u.cwd)}`);
  } else {
    lines.push('    transport: http                # Streamable HTTP, falling back to legacy SSE', `    url: ${q(u.url)}`);
    if (Object.keys(u.headers).length > 0) lines.push(`    headers: ${flowMap(u.headers)}`);
  }
  return lines;
}

function flowMap(map: Readonly<Record<string, string>>): string {
  return `{ ${Object.entries(map)
    .map(([k, v]) => `${q(k)}: ${q(v)}`)
    .join(', ')} }`;
}

/**
 * The starter policy: `default: deny`, and per upstream one rule that challenges every tool, so
 * nothing runs without a person until allow rules are written. Comments show how to tighten it.
 */
export function renderPolicy(plan: ImportPlan, options: Pick<RenderOptions, 'source'>): string {
  const lines: string[] = [
    `# Starter policy written by \`toolgate import claude-desktop\` from ${oneLine(options.source)}.`,
    '#',
    '# Every tool of every imported upstream is challenged: a person approves each call, through the',
    '# client when it supports elicitation, or with `toolgate approvals approve ID` from a terminal.',
    '# Anything no rule matches is denied (default: deny).',
    '#',
    '# Rules combine so that deny wins over challenge and challenge over allow, so the "*" challenges',
    '# below outrank any allow rule for the same upstream. Tighten it as you learn what the tools do',
    '# (`toolgate logs` shows what was called):',
    '#   1. narrow an upstream\'s challenge from tools: ["*"] to the tools that change things;',
    '#   2. allow the calls you trust, narrowed by arguments (anything no rule matches stays denied):',
    '#        - id: read-project',
    '#          effect: allow',
    '#          server: <upstream>',
    '#          tools: [read_file, "list_*"]',
    '#          when:',
    '#            args.path: { under: ./project }',
    '#   3. deny what must never happen, whatever else matches:',
    '#        - id: never-dotenv',
    '#          effect: deny',
    '#          tools: ["*"]',
    '#          when:',
    '#            args.path: { glob: "**/.env*" }',
    '# Try a call with `toolgate check --config toolgate.yaml --tool <upstream>/<tool> --args \'{...}\'`;',
    '# check the files with `toolgate validate --config toolgate.yaml`.',
    'version: 1',
    'default: deny',
    'rules:',
  ];
  for (const server of plan.servers) {
    if (server.autoApproved.length > 0) {
      lines.push(
        `  # The client ran these ${server.name} tools without asking; to keep that, allow them (and narrow the challenge below):`,
        `  #   - { id: ${server.name}-auto-approved, effect: allow, server: ${server.name}, tools: ${q(server.autoApproved)} }`,
      );
    }
    lines.push(
      `  - id: ${yamlName(`${server.name}-needs-a-person`)}`,
      '    effect: challenge',
      `    server: ${yamlName(server.name)}`,
      '    tools: ["*"]',
      `    reason: ${q(`imported from the client config: every ${server.name} tool needs a person until allow rules are written`)}`,
    );
  }
  lines.push('');
  return lines.join('\n');
}

/**
 * The client config that routes the client through the gateway, in the input's own shape. On
 * stdio it runs this Node and bin/toolgate by absolute path (nothing is downloaded) and passes the
 * variables toolgate.yaml needs: for `mcpServers` clients as empty values to fill in; for VS Code
 * as `${input:NAME}` password prompts (or `${env:NAME}` where the input already read the environment).
 */
export function renderClientConfig(plan: ImportPlan, options: RenderOptions): string {
  const vscode = plan.shape !== 'mcpServers';
  if (options.listen === 'http') {
    const entry = { type: 'http', url: `http://${HTTP_HOST}:${HTTP_PORT}/mcp` };
    return json({ [vscode ? 'servers' : 'mcpServers']: { [CLIENT_SERVER_NAME]: entry } });
  }
  const run = { command: options.nodePath, args: [options.toolgateBin, 'serve', '--config', options.configPath] };
  if (!vscode) {
    const env = Object.fromEntries(plan.variables.map((v) => [v.name, '']));
    return json({ mcpServers: { [CLIENT_SERVER_NAME]: { ...run, ...(plan.variables.length > 0 ? { env } : {}) } } });
  }
  const prompted = plan.variables.filter((v) => !v.referenced);
  const env = Object.fromEntries(plan.variables.map((v) => [v.name, v.referenced ? `\${env:${v.name}}` : `\${input:${v.name}}`]));
  return json({
    ...(prompted.length > 0 ? { inputs: prompted.map((v) => ({ type: 'promptString', id: v.name, description: v.uses.join('; '), password: true })) } : {}),
    servers: { [CLIENT_SERVER_NAME]: { type: 'stdio', ...run, ...(plan.variables.length > 0 ? { env } : {}) } },
  });
}

function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

function oneLine(text: string): string {
  return text.replace(/[\r\n]+/g, ' ');
}

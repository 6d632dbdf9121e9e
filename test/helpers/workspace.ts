/** A throwaway gateway workspace for end-to-end tests: sandbox, policies, config, recorder. */
import { mkdtemp, mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** Upstream servers from node_modules and test/servers, started with this Node. */
export const SERVERS = {
  filesystem: join(ROOT, 'node_modules/@modelcontextprotocol/server-filesystem/dist/index.js'),
  memory: join(ROOT, 'node_modules/@modelcontextprotocol/server-memory/dist/index.js'),
  everything: join(ROOT, 'node_modules/@modelcontextprotocol/server-everything/dist/index.js'),
  recorder: join(ROOT, 'test/servers/recorder.mjs'),
} as const;

/** The policy most end-to-end tests run under. */
export const TEST_POLICY = `version: 1
default: deny
rules:
  - id: read-sandbox
    effect: allow
    server: filesystem
    tools: [read_text_file, list_directory, "search_*", list_allowed_directories]
    when:
      args.path: { under: ./sandbox }
  - id: allowed-dirs
    effect: allow
    server: filesystem
    tools: [list_allowed_directories]
  - id: writes-need-a-person
    effect: challenge
    server: filesystem
    tools: [write_file, edit_file]
    reason: writes change files on disk
  - id: never-dotenv
    effect: deny
    tools: ["*"]
    when:
      args.path: { glob: "**/.env*" }
    reason: dotenv files hold secrets
  - id: echo-anything
    effect: allow
    server: recorder
    tools: [echo, fail, mutate]
  - id: secrets-in-sandbox
    effect: allow
    server: recorder
    tools: [read_secret]
    when:
      args.path: { under: ./sandbox }
  - id: refunds-capped
    effect: allow
    server: recorder
    tools: [refund]
    when:
      args.amount_usd: { max: 100 }
  - id: big-refunds-need-a-person
    effect: challenge
    server: recorder
    tools: [refund]
    when:
      args.amount_usd: { min: 101 }
    reason: refunds over 100 USD need a person
  - id: memory-all
    effect: allow
    server: memory
    tools: ["*"]
  - id: everything-echo
    effect: allow
    server: everything
    tools: [echo, get-sum]
`;

/** Which upstreams a workspace config declares, by name. */
export type UpstreamSpec = Record<string, string>;

/** A workspace on disk. */
export interface Workspace {
  readonly dir: string;
  readonly config: string;
  readonly recorderFile: string;
  readonly memoryFile: string;
  readonly logFile: string;
  /** Calls the recorder upstream received, oldest first. */
  received(): Promise<Array<{ tool: string; args: Record<string, unknown>; receipt: string | null }>>;
  cleanup(): Promise<void>;
}

/** Standard stdio upstream blocks by name (`@DIR@` stands for the workspace folder). */
export function stdioUpstream(name: keyof typeof SERVERS): string {
  const args = {
    filesystem: `["${SERVERS.filesystem}", "./sandbox"]`,
    memory: `["${SERVERS.memory}"]`,
    everything: `["${SERVERS.everything}", "stdio"]`,
    recorder: `["${SERVERS.recorder}", "stdio"]`,
  }[name];
  const env = { filesystem: '{}', memory: '{ MEMORY_FILE_PATH: "@DIR@/memory.jsonl" }', everything: '{}', recorder: '{ RECORDER_FILE: ./received.jsonl }' }[name];
  return `    transport: stdio\n    command: ${JSON.stringify(process.execPath)}\n    args: ${args}\n    env: ${env}\n`;
}

/** Creates a workspace. `listen` is the gateway.listen block body; `upstreams` maps names to blocks. */
export async function makeWorkspace(options: {
  upstreams: UpstreamSpec;
  listen?: string;
  policy?: string;
  extra?: string;
}): Promise<Workspace> {
  const dir = await mkdtemp(join(tmpdir(), 'tg-e2e-'));
  await mkdir(join(dir, 'sandbox/sub'), { recursive: true });
  await mkdir(join(dir, 'sandbox-evil'), { recursive: true });
  await mkdir(join(dir, 'policies'), { recursive: true });
  await writeFile(join(dir, 'sandbox/notes.txt'), 'hello from the sandbox\n');
  await writeFile(join(dir, 'sandbox/.env'), 'SECRET=do-not-read\n');
  await writeFile(join(dir, 'sandbox-evil/loot.txt'), 'sibling prefix\n');
  await writeFile(join(dir, 'secret.txt'), 'outside the sandbox\n');
  await symlink(join(dir, 'secret.txt'), join(dir, 'sandbox/escape.txt'));
  await writeFile(join(dir, 'policies/test.yaml'), options.policy ?? TEST_POLICY);
  const upstreams = Object.entries(options.upstreams)
    .map(([name, block]) => `  ${name}:\n${block}`)
    .join('');
  const config = `gateway:
  name: test-gateway
  listen:
${options.listen ?? '    transport: stdio'}
  principal: { id: alice, roles: [dev] }
upstreams:
${upstreams}policy:
  files: [policies/test.yaml]
log:
  path: logs/decisions.jsonl
state:
  path: state/toolgate.db
${options.extra ?? ''}`;
  await writeFile(join(dir, 'toolgate.yaml'), config.replaceAll('@DIR@', dir));
  const recorderFile = join(dir, 'received.jsonl');
  return {
    dir,
    config: join(dir, 'toolgate.yaml'),
    recorderFile,
    memoryFile: join(dir, 'memory.jsonl'),
    logFile: join(dir, 'logs/decisions.jsonl'),
    received: async () => {
      const text = await readFile(recorderFile, 'utf8').catch(() => '');
      return text
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { tool: string; args: Record<string, unknown>; receipt: string | null });
    },
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

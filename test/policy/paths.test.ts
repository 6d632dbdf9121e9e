import { mkdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluate } from '../../src/policy/evaluate.js';
import { loadPolicy } from '../../src/policy/load.js';
import { resolveCallPaths, resolvePath } from '../../src/policy/paths.js';
import type { CompiledPolicy } from '../../src/policy/types.js';
import { ctxOf, tempDir } from './helpers.js';

const POLICY = `version: 1
rules:
  - id: read-sandbox
    effect: allow
    server: fs
    tools: [read_text_file, write_file]
    when:
      args.path: { under: ./sandbox }
  - id: never-dotenv
    effect: deny
    tools: ["*"]
    when:
      args.path: { glob: "**/.env*" }
  - id: no-keys-folder
    effect: deny
    tools: ["*"]
    when:
      args.path: { glob: "sandbox/keys/**" }
`;

let base: string;
let cleanup: () => Promise<void>;
let policy: CompiledPolicy;

// Layout: base/{sandbox/{notes.txt,.env,keys/,link-out→outside,dangling→outside/new.txt,
// to-dotenv→.env,loop-a↔loop-b}, sandbox-evil/, sаndbox/ (Cyrillic а), outside/, secret.txt}
beforeAll(async () => {
  ({ dir: base, cleanup } = await tempDir());
  const p = (...parts: string[]) => path.join(base, ...parts);
  await mkdir(p('sandbox/keys'), { recursive: true });
  await mkdir(p('sandbox-evil'));
  await mkdir(p('s\u0430ndbox'));
  await mkdir(p('outside'));
  await writeFile(p('sandbox/notes.txt'), 'notes');
  await writeFile(p('sandbox/.env'), 'SECRET=1');
  await writeFile(p('secret.txt'), 'secret');
  await writeFile(p('outside/data.txt'), 'data');
  await symlink(p('outside'), p('sandbox/link-out'));
  await symlink(p('outside/new.txt'), p('sandbox/dangling'));
  await symlink('.env', p('sandbox/to-dotenv'));
  await symlink(p('sandbox/loop-b'), p('sandbox/loop-a'));
  await symlink(p('sandbox/loop-a'), p('sandbox/loop-b'));
  await writeFile(p('policy.yaml'), POLICY);
  policy = await loadPolicy(['policy.yaml'], base);
});
afterAll(async () => cleanup());

async function decideOn(pathArg: unknown, tool = 'read_text_file') {
  const call = { server: 'fs', tool, args: { path: pathArg } };
  const paths = await resolveCallPaths(policy, call);
  return evaluate(policy, call, ctxOf({ paths }));
}

describe('under: inside the sandbox', () => {
  it('a file inside is allowed', async () => {
    expect((await decideOn('./sandbox/notes.txt')).decision).toBe('allow');
    expect((await decideOn('sandbox/notes.txt')).rules).toEqual(['read-sandbox']);
  });
  it('the sandbox folder itself is allowed', async () => {
    expect((await decideOn('./sandbox')).decision).toBe('allow');
    expect((await decideOn('sandbox/')).decision).toBe('allow');
  });
  it('a file that does not exist yet is allowed (write_file)', async () => {
    expect((await decideOn('sandbox/new.txt', 'write_file')).decision).toBe('allow');
    expect((await decideOn('sandbox/new/deeper/file.txt', 'write_file')).decision).toBe('allow');
  });
  it('an absolute path inside is allowed', async () => {
    expect((await decideOn(path.join(base, 'sandbox/notes.txt'))).decision).toBe('allow');
  });
  it('.. that stays inside is allowed', async () => {
    expect((await decideOn('sandbox/keys/../notes.txt')).decision).toBe('allow');
  });
});

describe('under: attacks', () => {
  it('.. out of the sandbox is denied', async () => {
    expect((await decideOn('sandbox/../secret.txt')).decision).toBe('deny');
    expect((await decideOn('../secret.txt')).decision).toBe('deny');
    expect((await decideOn('sandbox/../../../../etc/passwd')).decision).toBe('deny');
  });
  it('an absolute path outside is denied', async () => {
    expect((await decideOn('/etc/passwd')).decision).toBe('deny');
    expect((await decideOn(path.join(base, 'secret.txt'))).decision).toBe('deny');
  });
  it('a sibling folder sharing the prefix is not inside', async () => {
    expect((await decideOn('sandbox-evil/x.txt')).decision).toBe('deny');
    expect((await decideOn(path.join(base, 'sandbox-evil'))).decision).toBe('deny');
  });
  it('a Unicode look-alike folder name is not the sandbox', async () => {
    expect((await decideOn('s\u0430ndbox/notes.txt')).decision).toBe('deny');
  });
  it('a symlink inside pointing outside is denied', async () => {
    expect((await decideOn('sandbox/link-out/data.txt')).decision).toBe('deny');
    expect((await decideOn('sandbox/link-out')).decision).toBe('deny');
    expect((await decideOn('sandbox/link-out/not-yet.txt', 'write_file')).decision).toBe('deny');
  });
  it('a dangling symlink inside pointing outside is denied', async () => {
    expect(await resolvePath('sandbox/dangling', base)).toBe(path.join(base, 'outside/new.txt'));
    expect((await decideOn('sandbox/dangling', 'write_file')).decision).toBe('deny');
  });
  it('.. after a symlink is denied when the kernel would land elsewhere', async () => {
    // Lexically sandbox/notes.txt; the kernel goes outside/.. = base, then base/notes.txt.
    expect(await resolvePath('sandbox/link-out/../notes.txt', base)).toBeNull();
    expect((await decideOn('sandbox/link-out/../notes.txt')).decision).toBe('deny');
  });
  it('a NUL byte makes the path unresolvable and denied', async () => {
    expect(await resolvePath('sandbox/notes.txt\0../../secret.txt', base)).toBeNull();
    expect((await decideOn('sandbox/notes.txt\0../../secret.txt')).decision).toBe('deny');
  });
  it('home and URI forms are unresolvable and denied', async () => {
    for (const p of ['~/secret.txt', '~', 'file:///etc/passwd', 'file:sandbox/notes.txt', 'http://x/sandbox']) {
      expect(await resolvePath(p, base)).toBeNull();
      expect((await decideOn(p)).decision).toBe('deny');
    }
  });
  it('a symlink loop is unresolvable and denied', async () => {
    expect(await resolvePath('sandbox/loop-a', base)).toBeNull();
    expect((await decideOn('sandbox/loop-a')).decision).toBe('deny');
  });
  it('a non-string path is denied', async () => {
    for (const p of [42, ['sandbox/notes.txt'], { path: 'sandbox/notes.txt' }, null]) {
      expect((await decideOn(p)).decision).toBe('deny');
    }
  });
  it('a missing path argument is denied by default, not by never-dotenv', async () => {
    const call = { server: 'fs', tool: 'read_text_file', args: {} };
    const d = evaluate(policy, call, ctxOf({ paths: await resolveCallPaths(policy, call) }));
    expect(d).toMatchObject({ decision: 'deny', rules: [] });
  });
});

describe('glob', () => {
  it('**/.env* catches dot files anywhere, inside the sandbox too', async () => {
    expect((await decideOn('sandbox/.env')).rules).toEqual(['never-dotenv']);
    expect((await decideOn('/x/y/.env.local')).rules).toEqual(['never-dotenv']);
  });
  it('catches a symlink whose target is a .env file', async () => {
    expect((await decideOn('sandbox/to-dotenv')).rules).toEqual(['never-dotenv']);
  });
  it('a relative pattern is taken against the base folder', async () => {
    expect((await decideOn('sandbox/keys/id_rsa')).rules).toEqual(['no-keys-folder']);
    expect((await decideOn(path.join(base, 'sandbox/keys/id_rsa'))).rules).toEqual(['no-keys-folder']);
    expect((await decideOn('sandbox/notes.txt')).decision).toBe('allow');
  });
  it('a deny glob holds on the raw string when the path cannot be resolved', async () => {
    const d = await decideOn('sandbox/.env\0x');
    expect(d.rules).toContain('never-dotenv');
  });
});

describe('resolveCallPaths', () => {
  it('resolves only the argument paths the policy looks at', async () => {
    const call = { server: 'fs', tool: 'read_text_file', args: { path: 'sandbox/notes.txt', other: 'x' } };
    const paths = await resolveCallPaths(policy, call);
    expect([...paths.entries()]).toEqual([['args.path', path.join(base, 'sandbox/notes.txt')]]);
  });
  it('takes a base folder other than the policy one when given', async () => {
    const call = { server: 'fs', tool: 'read_text_file', args: { path: 'notes.txt' } };
    const paths = await resolveCallPaths(policy, call, path.join(base, 'sandbox'));
    expect(paths.get('args.path')).toBe(path.join(base, 'sandbox/notes.txt'));
  });
});

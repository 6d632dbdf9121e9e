import { mkdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { YamlInvalidError, formatIssue } from '../../src/yaml.js';
import { loadPolicy, validatePolicy } from '../../src/policy/load.js';
import { tempDir } from './helpers.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ dir, cleanup } = await tempDir());
});
afterEach(async () => cleanup());

describe('loadPolicy', () => {
  it('loads files relative to the base folder and keeps them absolute', async () => {
    await mkdir(path.join(dir, 'policies'));
    await writeFile(path.join(dir, 'policies/a.yaml'), 'version: 1\nrules:\n  - { id: a, effect: allow }\n');
    const p = await loadPolicy(['policies/a.yaml'], dir);
    expect(p.files).toEqual([path.join(dir, 'policies/a.yaml')]);
    expect(p.baseDir).toBe(dir);
    expect(p.rules.map((r) => r.id)).toEqual(['a']);
  });

  it('collects every issue from every file into one error', async () => {
    await writeFile(path.join(dir, 'one.yaml'), 'version: 1\nrules:\n  - { id: a, effect: allow, colour: red }\n');
    await writeFile(path.join(dir, 'two.yaml'), 'version: 1\nrules:\n  - id: b\n    effect: maybe\n  - { id: a, effect: deny }\n');
    const err = await loadPolicy(['one.yaml', 'two.yaml', 'missing.yaml'], dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(YamlInvalidError);
    const issues = (err as YamlInvalidError).issues;
    expect((err as YamlInvalidError).code).toBe('TG_POLICY_INVALID');
    expect(issues.map((i) => [path.basename(i.file), i.line, i.field])).toEqual([
      ['one.yaml', 3, 'rules[0].colour'],
      ['two.yaml', 4, 'rules[0].effect'],
      ['missing.yaml', 1, ''],
    ]);
    expect(formatIssue(issues[2]!)).toMatch(/missing\.yaml:1: file not found$/);
  });

  it('a duplicate id across two valid files is reported with its line', async () => {
    await writeFile(path.join(dir, 'one.yaml'), 'version: 1\nrules:\n  - { id: a, effect: allow }\n');
    await writeFile(path.join(dir, 'two.yaml'), 'version: 1\n\nrules:\n  - { id: a, effect: deny }\n');
    const issues = await validatePolicy(['one.yaml', 'two.yaml'], dir);
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ line: 4, field: 'rules[0].id' });
    expect(issues[0]?.message).toMatch(/^duplicate rule id a \(also in .*one\.yaml\)$/);
  });

  it('YAML syntax errors carry their line', async () => {
    await writeFile(path.join(dir, 'bad.yaml'), 'version: 1\nrules: [\n');
    const issues = await validatePolicy(['bad.yaml'], dir);
    expect(issues.length).toBeGreaterThan(0);
    expect(issues[0]?.file).toMatch(/bad\.yaml$/);
  });

  it('validatePolicy returns nothing for good files', async () => {
    await writeFile(path.join(dir, 'ok.yaml'), 'version: 1\n');
    expect(await validatePolicy(['ok.yaml'], dir)).toEqual([]);
  });

  it('resolves under roots through symlinks, relative to the base folder', async () => {
    await mkdir(path.join(dir, 'real-sandbox'));
    await symlink(path.join(dir, 'real-sandbox'), path.join(dir, 'sandbox'));
    await writeFile(
      path.join(dir, 'p.yaml'),
      'version: 1\nrules:\n  - id: a\n    effect: allow\n    when:\n      args.path: { under: ./sandbox }\n',
    );
    const p = await loadPolicy(['p.yaml'], dir);
    const op = p.rules[0]?.conditions[0]?.operators[0];
    expect(op?.test({ value: 'x', resolved: path.join(dir, 'real-sandbox/f') })).toBe('holds');
    expect(op?.test({ value: 'x', resolved: path.join(dir, 'sandbox/f') })).toBe('fails');
  });
});

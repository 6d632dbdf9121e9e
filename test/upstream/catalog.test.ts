// The tool catalog: naming, argument checks, and placeholders for upstreams that are down.
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { describe, expect, test } from 'vitest';
import { buildCatalog } from '../../src/upstream/catalog.js';

const tool = (name: string): Tool => ({ name, inputSchema: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] } });

describe('catalog', () => {
  test('with several upstreams tools are <upstream>__<tool>; arguments are checked against the schema', () => {
    const c = buildCatalog(new Map([['recorder', [tool('echo')]]]), true);
    const entry = c.byExposed('recorder__echo');
    expect(entry).toMatchObject({ server: 'recorder', tool: 'echo' });
    expect(entry?.placeholder).toBeUndefined();
    expect(entry?.checkArgs({ text: 'x' })).toBeUndefined();
    expect(entry?.checkArgs({ text: 1 })).toEqual(expect.any(String));
  });

  test('a name in the namespace of an upstream that is down resolves to a placeholder, and is not listed', () => {
    const c = buildCatalog(new Map([['recorder', [tool('echo')]]]), true, ['flaky']);
    expect(c.entries.map((e) => e.exposed)).toEqual(['recorder__echo']);
    expect(c.byExposed('flaky__anything')).toMatchObject({ server: 'flaky', tool: 'anything', placeholder: true });
    expect(c.byExposed('flaky__anything')?.checkArgs({ any: 1 })).toBeUndefined();
    expect(c.byExposed('flaky__')).toBeUndefined();
    expect(c.byExposed('other__echo')).toBeUndefined();
  });

  test('the longest down upstream name owns a prefixed name', () => {
    const c = buildCatalog(new Map(), true, ['a', 'a__b']);
    expect(c.byExposed('a__b__c')).toMatchObject({ server: 'a__b', tool: 'c' });
    expect(c.byExposed('a__x')).toMatchObject({ server: 'a', tool: 'x' });
  });

  test('with one upstream that is down, every unknown name is its placeholder; known names stay real', () => {
    expect(buildCatalog(new Map(), false, ['only']).byExposed('echo')).toMatchObject({ server: 'only', tool: 'echo', placeholder: true });
    expect(buildCatalog(new Map([['only', [tool('echo')]]]), false).byExposed('nope')).toBeUndefined();
  });
});

// Resources, templates and prompts as clients see them, and the way back to the upstream.
import type { UpstreamListing } from '../../src/upstream/listings.js';
import { describe, expect, test } from 'vitest';
import { EMPTY_LISTING, buildListings, explicitUri } from '../../src/upstream/listings.js';

const everything: UpstreamListing = {
  resources: [{ uri: 'demo://static/a', name: 'a' }, { uri: 'demo://static/b', name: 'b' }],
  templates: [{ uriTemplate: 'demo://dynamic/{id}', name: 'dynamic' }],
  prompts: [{ name: 'simple' }, { name: 'args', arguments: [{ name: 'city', required: true }] }],
};
const files: UpstreamListing = {
  resources: [{ uri: 'file:///srv/readme.md', name: 'readme' }],
  templates: [{ uriTemplate: 'file:///{+path}', name: 'any file' }],
  prompts: [{ name: 'simple' }],
};

describe('one upstream', () => {
  const l = buildListings(new Map([['everything', everything]]), ['everything']);

  test('nothing is renamed', () => {
    expect(l.resources).toEqual(everything.resources);
    expect(l.templates).toEqual(everything.templates);
    expect(l.prompts).toEqual(everything.prompts);
  });

  test('listed URIs, template matches and prompt names route to it; others are unknown', () => {
    expect(l.routeUri('demo://static/a')).toEqual({ kind: 'upstream', server: 'everything', uri: 'demo://static/a', explicit: false });
    expect(l.routeUri('demo://dynamic/7')).toMatchObject({ kind: 'upstream', server: 'everything' });
    expect(l.routeUri('demo://elsewhere/7')).toEqual({ kind: 'unknown' });
    expect(l.prompt('args')).toEqual({ server: 'everything', name: 'args' });
    expect(l.prompt('everything__args')).toBeUndefined();
  });

  test('the explicit form is not special with one upstream', () => {
    expect(l.routeUri(explicitUri('everything', 'demo://static/a'))).toEqual({ kind: 'unknown' });
  });
});

describe('several upstreams', () => {
  const three = new Map([
    ['a', everything],
    ['b', everything],
    ['files', files],
  ]);
  const l = buildListings(three, ['a', 'b', 'files']);

  test('prompts are <upstream>__<prompt>, in config order', () => {
    expect(l.prompts.map((p) => p.name)).toEqual(['a__simple', 'a__args', 'b__simple', 'b__args', 'files__simple']);
    expect(l.prompts[1]?.arguments).toEqual(everything.prompts[1]?.arguments);
    expect(l.prompt('b__args')).toEqual({ server: 'b', name: 'args' });
    expect(l.prompt('args')).toBeUndefined();
  });

  test('URIs and templates two upstreams share are shown in the explicit form; unique ones as they are', () => {
    expect(l.resources.map((r) => r.uri)).toEqual([
      'toolgate://a/demo://static/a',
      'toolgate://a/demo://static/b',
      'toolgate://b/demo://static/a',
      'toolgate://b/demo://static/b',
      'file:///srv/readme.md',
    ]);
    expect(l.templates.map((t) => t.uriTemplate)).toEqual(['toolgate://a/demo://dynamic/{id}', 'toolgate://b/demo://dynamic/{id}', 'file:///{+path}']);
  });

  test('the explicit form routes to its upstream and gives back the original URI verbatim', () => {
    expect(l.routeUri('toolgate://b/demo://static/a?x=1#f')).toEqual({ kind: 'upstream', server: 'b', uri: 'demo://static/a?x=1#f', explicit: true });
    expect(l.routeTemplate('toolgate://a/demo://dynamic/{id}')).toEqual({ kind: 'upstream', server: 'a', uri: 'demo://dynamic/{id}', explicit: true });
  });

  test('a shared URI asked for bare is ambiguous, naming both upstreams', () => {
    expect(l.routeUri('demo://static/a')).toEqual({ kind: 'ambiguous', servers: ['a', 'b'] });
    expect(l.routeUri('demo://dynamic/3')).toEqual({ kind: 'ambiguous', servers: ['a', 'b'] });
  });

  test('a URI only one upstream lists or matches routes without the prefix', () => {
    expect(l.routeUri('file:///srv/readme.md')).toEqual({ kind: 'upstream', server: 'files', uri: 'file:///srv/readme.md', explicit: false });
    expect(l.routeUri('file:///srv/other/notes.txt')).toMatchObject({ kind: 'upstream', server: 'files' });
    expect(l.routeTemplate('file:///{+path}')).toMatchObject({ kind: 'upstream', server: 'files' });
  });

  test('an explicit form naming no configured upstream is an ordinary (here unknown) URI', () => {
    expect(l.routeUri('toolgate://nobody/demo://static/a')).toEqual({ kind: 'unknown' });
  });

  test('exposeUri says how a client sees an upstream URI', () => {
    expect(l.exposeUri('a', 'demo://static/a')).toBe('toolgate://a/demo://static/a');
    expect(l.exposeUri('files', 'file:///srv/readme.md')).toBe('file:///srv/readme.md');
  });
});

describe('upstreams that are down', () => {
  test('their listings are not shown, but what only they offered still routes to them', () => {
    const l = buildListings(new Map([['files', files]]), ['everything', 'files'], new Map([['everything', everything]]));
    expect(l.resources.map((r) => r.uri)).toEqual(['file:///srv/readme.md']);
    expect(l.prompts.map((p) => p.name)).toEqual(['files__simple']);
    expect(l.routeUri('demo://static/a')).toEqual({ kind: 'upstream', server: 'everything', uri: 'demo://static/a', explicit: false });
    expect(l.prompt('everything__args')).toEqual({ server: 'everything', name: 'args' });
  });

  test('the explicit form of an upstream that never listed anything still routes to it', () => {
    const l = buildListings(new Map([['files', files]]), ['everything', 'files']);
    expect(l.routeUri('toolgate://everything/demo://static/a')).toMatchObject({ kind: 'upstream', server: 'everything', explicit: true });
  });
});

test('two prompts that would show the same name: the first is kept, the second reported', () => {
  const l = buildListings(
    new Map([
      ['a', { ...EMPTY_LISTING, prompts: [{ name: 'b__c' }] }],
      ['a__b', { ...EMPTY_LISTING, prompts: [{ name: 'c' }] }],
    ]),
    ['a', 'a__b'],
  );
  expect(l.prompts.map((p) => p.name)).toEqual(['a__b__c']);
  expect(l.prompt('a__b__c')).toEqual({ server: 'a', name: 'b__c' });
  expect(l.rejected).toEqual([{ server: 'a__b', prompt: 'c', reason: expect.stringContaining('a__b__c') }]);
});

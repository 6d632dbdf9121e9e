// Requests from upstreams reach a client only for what it declared.
import { describe, expect, test } from 'vitest';
import { missingCapability } from '../../src/gateway/downstream.js';
import { mostVerbose, unionCapabilities } from '../../src/upstream/capabilities.js';

describe('missingCapability', () => {
  test.each([
    ['sampling without sampling', {}, 'sampling/createMessage', {}, 'sampling'],
    ['sampling with sampling', { sampling: {} }, 'sampling/createMessage', {}, undefined],
    ['sampling with tools, without sampling.tools', { sampling: {} }, 'sampling/createMessage', { tools: [] }, 'sampling.tools'],
    ['form elicitation, empty capability (form)', { elicitation: {} }, 'elicitation/create', {}, undefined],
    ['form elicitation, url only', { elicitation: { url: {} } }, 'elicitation/create', { mode: 'form' }, 'elicitation.form'],
    ['url elicitation, form only', { elicitation: { form: {} } }, 'elicitation/create', { mode: 'url' }, 'elicitation.url'],
    ['no elicitation', { roots: {} }, 'elicitation/create', {}, 'elicitation'],
    ['roots without roots', { sampling: {} }, 'roots/list', undefined, 'roots'],
    ['roots with roots', { roots: { listChanged: true } }, 'roots/list', undefined, undefined],
    ['anything else', { sampling: {} }, 'tasks/get', {}, 'tasks/get'],
  ] as const)('%s', (_name, caps, method, params, missing) => {
    expect(missingCapability(caps, method, params as Record<string, unknown> | undefined)).toBe(missing);
  });
});

describe('unionCapabilities', () => {
  test('tools always; the rest when any upstream offers it', () => {
    expect(unionCapabilities([])).toEqual({ tools: { listChanged: true } });
    expect(unionCapabilities([{ tools: {} }, { resources: {}, logging: {} }, undefined, { resources: { subscribe: true }, prompts: {}, completions: {} }])).toEqual({
      tools: { listChanged: true },
      resources: { listChanged: true, subscribe: true },
      prompts: { listChanged: true },
      completions: {},
      logging: {},
    });
  });
});

describe('mostVerbose', () => {
  test('the lowest severity any session asked for', () => {
    expect(mostVerbose(new Map())).toBeUndefined();
    expect(mostVerbose(new Map([['a', 'error'], ['b', 'info'], ['c', 'critical']] as const))).toBe('info');
  });
});

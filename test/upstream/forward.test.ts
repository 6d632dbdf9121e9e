// How a failed upstream request is reported to the client.
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import { describe, expect, test } from 'vitest';
import { z } from 'zod';
import { isToolgateError } from '../../src/errors.js';
import { RelayedError, classifyFailure, isParseFailure } from '../../src/upstream/forward.js';

const ctx = { upstream: 'remote', timeoutMs: 2000, connectionLost: false, cancelled: false };

describe('classifyFailure', () => {
  test("the upstream's own JSON-RPC error passes on with its code, message and data, prefixed once", () => {
    const { error, suspect } = classifyFailure(new McpError(-32002, 'Resource not found', { uri: 'x' }), ctx);
    expect(error).toBeInstanceOf(RelayedError);
    expect(error).toMatchObject({ code: -32002, message: 'Resource not found', data: { uri: 'x' } });
    expect(suspect).toBe(false);
  });

  test("an upstream's own -32000 and -32001 errors are still its own", () => {
    expect(classifyFailure(new McpError(ErrorCode.ConnectionClosed, 'Server error'), ctx).error).toBeInstanceOf(RelayedError);
    expect(classifyFailure(new McpError(ErrorCode.RequestTimeout, 'took too long upstream'), ctx).error).toBeInstanceOf(RelayedError);
  });

  test("the SDK's timeout is TG_UPSTREAM_TIMEOUT naming the timeout, and the upstream is suspect", () => {
    const { error, suspect } = classifyFailure(new McpError(ErrorCode.RequestTimeout, 'Request timed out', { timeout: 2000 }), ctx);
    expect(isToolgateError(error, 'TG_UPSTREAM_TIMEOUT')).toBe(true);
    expect(error.message).toBe('upstream remote did not answer within 2000 ms; the request was cancelled upstream');
    expect(suspect).toBe(true);
  });

  test('a lost connection or a transport failure is TG_UPSTREAM_UNAVAILABLE', () => {
    expect(isToolgateError(classifyFailure(new McpError(ErrorCode.ConnectionClosed, 'Connection closed'), { ...ctx, connectionLost: true }).error, 'TG_UPSTREAM_UNAVAILABLE')).toBe(true);
    expect(isToolgateError(classifyFailure(new McpError(ErrorCode.ConnectionClosed, 'Connection closed'), ctx).error, 'TG_UPSTREAM_UNAVAILABLE')).toBe(true);
    const fetchFailed = classifyFailure(new TypeError('fetch failed'), ctx);
    expect(isToolgateError(fetchFailed.error, 'TG_UPSTREAM_UNAVAILABLE')).toBe(true);
    expect(fetchFailed.suspect).toBe(true);
  });

  test('a result that does not parse is TG_UPSTREAM_INVALID', () => {
    const zodError = z.object({ content: z.array(z.string()) }).safeParse({ content: 'nope' }).error;
    expect(isToolgateError(classifyFailure(zodError, ctx).error, 'TG_UPSTREAM_INVALID')).toBe(true);
  });

  test('a request the client cancelled keeps its error and casts no suspicion', () => {
    const original = new McpError(ErrorCode.RequestTimeout, 'AbortError');
    expect(classifyFailure(original, { ...ctx, cancelled: true })).toEqual({ error: original, suspect: false });
  });
});

describe('isParseFailure', () => {
  test('JSON syntax errors and zod errors, nothing else', () => {
    expect(isParseFailure(new SyntaxError('Unexpected token'))).toBe(true);
    expect(isParseFailure(z.string().safeParse(1).error)).toBe(true);
    expect(isParseFailure(new Error('Received a response for an unknown message ID'))).toBe(false);
  });
});

test('RelayedError.of keeps the message as sent on the wire', () => {
  const relayed = RelayedError.of(new McpError(-32601, 'Method not found'));
  expect(relayed.message).toBe('Method not found');
  expect(relayed).toBeInstanceOf(McpError);
  expect(RelayedError.of(relayed)).toBe(relayed);
});

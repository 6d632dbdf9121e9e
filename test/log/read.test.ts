import { appendFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { followLines, readLines } from '../../src/log/read.js';
import { tempDir } from './helpers.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => ({ dir, cleanup } = await tempDir()));
afterEach(async () => cleanup());

function collector(): { lines: string[]; onLine: (buf: Buffer, start: number, end: number) => void } {
  const lines: string[] = [];
  return { lines, onLine: (buf, start, end) => void lines.push(buf.toString('utf8', start, end)) };
}

describe('readLines', () => {
  test('hands over every complete line, across chunk boundaries and lines longer than a chunk', async () => {
    const path = join(dir, 'a.jsonl');
    const long = 'x'.repeat(3 * 1024 * 1024);
    const expected = ['first', long, ...Array.from({ length: 50_000 }, (_, i) => `line ${i} ${'é'.repeat(i % 7)}`), '', 'last'];
    await writeFile(path, `${expected.join('\n')}\n`);
    const { lines, onLine } = collector();
    const result = await readLines(path, onLine);
    expect(lines).toEqual(expected);
    expect(result).toMatchObject({ lines: expected.length, stopped: false });
    expect(result.partial.length).toBe(0);
  });

  test('keeps the bytes after the last newline as the partial line', async () => {
    const path = join(dir, 'a.jsonl');
    await writeFile(path, 'one\ntwo\nthr');
    const { lines, onLine } = collector();
    const result = await readLines(path, onLine);
    expect(lines).toEqual(['one', 'two']);
    expect(result.partial.toString()).toBe('thr');
    expect(result.end).toBe(8);
  });

  test('stops when the handler returns false', async () => {
    const path = join(dir, 'a.jsonl');
    await writeFile(path, 'a\nb\nc\n');
    const seen: string[] = [];
    const result = await readLines(path, (buf, s, e) => {
      seen.push(buf.toString('utf8', s, e));
      return seen.length < 2;
    });
    expect(seen).toEqual(['a', 'b']);
    expect(result).toMatchObject({ stopped: true, end: 4 });
  });

  test('no file is TG_FILE_NOT_FOUND', async () => {
    await expect(readLines(join(dir, 'none'), () => undefined)).rejects.toMatchObject({ code: 'TG_FILE_NOT_FOUND' });
  });
});

describe('followLines', () => {
  test('reads what is there, then lines as they are appended, completing a partial line', async () => {
    const path = join(dir, 'a.jsonl');
    await writeFile(path, 'one\n');
    const { lines, onLine } = collector();
    const abort = new AbortController();
    const following = followLines(path, onLine, { signal: abort.signal, pollMs: 10 });
    await vi.waitFor(() => expect(lines).toEqual(['one']));
    await appendFile(path, 'two\nthr');
    await vi.waitFor(() => expect(lines).toEqual(['one', 'two']));
    await appendFile(path, 'ee\n');
    await vi.waitFor(() => expect(lines).toEqual(['one', 'two', 'three']));
    abort.abort();
    await following;
  });

  test('starts over when the file shrinks (replaced)', async () => {
    const path = join(dir, 'a.jsonl');
    await writeFile(path, 'old line one\nold line two\n');
    const { lines, onLine } = collector();
    const abort = new AbortController();
    const following = followLines(path, onLine, { signal: abort.signal, pollMs: 10 });
    await vi.waitFor(() => expect(lines).toHaveLength(2));
    await writeFile(path, 'new\n');
    await vi.waitFor(() => expect(lines.at(-1)).toBe('new'));
    abort.abort();
    await following;
  });
});

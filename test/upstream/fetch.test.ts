// The fetch behind HTTP upstream connections.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { quietFetch } from '../../src/upstream/fetch.js';

let http: Server;
let url: string;

beforeAll(async () => {
  http = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end('ok'));
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(http.address() as AddressInfo).port}/`;
});

afterAll(async () => {
  http.closeAllConnections();
  await new Promise((resolve) => http.close(resolve));
});

describe('quietFetch', () => {
  test('a signal shared by many requests may carry any number of abort listeners without a warning', async () => {
    const shared = new AbortController().signal;
    const warnings: Error[] = [];
    const onWarning = (w: Error) => void warnings.push(w);
    process.on('warning', onWarning);
    try {
      expect(await (await quietFetch(url, { signal: shared })).text()).toBe('ok');
      // What undici's per-request listeners amount to between two garbage collections.
      for (let i = 0; i < 2000; i++) shared.addEventListener('abort', () => undefined);
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning')).toEqual([]);
  });

  test('a request without a signal is plain fetch', async () => {
    const res = await quietFetch(url);
    expect(res.status).toBe(200);
  });
});

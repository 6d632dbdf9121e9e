/** The fetch toolgate hands the SDK's HTTP client transports. */
import { setMaxListeners } from 'node:events';
import type { FetchLike } from '@modelcontextprotocol/sdk/shared/transport.js';

/**
 * Global fetch, with the listener limit of the request's AbortSignal lifted. The SDK's client
 * transports pass one long-lived signal to every request; undici adds an abort listener to it per
 * request and removes each only when that request is garbage-collected, so after 1,500 calls to an
 * HTTP upstream Node printed MaxListenersExceededWarning on the gateway's stderr though nothing leaks.
 */
export const quietFetch: FetchLike = (url, init) => {
  if (init?.signal) setMaxListeners(0, init.signal);
  return fetch(url, init);
};

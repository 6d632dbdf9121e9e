/** A bounded in-memory event store for one HTTP session, so a client can resume an SSE stream with `Last-Event-ID`. */
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';

/** How many events a session keeps for replay when nothing else is said. */
export const DEFAULT_KEPT_EVENTS = 1000;

/** What a resume from one event id gets: the stream it belonged to and the events sent on it since. */
export interface Replay {
  readonly streamId: string;
  readonly events: ReadonlyArray<readonly [id: string, message: JSONRPCMessage]>;
}

/**
 * Keeps the last `max` events of one session's streams, oldest dropped first. Event ids are a
 * counter, unique within the session; a resume from an id that was dropped (or never handed out)
 * finds nothing. Synchronous: the transport writes an event in the same turn it stores it.
 */
export class SessionEventStore {
  readonly #max: number;
  #next = 1;
  readonly #events = new Map<string, { readonly streamId: string; readonly message: JSONRPCMessage }>();

  constructor(max = DEFAULT_KEPT_EVENTS) {
    this.#max = max;
  }

  /** How many events are kept now. */
  get size(): number {
    return this.#events.size;
  }

  /** Stores `message` as the next event of `streamId`; returns its event id. */
  add(streamId: string, message: JSONRPCMessage): string {
    const id = String(this.#next++);
    this.#events.set(id, { streamId, message });
    // Maps iterate in insertion order: the first key is the oldest event.
    while (this.#events.size > this.#max) this.#events.delete(this.#events.keys().next().value as string);
    return id;
  }

  /** The stream `lastEventId` belongs to and its later events, or undefined for an id not kept. */
  after(lastEventId: string): Replay | undefined {
    const last = this.#events.get(lastEventId);
    if (!last) return undefined;
    const events: Array<readonly [string, JSONRPCMessage]> = [];
    let seen = false;
    for (const [id, event] of this.#events) {
      if (id === lastEventId) seen = true;
      else if (seen && event.streamId === last.streamId) events.push([id, event.message]);
    }
    return { streamId: last.streamId, events };
  }
}

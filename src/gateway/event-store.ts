/** A bounded in-memory event store for one HTTP session, so a client can resume an SSE stream with `Last-Event-ID`. */
import type { EventStore } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';

/** How many events a session keeps for replay when nothing else is said. */
export const DEFAULT_KEPT_EVENTS = 1000;

/**
 * Keeps the last `max` events of one session's streams, oldest dropped first. Event ids are a
 * counter, unique within the session; a resume from an id that was dropped (or never handed out)
 * is refused by the SDK as an invalid event id.
 */
export class SessionEventStore implements EventStore {
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

  async storeEvent(streamId: string, message: JSONRPCMessage): Promise<string> {
    const id = String(this.#next++);
    this.#events.set(id, { streamId, message });
    // Maps iterate in insertion order: the first key is the oldest event.
    while (this.#events.size > this.#max) this.#events.delete(this.#events.keys().next().value as string);
    return id;
  }

  async getStreamIdForEventId(eventId: string): Promise<string | undefined> {
    return this.#events.get(eventId)?.streamId;
  }

  async replayEventsAfter(lastEventId: string, { send }: { send: (eventId: string, message: JSONRPCMessage) => Promise<void> }): Promise<string> {
    const last = this.#events.get(lastEventId);
    if (!last) return '';
    let after = false;
    for (const [id, event] of [...this.#events]) {
      if (id === lastEventId) {
        after = true;
        continue;
      }
      if (after && event.streamId === last.streamId) await send(id, event.message);
    }
    return last.streamId;
  }
}

/** Picks the state store a config asks for: Redis at `state.redis` (several replicas), else SQLite at `state.path`. */
import { openRedisState } from './redis.js';
import { openSqliteState } from './sqlite.js';
import type { StateStore } from './store.js';

/**
 * Opens the state store for a loaded config's `state` section: the shared Redis when `state.redis`
 * is set, otherwise the embedded SQLite file at `state.path`. Throws `TG_STATE_FAILED` when it
 * cannot be opened (for Redis: unreachable within a few seconds, refused credentials, bad URL).
 */
export async function openState(state: { readonly path: string; readonly redis?: string }): Promise<StateStore> {
  if (state.redis !== undefined) return openRedisState(state.redis);
  return openSqliteState(state.path);
}

/** Picks the state store a config asks for: SQLite at `state.path` (the embedded default). */
import { ToolgateError } from '../errors.js';
import { openSqliteState } from './sqlite.js';
import type { StateStore } from './store.js';

/**
 * Opens the state store for a loaded config's `state` section. Throws `TG_STATE_FAILED` when it
 * cannot be opened, and for `state.redis`, which this build does not implement yet.
 */
export async function openState(state: { readonly path: string; readonly redis?: string }): Promise<StateStore> {
  if (state.redis !== undefined) {
    throw new ToolgateError('TG_STATE_FAILED', 'state.redis is not supported by this build yet; remove it to use the embedded SQLite store', {
      details: { field: 'state.redis' },
    });
  }
  return openSqliteState(state.path);
}

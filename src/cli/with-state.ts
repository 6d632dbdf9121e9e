/** Opens the config's state store for one CLI command and always closes it. */
import { loadConfig } from '../config/load.js';
import { openState } from '../state/open.js';
import type { StateStore } from '../state/store.js';

/** Loads `configFile`, opens its state store, runs `work`, closes the store. */
export async function withState<T>(configFile: string, work: (state: StateStore) => Promise<T>): Promise<T> {
  const config = await loadConfig(configFile);
  const state = await openState(config.state);
  try {
    return await work(state);
  } finally {
    await state.close();
  }
}

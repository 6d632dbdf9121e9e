// A separate process for test/state/sqlite.test.ts: opens the state file together with the
// others (so they race to create and migrate it), then counts hits on one shared counter.
import { openSqliteState } from '../../../src/state/sqlite.js';
import { waitForGo } from './children.js';

const [path, times] = process.argv.slice(2) as [string, string];
await waitForGo();
const store = await openSqliteState(path);
const counts = await Promise.all(Array.from({ length: Number(times) }, () => store.rates.hit('shared', 3_600_000, 1_750_000_000_000)));
await store.close();
process.stdout.write(`${JSON.stringify(counts)}\n`);

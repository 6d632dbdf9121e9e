// A separate process for test/state/redis-race.test.ts: counts hits on one shared rate counter.
import { openRedisState } from '../../src/state/redis.js';
import { waitForGo } from './support/children.js';

const [url, prefix, times] = process.argv.slice(2) as [string, string, string];
const store = await openRedisState(url, { prefix });
await waitForGo();
const counts = await Promise.all(Array.from({ length: Number(times) }, () => store.rates.hit('shared', 3_600_000, 1_750_000_000_000)));
await store.close();
process.stdout.write(`${JSON.stringify(counts)}\n`);

// A separate process for test/state/redis-race.test.ts: several connections to one Redis, each
// trying every round's single-use approval at once. Prints the approval ids this process got.
import { consumeGrant } from '../../src/approvals/store.js';
import { openRedisState } from '../../src/state/redis.js';
import { waitForGo } from './support/children.js';

const [url, prefix, connections, rounds, now] = process.argv.slice(2) as [string, string, string, string, string];
const stores = await Promise.all(Array.from({ length: Number(connections) }, () => openRedisState(url, { prefix })));
await waitForGo();
const won: string[] = [];
for (let round = 0; round < Number(rounds); round++) {
  const call = { principal: 'alice', session: `pid-${process.pid}`, server: 'filesystem', tool: 'write_file', args_sha256: String(round).padStart(64, '0') };
  const results = await Promise.all(stores.map((store) => consumeGrant(store, call, Number(now))));
  for (const r of results) if (r) won.push(r.approvalId);
}
for (const store of stores) await store.close();
process.stdout.write(`${JSON.stringify(won)}\n`);

// Shared by the SQLite and Redis race tests: one approved, single-use approval per round, each for its own arguments.
import { requestApproval, resolveApproval } from '../../../src/approvals/store.js';
import type { StateStore } from '../../../src/state/store.js';

/** Approves (scope `once`) `rounds` challenged calls by alice to filesystem/write_file; round N's args digest is N padded to 64. */
export async function approveRounds(state: StateStore, rounds: number, now: number): Promise<string[]> {
  const ids: string[] = [];
  for (let round = 0; round < rounds; round++) {
    const call = {
      principal: 'alice',
      session: 'asker',
      server: 'filesystem',
      tool: 'write_file',
      args_sha256: String(round).padStart(64, '0'),
      args_preview: '{}',
      reason: 'writes',
      rules: ['w'],
    };
    const { id } = await requestApproval(state, call, now);
    await resolveApproval(state, id, { verdict: 'approve', scope: 'once' }, now);
    ids.push(id);
  }
  return ids;
}

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { ElicitRequestSchema, type ElicitRequest, type ElicitResult } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, test } from 'vitest';
import { askPerson, clientCanElicit, elicitationMessage, type PersonQuestion } from '../../src/approvals/elicit.js';

const question: PersonQuestion = {
  tool: 'write_file',
  server: 'filesystem',
  principal: 'alice',
  reason: 'writes change files on disk',
  args: { path: './sandbox/notes.txt', content: 'hello\nworld' },
};

type Answer = (request: ElicitRequest) => ElicitResult | Promise<ElicitResult>;

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

// A real SDK Server and Client, linked in memory; the client answers elicitations with `answer`.
async function connect(answer: Answer | null): Promise<{ server: Server; asked: ElicitRequest[] }> {
  const server = new Server({ name: 'toolgate-test', version: '1.0.0' }, { capabilities: {} });
  const client = new Client({ name: 'test-client', version: '1.0.0' }, { capabilities: answer ? { elicitation: {} } : {} });
  const asked: ElicitRequest[] = [];
  if (answer) {
    client.setRequestHandler(ElicitRequestSchema, async (request) => {
      asked.push(request);
      return answer(request);
    });
  }
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await Promise.all([server.connect(serverSide), client.connect(clientSide)]);
  closers.push(async () => {
    await client.close();
    await server.close();
  });
  return { server, asked };
}

describe('askPerson', () => {
  test('asks with a message naming the tool, principal, reason and exact arguments, and a single approve field', async () => {
    const { server, asked } = await connect(() => ({ action: 'accept', content: { approve: true } }));
    expect(await askPerson(server, question, 5000)).toBe('accept');
    expect(asked).toHaveLength(1);
    const params = asked[0]?.params as { message: string; requestedSchema: { properties: Record<string, unknown>; required: string[] } };
    expect(params.message).toContain('filesystem/write_file');
    expect(params.message).toContain('alice');
    expect(params.message).toContain('writes change files on disk');
    expect(params.message).toContain(JSON.stringify(question.args, null, 2));
    expect(Object.keys(params.requestedSchema.properties)).toEqual(['approve']);
    expect(params.requestedSchema.required).toEqual(['approve']);
  });

  test('accept without approve true is a decline', async () => {
    const { server } = await connect(() => ({ action: 'accept', content: { approve: false } }));
    expect(await askPerson(server, question, 5000)).toBe('decline');
  });

  test('decline and cancel are passed on', async () => {
    const declined = await connect(() => ({ action: 'decline' }));
    expect(await askPerson(declined.server, question, 5000)).toBe('decline');
    const cancelled = await connect(() => ({ action: 'cancel' }));
    expect(await askPerson(cancelled.server, question, 5000)).toBe('cancel');
  });

  test('no answer within the timeout is timeout', async () => {
    const { server } = await connect(() => new Promise<ElicitResult>(() => {}));
    expect(await askPerson(server, question, 50)).toBe('timeout');
  });

  test('a client that throws is error', async () => {
    const { server } = await connect(() => {
      throw new Error('the client broke');
    });
    expect(await askPerson(server, question, 5000)).toBe('error');
  });

  test('an answer that does not fit the form is error', async () => {
    const { server } = await connect(() => ({ action: 'accept', content: { approve: 'yes please' } }));
    expect(await askPerson(server, question, 5000)).toBe('error');
  });

  test('a client without the elicitation capability is error, and is not asked', async () => {
    const { server } = await connect(null);
    expect(clientCanElicit(server)).toBe(false);
    expect(await askPerson(server, question, 5000)).toBe('error');
  });

  test('a client declaring elicitation: {} can be asked', async () => {
    const { server } = await connect(() => ({ action: 'decline' }));
    expect(clientCanElicit(server)).toBe(true);
  });

  test('an aborted call is cancel', async () => {
    const { server } = await connect(() => new Promise<ElicitResult>(() => {}));
    const controller = new AbortController();
    const answer = askPerson(server, question, 5000, { signal: controller.signal });
    controller.abort();
    expect(await answer).toBe('cancel');
  });
});

describe('elicitationMessage', () => {
  test('long string arguments are cut with a count, so the person sees every key', () => {
    const message = elicitationMessage({ ...question, args: { path: 'a.txt', content: 'x'.repeat(2000) } });
    expect(message).toContain('"path": "a.txt"');
    expect(message).toContain('[1500 more characters]');
  });

  test('invisible and control characters in arguments are shown escaped', () => {
    const message = elicitationMessage({ ...question, args: { path: 'safe\u202etxt.exe', note: 'a\u0007b' } });
    expect(message).toContain('safe\\u202etxt.exe');
    expect(message).not.toContain('\u202e');
    expect(message).toContain('a\\u0007b');
  });
});

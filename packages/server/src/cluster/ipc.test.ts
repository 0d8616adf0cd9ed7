import { SessionError } from '@netplay/transport';
import { describe, expect, it } from 'vitest';
import { ClusterError } from './errors.js';
import { IpcEndpoint } from './ipc.js';

type Ask = { add: [{ a: number; b: number }, number]; fail: [{ code: string }, null]; slow: [null, null] };
type Tell = { note: string };

function pair(timeout = 200) {
  const notes: string[] = [];
  let toB: (m: unknown) => void = () => {};
  let toA: (m: unknown) => void = () => {};
  // biome-ignore lint/complexity/noBannedTypes: A answers nothing.
  const a = new IpcEndpoint<Ask, Tell, {}, {}>(
    (m) => queueMicrotask(() => toB(m)),
    { requests: {}, notices: {} },
    timeout,
  );
  // biome-ignore lint/complexity/noBannedTypes: B asks nothing.
  const b = new IpcEndpoint<{}, {}, Ask, Tell>(
    (m) => queueMicrotask(() => toA(m)),
    {
      requests: {
        add: ({ a: x, b: y }) => x + y,
        fail: ({ code }) => {
          throw code === 'IPC_TIMEOUT' ? new ClusterError('IPC_TIMEOUT', 'x') : new SessionError(code, 'refused');
        },
        slow: () => new Promise<null>(() => {}),
      },
      notices: { note: (s) => notes.push(s) },
    },
    timeout,
  );
  toB = (m) => b.receive(m);
  toA = (m) => a.receive(m);
  return { a, b, notes };
}

describe('IpcEndpoint', () => {
  it('matches replies to requests by nonce and carries notices', async () => {
    const { a, notes } = pair();
    const [x, y] = await Promise.all([a.request('add', { a: 1, b: 2 }), a.request('add', { a: 5, b: 5 })]);
    expect([x, y]).toEqual([3, 10]);
    a.notify('note', 'hi');
    await new Promise((r) => setTimeout(r, 0));
    expect(notes).toEqual(['hi']);
    expect(a.pending).toBe(0);
  });

  it('rebuilds remote errors with their code and class', async () => {
    const { a } = pair();
    await expect(a.request('fail', { code: 'ROOM_FULL' })).rejects.toSatisfy(
      (e) => e instanceof SessionError && (e as SessionError).code === 'ROOM_FULL',
    );
    await expect(a.request('fail', { code: 'IPC_TIMEOUT' })).rejects.toBeInstanceOf(ClusterError);
  });

  it('times out, fails pending requests on close, and ignores junk', async () => {
    const { a } = pair(50);
    await expect(a.request('slow', null)).rejects.toMatchObject({ code: 'IPC_TIMEOUT' });
    const pending = a.request('slow', null, 10_000);
    a.receive(null);
    a.receive({ op: 'reply', nonce: 12345, ok: true, body: 1 });
    a.close('gone');
    await expect(pending).rejects.toMatchObject({ code: 'IPC_CLOSED' });
    await expect(a.request('add', { a: 1, b: 1 })).rejects.toMatchObject({ code: 'IPC_CLOSED' });
  });
});

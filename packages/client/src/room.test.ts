import { type JoinedInfo, Op, type ServerMessage, VirtualClock } from '@netplay/transport';
import { describe, expect, it } from 'vitest';
import { resolveClientOptions } from './options.js';
import { Room, type RoomContext } from './room.js';
import type { ClientSession, SessionEvents } from './session.js';

/** A room over a fake session: `deliver` hands it server messages as the session would. */
function fakeRoom() {
  const clock = new VirtualClock();
  const logged: unknown[][] = [];
  const logger = { warn: () => {}, error: (...args: unknown[]) => logged.push(args) };
  let events: SessionEvents | undefined;
  const session = {
    attach: (e: SessionEvents) => {
      events = e;
    },
    peer: { connection: { stats: { lastReceivedAt: 0 } } },
  } as unknown as ClientSession;
  const info = {
    roomId: 'r1',
    roomName: 'arena',
    sessionId: 's1',
    peers: ['s1'],
    reconnectGrace: 0,
  } as unknown as JoinedInfo;
  const ctx = { options: resolveClientOptions({ clock, logger }) } as unknown as RoomContext;
  const room = new Room(session, info, ctx);
  clock.advance(0); // release the messages held until the join resolved
  const deliver = (m: ServerMessage) => events!.onMessage(m);
  return { room, deliver, logged };
}

describe('Room message dispatch', () => {
  it("turns a throwing handler into an 'error' event and still runs the other handlers", () => {
    const { room, deliver } = fakeRoom();
    const seen: unknown[] = [];
    const errors: Error[] = [];
    room.on('error', (e) => errors.push(e));
    room.onMessage('chat', () => {
      throw new Error('boom');
    });
    room.onMessage('chat', (p) => seen.push(p));
    room.onMessage('*', () => {
      throw 'not an error'; // a non-Error throw is wrapped
    });
    deliver({ op: Op.Message, type: 'chat', payload: 1 } as ServerMessage);
    expect(seen).toEqual([1]);
    expect(errors.map((e) => e.message)).toEqual(['boom', 'not an error']);
  });

  it("logs a throwing handler's error with no 'error' listener", () => {
    const { room, deliver, logged } = fakeRoom();
    room.onMessage('chat', () => {
      throw new Error('boom');
    });
    deliver({ op: Op.Message, type: 'chat', payload: null } as ServerMessage);
    expect(logged).toHaveLength(1);
    expect((logged[0]![1] as Error).message).toBe('boom');
  });
});

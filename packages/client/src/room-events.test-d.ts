import type { MessageType } from '@netplay/transport';
import { expectTypeOf, test } from 'vitest';
import type { Room } from './room.js';
import type { RoomStats } from './room-events.js';

declare const room: Room;

test('room events carry typed arguments', () => {
  room.on('relay', (payload, from) => {
    expectTypeOf(payload).toEqualTypeOf<unknown>();
    expectTypeOf(from).toEqualTypeOf<string>();
  });
  room.on('direct', (payload, from) => {
    expectTypeOf(payload).toEqualTypeOf<unknown>();
    expectTypeOf(from).toEqualTypeOf<string>();
  });
  room.on('peer-join', (id) => expectTypeOf(id).toEqualTypeOf<string>());
  room.on('peer-leave', (id) => expectTypeOf(id).toEqualTypeOf<string>());
  room.on('leave', (code, reason) => {
    expectTypeOf(code).toEqualTypeOf<number>();
    expectTypeOf(reason).toEqualTypeOf<string>();
  });
  room.on('error', (error) => expectTypeOf(error).toEqualTypeOf<Error>());
  room.on('reconnecting', () => {});
  room.on('reconnected', () => {});
});

test('unknown events and wrong listener signatures are refused', () => {
  // @ts-expect-error not an event of Room
  room.on('message', () => {});
  // @ts-expect-error peer-join gives a string session id
  room.on('peer-join', (id: number) => id);
  // @ts-expect-error leave has no third argument
  room.on('leave', (_code: number, _reason: string, _extra: string) => {});
});

test('onMessage handlers and their unsubscribe function', () => {
  expectTypeOf(room.onMessage('chat', (payload) => expectTypeOf(payload).toEqualTypeOf<unknown>())).toEqualTypeOf<
    () => void
  >();
  room.onMessage<{ x: number }>('move', (payload) => expectTypeOf(payload.x).toEqualTypeOf<number>());
  room.onMessage('*', (type, payload) => {
    expectTypeOf(type).toEqualTypeOf<MessageType>();
    expectTypeOf(payload).toEqualTypeOf<unknown>();
  });
  expectTypeOf(room.stats).toEqualTypeOf<RoomStats>();
  expectTypeOf(room.peers).toEqualTypeOf<readonly string[]>();
  expectTypeOf(room.leave()).toEqualTypeOf<Promise<void>>();
});

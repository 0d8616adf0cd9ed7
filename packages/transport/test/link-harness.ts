/**
 * Helpers shared by the link tests: collect what a link delivers, hand out items (accepted
 * links) one by one as they arrive, and an in-process socket that records what is written to it.
 */
import { Duplex } from 'node:stream';
import type { Link, LinkCloseInfo } from '../src/link/link.js';

/**
 * An in-process socket for a link under test: what the link writes lands in `written`; push
 * bytes with `socket.push(…)` to feed the link. Destroy it when the test ends.
 */
export function recordingSocket(): { socket: Duplex; written: Buffer[] } {
  const written: Buffer[] = [];
  const socket = new Duplex({
    read() {},
    write(chunk: Buffer, _encoding, callback) {
      written.push(chunk);
      callback();
    },
  });
  return { socket, written };
}

/** Installs handlers on a link and lets a test await a number of datagrams or the close. */
export function collect(link: Link) {
  const received: Uint8Array[] = [];
  let waiter: { count: number; resolve: () => void } | undefined;
  let resolveClosed!: (info: LinkCloseInfo) => void;
  const closed = new Promise<LinkCloseInfo>((resolve) => {
    resolveClosed = resolve;
  });
  link.setHandlers({
    onDatagram(datagram) {
      received.push(datagram);
      if (waiter !== undefined && received.length >= waiter.count) waiter.resolve();
    },
    onClose: (info) => resolveClosed(info),
  });
  return {
    received,
    closed,
    until(count: number): Promise<void> {
      if (received.length >= count) return Promise.resolve();
      return new Promise<void>((resolve) => {
        waiter = { count, resolve };
      });
    },
  };
}

/** Items awaitable one by one, in arrival order (e.g. links accepted by a server). */
export function arrivals<T>() {
  const ready: T[] = [];
  const waiting: ((item: T) => void)[] = [];
  return {
    push(item: T): void {
      const next = waiting.shift();
      if (next) next(item);
      else ready.push(item);
    },
    next(): Promise<T> {
      const item = ready.shift();
      if (item !== undefined) return Promise.resolve(item);
      return new Promise((resolve) => waiting.push(resolve));
    },
  };
}

/**
 * Integration on real sockets, 127.0.0.1 only, real clock: two `Peer`s exchange reliable-ordered,
 * unreliable and unreliable-sequenced messages in both directions over UDP (`connectUdp` /
 * `UdpLinkServer`), over WebSocket (`connectWebSocket` / `WebSocketLinkServer`), and over UDP
 * through a `SimulatedLink` losing 10 % of datagrams each way (seeded) with redundancy off, so
 * that delivery depends on selective resend over a real socket.
 *
 * Every reliable message must arrive exactly once and in order; unreliable ones at most once;
 * sequenced ones never older than one already delivered. The tests wait on events only (messages,
 * acks, closes), never on sleeps, and close everything they open.
 */
import {
  type ConnectionOptions,
  DefaultChannel,
  type Link,
  type LinkCloseInfo,
  Peer,
  realClock,
  SimulatedLink,
} from '@netplay/transport';
import { connectUdp, connectWebSocket, UdpLinkServer, WebSocketLinkServer } from '@netplay/transport/node';
import { afterEach, describe, expect, it } from 'vitest';

const R = DefaultChannel.Reliable;
const U = DefaultChannel.Unreliable;
const S = DefaultChannel.Sequenced;
const HOST = '127.0.0.1';

/** Rounds of the exchange; each round sends BATCH messages per channel each way. */
const ROUNDS = 12;
const BATCH = 25;
const TOTAL = ROUNDS * BATCH;

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function deferred<T = void>() {
  let resolve!: (value: T) => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** A payload: u32 index, then filler so several rounds need several packets. */
const msg = (i: number, size: number) => {
  const p = new Uint8Array(size).fill(i & 0xff);
  new DataView(p.buffer).setUint32(0, i);
  return p;
};
const idOf = (p: Uint8Array) => new DataView(p.buffer, p.byteOffset, p.byteLength).getUint32(0);

/**
 * One side of the exchange: a Peer that sends ROUNDS rounds of BATCH messages on each channel, the
 * next round once the peer acked the previous round's last reliable message (event-driven pacing),
 * and records what it receives.
 */
class Side {
  readonly peer: Peer;
  readonly reliable: number[] = [];
  readonly unreliable: number[] = [];
  readonly sequenced: number[] = [];
  readonly errors: Error[] = [];
  /** Resolves when this side received every reliable message and all its own were acked. */
  readonly done = deferred();
  readonly closed = deferred<LinkCloseInfo>();
  private round = 0;
  private lastReliableId = -1;
  private allAcked = false;

  constructor(link: Link, connection: ConnectionOptions = {}) {
    this.peer = new Peer(
      { link, clock: realClock, connection },
      {
        onMessage: (ch, p) => {
          const list = ch === R ? this.reliable : ch === U ? this.unreliable : this.sequenced;
          list.push(idOf(p));
          this.check();
        },
        onAcked: (ch, id) => {
          if (ch !== R || id !== this.lastReliableId) return;
          if (this.round < ROUNDS) this.sendRound();
          else this.allAcked = true;
          this.check();
        },
        onError: (e) => {
          this.errors.push(e);
          this.done.reject(e);
        },
        onClose: (info) => {
          this.closed.resolve(info);
          if (!info.local) this.done.reject(new Error(`link closed: ${info.reason}`));
        },
      },
    );
  }

  sendRound(): void {
    const first = this.round * BATCH;
    for (let i = first; i < first + BATCH; i++) {
      this.lastReliableId = this.peer.send(R, msg(i, 120));
      this.peer.send(U, msg(i, 60));
      this.peer.send(S, msg(i, 40));
    }
    this.round++;
  }

  private check(): void {
    if (this.allAcked && this.reliable.length >= TOTAL) this.done.resolve();
  }

  /** Close the peer (and its link); resolves once the link reported its close. */
  async close(): Promise<void> {
    this.peer.close('test over');
    await this.closed.promise;
  }
}

function expectDelivery(side: Side): void {
  const all = Array.from({ length: TOTAL }, (_, i) => i);
  expect(side.reliable).toEqual(all); // exactly once, in order
  expect(new Set(side.unreliable).size).toBe(side.unreliable.length); // never duplicated
  for (const i of side.unreliable) expect(i).toBeLessThan(TOTAL);
  for (let i = 1; i < side.sequenced.length; i++) expect(side.sequenced[i]!).toBeGreaterThan(side.sequenced[i - 1]!);
  expect(side.errors).toEqual([]);
}

/** Start both sides (the server side exists once its first datagram arrived) and wait until both are done. */
async function exchange(client: Side, serverSide: Promise<Side>): Promise<Side> {
  client.sendRound();
  const server = await serverSide;
  server.sendRound();
  await Promise.all([client.done.promise, server.done.promise]);
  return server;
}

describe('real sockets on 127.0.0.1', () => {
  it('UDP: reliable-ordered exactly once in order, unreliable never duplicated, both ways', async () => {
    const accepted = deferred<Side>();
    const server = await UdpLinkServer.listen({
      host: HOST,
      port: 0,
      onLink: (link) => {
        const side = new Side(link);
        cleanups.push(() => side.close());
        accepted.resolve(side);
      },
    });
    cleanups.push(() => server.close());
    const client = new Side(await connectUdp({ host: HOST, port: server.address().port }));
    cleanups.push(() => client.close());

    const serverSide = await exchange(client, accepted.promise);
    expectDelivery(client);
    expectDelivery(serverSide);
    expect(client.peer.connection.options.reliableLink).toBe(false);
    expect(server.stats.linksAccepted).toBe(1);
  });

  it('WebSocket: the same exchange on a reliable link, with nothing ever resent', async () => {
    const accepted = deferred<Side>();
    const server = await WebSocketLinkServer.listen({
      host: HOST,
      port: 0,
      onLink: (link) => {
        const side = new Side(link);
        cleanups.push(() => side.close());
        accepted.resolve(side);
      },
    });
    cleanups.push(() => server.close());
    const client = new Side(await connectWebSocket(`ws://${HOST}:${server.address().port}`));
    cleanups.push(() => client.close());

    const serverSide = await exchange(client, accepted.promise);
    expectDelivery(client);
    expectDelivery(serverSide);
    // TCP delivers everything once and in order: all unreliable messages arrive, none is resent.
    expect(client.unreliable).toEqual(Array.from({ length: TOTAL }, (_, i) => i));
    expect(serverSide.unreliable).toEqual(Array.from({ length: TOTAL }, (_, i) => i));
    for (const side of [client, serverSide]) {
      expect(side.peer.connection.options.reliableLink).toBe(true);
      expect(side.peer.connection.stats.messagesResent).toBe(0);
      expect(side.peer.connection.stats.redundantSends).toBe(0);
    }
  });

  it('UDP through a SimulatedLink losing 10 % each way (seeded): selective resend repairs every loss', async () => {
    // Redundancy off, so that every lost reliable message must be resent over the real socket.
    const connection: ConnectionOptions = { redundantSends: 0 };
    const accepted = deferred<Side>();
    const server = await UdpLinkServer.listen({
      host: HOST,
      port: 0,
      onLink: (link) => {
        const side = new Side(link, connection);
        cleanups.push(() => side.close());
        accepted.resolve(side);
      },
    });
    cleanups.push(() => server.close());
    const udp = await connectUdp({ host: HOST, port: server.address().port });
    // Loss on what the client sends (outbound) and on what it receives from the server (inbound).
    const lossy = new SimulatedLink(udp, {
      clock: realClock,
      seed: 42,
      outbound: { loss: 0.1 },
      inbound: { loss: 0.1 },
    });
    const client = new Side(lossy, connection);
    cleanups.push(() => client.close());

    const serverSide = await exchange(client, accepted.promise);
    expectDelivery(client);
    expectDelivery(serverSide);
    const dropped = lossy.stats.outbound.dropped.loss + lossy.stats.inbound.dropped.loss;
    expect(lossy.stats.outbound.dropped.loss).toBeGreaterThan(0);
    expect(lossy.stats.inbound.dropped.loss).toBeGreaterThan(0);
    expect(dropped).toBeGreaterThan(0);
    // Lost reliable messages went again, on both sides, and only as resends (no redundant copies).
    const resent = client.peer.connection.stats.messagesResent + serverSide.peer.connection.stats.messagesResent;
    expect(resent).toBeGreaterThan(0);
    expect(client.peer.connection.stats.redundantSends).toBe(0);
    expect(client.peer.connection.stats.packetsLost).toBeGreaterThan(0);
    // Some unreliable messages were lost with their datagrams and never came back.
    expect(client.unreliable.length + serverSide.unreliable.length).toBeLessThan(2 * TOTAL);
  });
});

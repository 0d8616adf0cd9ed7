/**
 * A raw protocol driver for server tests: speaks the session wire contract byte for byte over a
 * memory link on a virtual clock, so tests can send what the real client never would (malformed
 * messages, floods, unknown ops) and see exactly what the server answers.
 */

import type { Server } from '@netplay/server';
import {
  type ClientMessage,
  createMemoryLinkPair,
  DefaultChannel,
  decodeHandshake,
  decodeServerMessage,
  encodeClientMessage,
  encodeHandshake,
  type HandshakePacket,
  HandshakeType,
  isHandshakePacket,
  type Link,
  PayloadCodec,
  Peer,
  type ServerMessage,
  type VirtualClock,
} from '@netplay/transport';

export class WireClient {
  readonly codec = new PayloadCodec();
  readonly received: ServerMessage[] = [];
  readonly handshakes: HandshakePacket[] = [];
  readonly link: Link;
  peer: Peer | undefined;
  closed = false;
  private requestId = 0;

  constructor(
    readonly server: Server,
    readonly clock: VirtualClock,
    remoteAddress = '10.0.0.1',
  ) {
    const [clientSide, serverSide] = createMemoryLinkPair({ clock });
    this.link = clientSide;
    clientSide.setHandlers({
      onDatagram: (d) => {
        if (isHandshakePacket(d)) {
          const h = decodeHandshake(d);
          if (h) this.onHandshake(h);
          return;
        }
      },
      onClose: () => {
        this.closed = true;
      },
    });
    server.acceptLink(serverSide, { remoteAddress });
  }

  /** Connect (optionally resuming) and wait for Accept or Deny. */
  async handshake(body: { resume?: string; seat?: string } = {}): Promise<HandshakePacket> {
    this.link.send(encodeHandshake({ type: HandshakeType.Connect, body }));
    await this.clock.runUntilAsync(() => this.handshakes.length > 0 || this.closed);
    const answer = this.handshakes[0];
    if (answer === undefined) throw new Error('no handshake answer');
    return answer;
  }

  private onHandshake(h: HandshakePacket): void {
    this.handshakes.push(h);
    if (h.type !== HandshakeType.Accept || this.peer !== undefined) return;
    const link = this.link;
    const filtered: Link = {
      get reliable() {
        return link.reliable;
      },
      get maxDatagramSize() {
        return link.maxDatagramSize;
      },
      get closed() {
        return link.closed;
      },
      send: (d) => link.send(d),
      close: (r) => link.close(r),
      setHandlers: (handlers) =>
        link.setHandlers({
          onDatagram: (d) => {
            if (isHandshakePacket(d)) {
              const p = decodeHandshake(d);
              if (p) this.handshakes.push(p);
            } else handlers.onDatagram(d);
          },
          onClose: (info) => {
            this.closed = true;
            handlers.onClose?.(info);
          },
        }),
    };
    this.peer = new Peer(
      { link: filtered, clock: this.clock },
      { onMessage: (_ch, bytes) => this.received.push(decodeServerMessage(this.codec, bytes)) },
    );
  }

  sendRaw(bytes: Uint8Array, channel: number = DefaultChannel.Reliable): void {
    if (!this.peer) throw new Error('not connected');
    this.peer.send(channel, bytes);
  }

  send(message: ClientMessage, channel: number = DefaultChannel.Reliable): void {
    this.sendRaw(encodeClientMessage(this.codec, message), channel);
  }

  nextRequestId(): number {
    return ++this.requestId;
  }

  /** Run the clock until a server message matching `pred` arrives. */
  async waitFor<T extends ServerMessage>(pred: (m: ServerMessage) => m is T): Promise<T> {
    let found: T | undefined;
    await this.clock.runUntilAsync(() => {
      found = this.received.find(pred);
      return found !== undefined;
    });
    if (found === undefined)
      throw new Error(`no matching message; got ${JSON.stringify(this.received.map((m) => m.op))}`);
    return found;
  }

  of<K extends ServerMessage['op']>(op: K): Extract<ServerMessage, { op: K }>[] {
    return this.received.filter((m): m is Extract<ServerMessage, { op: K }> => m.op === op);
  }
}

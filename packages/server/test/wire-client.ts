/**
 * A raw protocol driver for server tests: speaks the session wire contract byte for byte over
 * memory links on a virtual clock, so tests can send what the real client never would (malformed
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
  LinkDecorator,
  type LinkHandlers,
  PayloadCodec,
  Peer,
  type ServerMessage,
  type VirtualClock,
} from '@netplay/transport';

/** Passes protocol-core datagrams to the installed handlers and handshake packets to `onHandshake`. */
class HandshakeTap extends LinkDecorator {
  constructor(
    inner: Link,
    private readonly onHandshake: (h: HandshakePacket) => void,
  ) {
    super(inner);
  }

  override setHandlers(handlers: LinkHandlers): void {
    this.inner.setHandlers({
      onDatagram: (d) => {
        if (!isHandshakePacket(d)) return handlers.onDatagram(d);
        const h = decodeHandshake(d);
        if (h) this.onHandshake(h);
      },
      onClose: (info) => handlers.onClose?.(info),
    });
  }
}

/** A link whose path can be cut: while `cut`, datagrams either way are lost (a dead path, unseen by both ends). */
class CuttableLink extends LinkDecorator {
  cut = false;

  override send(datagram: Uint8Array, headroom?: number): void {
    if (!this.cut) this.inner.send(datagram, headroom);
  }

  override setHandlers(handlers: LinkHandlers): void {
    this.inner.setHandlers({
      onDatagram: (d) => {
        if (!this.cut) handlers.onDatagram(d);
      },
      onClose: (info) => handlers.onClose?.(info),
    });
  }
}

export class WireClient {
  readonly codec = new PayloadCodec();
  readonly received: ServerMessage[] = [];
  readonly handshakes: HandshakePacket[] = [];
  link!: CuttableLink;
  peer: Peer | undefined;
  private requestId = 0;

  constructor(
    readonly server: Server,
    readonly clock: VirtualClock,
    readonly remoteAddress = '10.0.0.1',
  ) {
    this.link = this.openLink();
  }

  private openLink(): CuttableLink {
    const [memory, serverSide] = createMemoryLinkPair({ clock: this.clock });
    const clientSide = new CuttableLink(memory);
    clientSide.setHandlers({
      onDatagram: (d) => {
        const h = decodeHandshake(d);
        if (h) this.onHandshake(clientSide, h);
      },
    });
    this.server.acceptLink(serverSide, { remoteAddress: this.remoteAddress });
    return clientSide;
  }

  /** `true` once the current link is closed (by either side). */
  get closed(): boolean {
    return this.link.closed;
  }

  /** Connect (or resume) on the current link and wait for Accept or Deny. */
  async handshake(body: { resume?: string; seat?: string } = {}): Promise<HandshakePacket> {
    const before = this.handshakes.length;
    this.link.send(encodeHandshake({ type: HandshakeType.Connect, body }));
    await this.clock.runUntilAsync(() => this.handshakes.length > before || this.closed);
    const answer = this.handshakes[before];
    if (answer === undefined) throw new Error('no handshake answer');
    return answer;
  }

  /**
   * Cut the current link's path (`true`) or heal it: datagrams either way are lost meanwhile, and
   * neither end is told (a UDP path gone dead, as opposed to {@link WireClient.dropLink}).
   */
  cutPath(cut: boolean): void {
    this.link.cut = cut;
  }

  /** Drop the current link from the client side (as a dead socket would). */
  dropLink(): void {
    this.link.close('dropped');
  }

  /** Open a new link and resume the session with `resumeToken`. */
  async resume(resumeToken: string): Promise<HandshakePacket> {
    this.link = this.openLink();
    return this.handshake({ resume: resumeToken });
  }

  private onHandshake(link: Link, h: HandshakePacket): void {
    this.handshakes.push(h);
    if (h.type !== HandshakeType.Accept) return;
    const wrapped = new HandshakeTap(link, (late) => this.handshakes.push(late));
    if (this.peer === undefined) {
      this.peer = new Peer(
        { link: wrapped, clock: this.clock },
        { onMessage: (_ch, bytes) => this.received.push(decodeServerMessage(this.codec, bytes)) },
      );
    } else {
      this.peer.replaceLink(wrapped);
    }
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

/** A logger that says nothing (tests assert on behaviour, not on log lines). */
export const quiet = { info() {}, warn() {}, error() {} };

/** A type guard for one server op, for {@link WireClient.waitFor}. */
export const isOp =
  <K extends ServerMessage['op']>(op: K) =>
  (m: ServerMessage): m is Extract<ServerMessage, { op: K }> =>
    m.op === op;

/** Advance `clock` by `ms`, letting promise callbacks run at each step. */
export async function advance(clock: VirtualClock, ms: number): Promise<void> {
  const until = clock.now() + ms;
  await clock.runUntilAsync(() => clock.now() >= until);
}

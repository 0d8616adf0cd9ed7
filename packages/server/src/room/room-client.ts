/**
 * The server-side handle of one room member.
 * @module
 */
import {
  CloseCode,
  type ConnectionStats,
  channelFor,
  DefaultChannel,
  encodeServerMessage,
  type MessageType,
  Op,
  type PayloadCodec,
} from '@netplay/transport';
import type { DeliveryCallback, SessionPort } from '../session/session-port.js';

/** Options of {@link RoomClient.send} and {@link Room.broadcast}. */
export interface SendOptions {
  /**
   * `true`: reliable-ordered channel (delivered once, in order, survives a resume). `false`: the
   * unreliable-sequenced channel (latest state; may be lost; stale messages dropped). Defaults to `true`.
   */
  reliable?: boolean;
}

/** What a {@link RoomClient} needs from its room (implemented by the room layer). */
export interface RoomClientOwner {
  /** Codec used to encode messages to this client. */
  readonly codec: PayloadCodec;
  /** Remove `client` from the room (not consented), tell the others, then end its session. */
  kick(client: RoomClient, code: number, reason: string): void;
  /** Count one message sent to one member (for the room's statistics and metrics). */
  countDelivery(): void;
}

/**
 * One member of a room, as the room's code sees it: send it messages, read its session id, auth
 * and statistics, keep per-member game data in {@link RoomClient.userData}, remove it with
 * {@link RoomClient.leave}. Created by the room layer when a join succeeds (game code never
 * constructs one).
 *
 * @typeParam TUserData - type of {@link RoomClient.userData}.
 * @typeParam TAuth - type of {@link RoomClient.auth} (what the room's `onAuth` returned).
 */
export class RoomClient<TUserData = unknown, TAuth = unknown> {
  /** What the room's `onAuth` returned (when truthy); `undefined` otherwise. */
  auth: TAuth | undefined = undefined;
  /** Free slot for the room's per-member state (e.g. the player's entity). Starts `undefined`. */
  userData: TUserData | undefined = undefined;
  readonly #session: SessionPort;
  readonly #owner: RoomClientOwner;
  #left = false;

  /** @internal Created by the room layer when a join succeeds. */
  constructor(session: SessionPort, owner: RoomClientOwner) {
    this.#session = session;
    this.#owner = owner;
  }
  /** The room that owns this client (for a subclass that keeps more state beside it). @internal */
  protected get owner(): RoomClientOwner {
    return this.#owner;
  }

  /** This member's session id (what other members see as the sender of its relays). */
  get sessionId(): string {
    return this.#session.id;
  }

  /** `false` while the member's link is down and its session waits for a resume. */
  get connected(): boolean {
    return this.#session.connected;
  }

  /** Address the member connected from. */
  get remoteAddress(): string {
    return this.#session.remoteAddress;
  }

  /** Live transport statistics of the member's session (RTT, jitter, loss, bytes, …). */
  get stats(): Readonly<ConnectionStats> {
    return this.#session.stats;
  }

  /** `true` once the member has left the room (any reason); sends are then ignored. */
  get left(): boolean {
    return this.#left;
  }

  /** @internal The underlying session (for the room layer). */
  get session(): SessionPort {
    return this.#session;
  }

  /**
   * Send `(type, payload)` to this member only. Ignored after the member left.
   * @throws {@link CodecError} if `payload` cannot be encoded.
   */
  send(type: MessageType, payload?: unknown, options?: SendOptions): void {
    if (this.#left) return;
    const bytes = encodeServerMessage(this.#owner.codec, { op: Op.Message, type, payload: payload ?? null });
    this.#session.send(channelFor('message', options?.reliable ?? true), bytes);
    this.#owner.countDelivery();
  }

  /**
   * Send `(type, payload)` to this member and learn whether it arrived: `onDelivery(true)` once the
   * packet that carried it is acked, `onDelivery(false)` once it is declared lost; at most once,
   * never from inside this call. Goes on the unreliable channel (not sequenced: every message that
   * arrives is delivered, so "acked" means the client's room got it), or the reliable-ordered one
   * with `reliable: true` (only ever acked, reported once it and everything before it arrived).
   * The client receives it like any `send`, on `room.onMessage(type)`.
   *
   * Returns `false` when nothing was sent or the session cannot track delivery (the member left, its
   * link is down, or its session port has no tracking): `onDelivery` is then never called. For delta
   * compression against acknowledged state (see `DeltaSnapshots`).
   * @throws {@link CodecError} if `payload` cannot be encoded; `MESSAGE_TOO_LARGE` when an unreliable
   *   message does not fit one packet.
   */
  sendTracked(type: MessageType, payload: unknown, onDelivery: DeliveryCallback, options?: SendOptions): boolean {
    const session = this.#session;
    if (this.#left || session.sendTracked === undefined) return false;
    const bytes = encodeServerMessage(this.#owner.codec, { op: Op.Message, type, payload: payload ?? null });
    const channel = options?.reliable === true ? DefaultChannel.Reliable : DefaultChannel.Unreliable;
    this.#owner.countDelivery();
    return session.sendTracked(channel, bytes, onDelivery);
  }

  /**
   * @internal Send pre-encoded room-protocol bytes (shared between recipients; never modified).
   * For the room layer's fan-out; ignored after the member left.
   */
  sendEncoded(channel: number, bytes: Uint8Array): void {
    if (!this.#left) this.#session.send(channel, bytes);
  }

  /**
   * Remove this member from the room: the others get `PeerLeave`, the room's `onLeave` runs with
   * `consented = false`, and the member's session ends with `code` and `reason`.
   * @param code - close code. Defaults to `CloseCode.KICKED`.
   * @param reason - human-readable reason. Defaults to `'kicked'`.
   */
  leave(code: number = CloseCode.KICKED, reason = 'kicked'): void {
    if (!this.#left) this.#owner.kick(this, code, reason);
  }

  /** @internal Mark this member as gone (called by the room layer when it removes the member). */
  markLeft(): void {
    this.#left = true;
  }
}

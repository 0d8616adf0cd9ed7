/**
 * The session layer: takes new links (WebSocket or UDP), runs the handshake, creates or resumes
 * sessions, enforces session limits and idle timeouts, and hands decoded client messages to the
 * room layer ({@link SessionEvents}).
 *
 * Handshake over a reliable link: `Connect` → `Accept` | `Deny`. Over UDP the first `Connect` is
 * answered with a stateless `Challenge` (and the link forgotten); only a `Response` carrying a valid
 * cookie for that address opens a session, so a spoofed address gets nothing but a reply no larger
 * than its request.
 * @module
 */
import {
  CloseCode,
  type ConnectBody,
  decodeHandshake,
  encodeHandshake,
  HANDSHAKE_PADDED_SIZE,
  HandshakeType,
  type Link,
  SessionErrorCode,
  type TimerHandle,
} from '@netplay/transport';
import { EncryptedLink } from '@netplay/transport/node';
import { DEFAULT_SERVER_OPTIONS } from '../options.js';
import { randomId } from './random-id.js';
import { resumeTokenFor, sessionOfResumeToken } from './resume-token.js';
import { ServerSession, type SessionHost, type SessionSettings } from './server-session.js';
import { makeCookie, verifyCookie } from './udp-cookie.js';

/** Settings of a {@link SessionLayer} (resolved server options). */
export interface SessionLayerSettings extends SessionSettings {
  secret: Uint8Array;
  idleTimeoutMs: number;
  handshakeTimeoutMs: number;
  maxSessions: number;
  maxSessionsPerAddress: number;
  /** Most links in their handshake at once; more are closed without an answer. Defaults to the server's default. */
  maxPendingHandshakes?: number;
  /** Most links in their handshake from one address. Defaults to the server's default. */
  maxPendingHandshakesPerAddress?: number;
  /** Milliseconds an address is refused new sessions after one of its sessions flooded (0: off). Defaults to the server's default. */
  floodBanMs?: number;
  /**
   * Seat tokens (`Connect{seat}`, cluster mode): return a refusal code for a bad seat, or
   * `undefined` to accept it; `seated` is then called with the new session. Without it every seat
   * is refused with `INVALID_TOKEN`.
   */
  seats?: {
    check(seat: string): string | undefined;
    seated(seat: string, session: ServerSession): void;
  };
  /**
   * Cluster mode: prefix of every session id and resume token (a worker's `node.worker.incarnation.`),
   * so ids are unique across a cluster and say where a session lives. Defaults to `''`.
   */
  idPrefix?: string;
  /**
   * Cluster mode: the Deny code for a resume token this layer does not know (e.g. `ROOM_LOST` for
   * a token of this port's previous, dead worker). Defaults to `INVALID_TOKEN`.
   */
  unknownResume?(token: string): string;
}

/** Counters of the session layer. */
export interface SessionLayerStats {
  /** Sessions opened (resumes not counted). */
  sessionsOpened: number;
  /** Successful resumes. */
  resumes: number;
  /** Handshakes refused (limits, bad or unknown tokens, shutting down). */
  handshakesDenied: number;
  /** Handshakes that did not complete in time. */
  handshakeTimeouts: number;
  /** Datagrams dropped during handshakes (malformed, unexpected, bad cookie). */
  handshakeDatagramsDropped: number;
  /** UDP challenges sent. */
  challengesSent: number;
  /** New links closed unanswered because too many handshakes were in flight (in total or from their address). */
  handshakesOverLimit: number;
  /** Addresses banned for a while after a session of theirs flooded. */
  floodBans: number;
  /** New sessions refused (`RATE_LIMITED`) because their address was banned for flooding. */
  bannedRefusals: number;
  /** Sessions closed with `SLOW_CONSUMER` (their send queue overflowed). */
  slowConsumers: number;
}

/** Most addresses remembered as flood-banned at once (the oldest ban is forgotten first). */
const MAX_FLOOD_BANS = 65_536;

/** Count one fewer for `key` in a per-address count, forgetting it at zero. */
function decrementCount(counts: Map<string, number>, key: string): void {
  const n = (counts.get(key) ?? 1) - 1;
  if (n <= 0) counts.delete(key);
  else counts.set(key, n);
}

/** How a link reached the server. */
export type LinkKind = 'websocket' | 'udp';

/** Owns every session of a server. */
export class SessionLayer implements SessionHost {
  readonly stats: SessionLayerStats = {
    sessionsOpened: 0,
    resumes: 0,
    handshakesDenied: 0,
    handshakeTimeouts: 0,
    handshakeDatagramsDropped: 0,
    challengesSent: 0,
    handshakesOverLimit: 0,
    floodBans: 0,
    bannedRefusals: 0,
    slowConsumers: 0,
  };
  readonly settings: SessionLayerSettings;
  /** Final traffic of every released session, summed (the monitor's totals add the live ones). */
  readonly closedTraffic = { bytesIn: 0, bytesOut: 0, resends: 0 };
  private readonly sessions = new Map<string, ServerSession>();
  private readonly perAddress = new Map<string, number>();
  private readonly pendingLinks = new Set<Link>();
  private readonly pendingPerAddress = new Map<string, number>();
  /** Sessions by the connect token (encrypted UDP) they were opened with. */
  private readonly tokenSessions = new Map<string, ServerSession>();
  private readonly sessionTokens = new WeakMap<ServerSession, string>();
  /** Address → time (host clock) until which new sessions from it are refused. Insertion-ordered. */
  private readonly floodBans = new Map<string, number>();
  private sweepTimer: TimerHandle | undefined;
  private accepting = true;

  constructor(settings: SessionLayerSettings) {
    this.settings = settings;
  }

  /** Start the idle-timeout sweep (call when the server starts listening). */
  start(): void {
    if (this.sweepTimer === undefined) this.scheduleSweep();
  }

  /** Number of sessions (connected or in their grace period). */
  get size(): number {
    return this.sessions.size;
  }

  /** A session by id. */
  get(id: string): ServerSession | undefined {
    return this.sessions.get(id);
  }

  /** Every session. */
  all(): IterableIterator<ServerSession> {
    return this.sessions.values();
  }

  /** A new link arrived: run its handshake. `remotePort` is needed for UDP cookies. */
  accept(link: Link, kind: LinkKind, remoteAddress: string, remotePort: number): void {
    const fromAddress = this.pendingPerAddress.get(remoteAddress) ?? 0;
    const d = DEFAULT_SERVER_OPTIONS;
    if (
      this.pendingLinks.size >= (this.settings.maxPendingHandshakes ?? d.maxPendingHandshakes) ||
      fromAddress >= (this.settings.maxPendingHandshakesPerAddress ?? d.maxPendingHandshakesPerAddress)
    ) {
      // No answer: a flood of new links costs us a counter, never a reply or a timer.
      this.stats.handshakesOverLimit++;
      link.close('too many handshakes in flight');
      return;
    }
    this.pendingLinks.add(link);
    this.pendingPerAddress.set(remoteAddress, fromAddress + 1);
    const forget = (): boolean => {
      if (!this.pendingLinks.delete(link)) return false;
      decrementCount(this.pendingPerAddress, remoteAddress);
      return true;
    };
    const timer = this.settings.clock.setTimeout(() => {
      if (!forget()) return;
      this.stats.handshakeTimeouts++;
      link.close('handshake timeout');
    }, this.settings.handshakeTimeoutMs);
    const done = () => {
      forget();
      timer.cancel();
    };
    link.setHandlers({
      onDatagram: (datagram) => {
        if (!this.pendingLinks.has(link)) return;
        const packet = decodeHandshake(datagram);
        if (packet === undefined) {
          this.stats.handshakeDatagramsDropped++;
          return;
        }
        if (kind === 'udp') {
          if (packet.type === HandshakeType.Connect) {
            if (datagram.length < HANDSHAKE_PADDED_SIZE) {
              // An unpadded Connect could make the Challenge larger than the request: drop it.
              this.stats.handshakeDatagramsDropped++;
              done();
              link.close('unpadded connect');
              return;
            }
            // Stateless challenge: reply (never larger than the padded request) and forget the link.
            this.stats.challengesSent++;
            const cookie = makeCookie(this.settings.secret, remoteAddress, remotePort, this.settings.clock.now());
            link.send(encodeHandshake({ type: HandshakeType.Challenge, cookie }));
            done();
            link.close('challenged');
            return;
          }
          if (
            packet.type !== HandshakeType.Response ||
            !verifyCookie(this.settings.secret, remoteAddress, remotePort, this.settings.clock.now(), packet.cookie)
          ) {
            this.stats.handshakeDatagramsDropped++;
            done();
            link.close('bad handshake');
            return;
          }
          done();
          this.open(link, packet.body, remoteAddress);
          return;
        }
        if (packet.type !== HandshakeType.Connect) {
          this.stats.handshakeDatagramsDropped++;
          return;
        }
        done();
        this.open(link, packet.body, remoteAddress);
      },
      onClose: () => done(),
    });
  }

  /** Stop accepting handshakes (shutdown). Existing sessions carry on until ended. */
  stopAccepting(): void {
    this.accepting = false;
    for (const link of [...this.pendingLinks]) link.close('shutting down');
    this.pendingLinks.clear();
    this.pendingPerAddress.clear();
  }

  /** Close every remaining session now (after the room layer ended what it could) and stop timers. */
  async closeAll(code: number, reason: string): Promise<void> {
    const waits: Promise<void>[] = [];
    for (const session of this.sessions.values()) {
      session.end(code, reason);
      waits.push(session.closed());
    }
    await Promise.all(waits);
    this.sweepTimer?.cancel();
    this.sweepTimer = undefined;
  }

  /** `true` while a session opened with connect token `tokenId` is alive. */
  tokenInUse(tokenId: string): boolean {
    return this.tokenSessions.has(tokenId);
  }

  /** The resume token of session `id` (derived, not stored: see resume-token.ts). */
  resumeTokenOf(id: string): string {
    return resumeTokenFor(this.settings.secret, id);
  }

  release(session: ServerSession): void {
    if (this.sessions.get(session.id) !== session) return;
    this.sessions.delete(session.id);
    const traffic = this.closedTraffic;
    traffic.bytesIn += session.bytesReceived;
    traffic.bytesOut += session.bytesSent;
    traffic.resends += session.messagesResent;
    const tokenId = this.sessionTokens.get(session);
    if (tokenId !== undefined && this.tokenSessions.get(tokenId) === session) this.tokenSessions.delete(tokenId);
    decrementCount(this.perAddress, session.remoteAddress);
  }

  ending(session: ServerSession, code: number): void {
    if (code === CloseCode.SLOW_CONSUMER) this.stats.slowConsumers++;
    const banMs = this.settings.floodBanMs ?? DEFAULT_SERVER_OPTIONS.floodBanSeconds * 1000;
    if (code !== CloseCode.FLOODING || banMs <= 0) return;
    const address = session.remoteAddress;
    this.floodBans.delete(address); // re-insert: the map stays ordered by ban time
    if (this.floodBans.size >= MAX_FLOOD_BANS) {
      const oldest = this.floodBans.keys().next();
      if (!oldest.done) this.floodBans.delete(oldest.value);
    }
    this.floodBans.set(address, this.settings.clock.now() + banMs);
    this.stats.floodBans++;
  }

  /** `true` while `address` is banned for flooding (expired bans are forgotten on the way). */
  private banned(address: string): boolean {
    const until = this.floodBans.get(address);
    if (until === undefined) return false;
    if (this.settings.clock.now() < until) return true;
    this.floodBans.delete(address);
    return false;
  }

  private open(link: Link, body: ConnectBody, remoteAddress: string): void {
    const tokenId = tokenOf(link);
    if (body.resume !== undefined) {
      const id = sessionOfResumeToken(this.settings.secret, body.resume);
      const session = id === undefined ? undefined : this.sessions.get(id);
      if (session !== undefined && this.sessionTokens.get(session) !== tokenId) {
        // An encrypted session resumes only under its own connect token (proof of key possession).
        this.deny(link, SessionErrorCode.INVALID_TOKEN, 'resume with the connect token of the session');
        return;
      }
      if (session === undefined || !session.resume(sessionLink(link))) {
        const code = session === undefined ? this.settings.unknownResume?.(body.resume) : undefined;
        this.deny(link, code ?? SessionErrorCode.INVALID_TOKEN, 'unknown or expired resume token');
        return;
      }
      this.stats.resumes++;
      return;
    }
    if (!this.accepting) {
      this.deny(link, SessionErrorCode.SHUTTING_DOWN, 'server is shutting down');
      return;
    }
    if (this.sessions.size >= this.settings.maxSessions) {
      this.deny(link, SessionErrorCode.LIMIT_REACHED, 'too many sessions');
      return;
    }
    if (this.banned(remoteAddress)) {
      this.stats.bannedRefusals++;
      this.deny(link, SessionErrorCode.RATE_LIMITED, 'this address flooded: try again later');
      return;
    }
    const fromAddress = this.perAddress.get(remoteAddress) ?? 0;
    if (fromAddress >= this.settings.maxSessionsPerAddress) {
      this.deny(link, SessionErrorCode.LIMIT_REACHED, 'too many sessions from this address');
      return;
    }
    if (tokenId !== undefined && this.tokenSessions.has(tokenId)) {
      this.deny(link, SessionErrorCode.INVALID_TOKEN, 'connect token already in use by another session');
      return;
    }
    if (body.seat !== undefined) {
      const refusal = this.settings.seats ? this.settings.seats.check(body.seat) : SessionErrorCode.INVALID_TOKEN;
      if (refusal !== undefined) {
        this.deny(link, refusal, 'seat token refused');
        return;
      }
    }
    link.send(encodeHandshake({ type: HandshakeType.Accept, resumed: false }));
    const prefix = this.settings.idPrefix ?? '';
    const session = new ServerSession(this, sessionLink(link), prefix + randomId(9), remoteAddress);
    this.sessions.set(session.id, session);
    this.perAddress.set(remoteAddress, fromAddress + 1);
    if (tokenId !== undefined) {
      this.tokenSessions.set(tokenId, session);
      this.sessionTokens.set(session, tokenId);
    }
    this.stats.sessionsOpened++;
    if (body.seat !== undefined) this.settings.seats?.seated(body.seat, session);
  }

  private deny(link: Link, code: string, message: string): void {
    this.stats.handshakesDenied++;
    link.send(encodeHandshake({ type: HandshakeType.Deny, code, message }));
    link.close(message);
  }

  private scheduleSweep(): void {
    const every = Math.max(50, Math.min(1000, this.settings.idleTimeoutMs / 4));
    this.sweepTimer = this.settings.clock.setTimeout(() => {
      const now = this.settings.clock.now();
      for (const session of this.sessions.values()) session.checkIdle(now, this.settings.idleTimeoutMs);
      for (const [address, until] of this.floodBans) {
        if (until > now) break; // ordered by ban time, and every ban lasts the same
        this.floodBans.delete(address);
      }
      this.scheduleSweep();
    }, every);
  }
}

/**
 * The link a session keeps: a plaintext UDP link (secureUdp 'allow', the peer presented no token)
 * without its EncryptedLink wrapper, which only passes datagrams through from then on.
 */
function sessionLink(link: Link): Link {
  return link instanceof EncryptedLink && link.plaintext ? link.inner : link;
}

/** The connect token an encrypted link is bound to (`EncryptedLink.tokenId`), if any. */
function tokenOf(link: Link): string | undefined {
  const id = (link as { readonly tokenId?: unknown }).tokenId;
  return typeof id === 'string' ? id : undefined;
}

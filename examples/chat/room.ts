/**
 * The chat room: members talk to each other with `room.relay(...)`; the server forwards each line to
 * the other members after {@link ChatRoom.onRelay} has checked it, and keeps a short history that
 * every new member gets with `client.send('history', ...)`.
 *
 * Messages (server → client):
 * - `history`: {@link ChatLine}[] — the last lines, oldest first, sent once to each joiner.
 * - `refused`: `{ reason }` — why the room refused your line (the client also gets an
 *   `INVALID_REQUEST` `'error'` event from the relay refusal).
 *
 * Relays (client → others): `{ text }` in, {@link ChatRelay} out (the room adds the sender's name).
 * @module
 */
import { type RelayRequest, Room, type RoomClient } from '@netplay/server';

/** Longest line, in characters. */
export const MAX_CHAT_LENGTH = 280;
/** Lines kept for late joiners (default of the `historySize` room option). */
export const DEFAULT_HISTORY_SIZE = 20;

/** What a member relays. */
export interface ChatInput {
  text: string;
}

/** What the other members receive as the relay payload (the sender id comes with the relay). */
export interface ChatRelay {
  name: string;
  text: string;
}

/** One line of history. */
export interface ChatLine extends ChatRelay {
  /** Session id of the sender. */
  from: string;
  /** Server time (ms since the epoch) the line was accepted. */
  at: number;
}

/** Why a line was refused, sent as the `refused` message. */
export interface ChatRefusal {
  reason: string;
}

/** Per-member data kept in `client.userData`. */
export interface ChatMember {
  name: string;
}

type ChatClient = RoomClient<ChatMember>;

/** `name` from join options: 1 to 24 printable characters, or `guest`. */
export function chatName(value: unknown): string {
  if (typeof value !== 'string') return 'guest';
  const name = value
    .replace(/[\p{C}]/gu, '')
    .trim()
    .slice(0, 24);
  return name.length > 0 ? name : 'guest';
}

/** Check a relayed line: the trimmed text, or the reason it is refused. */
export function checkChatInput(payload: unknown): { text: string } | { reason: string } {
  if (payload === null || typeof payload !== 'object' || typeof (payload as ChatInput).text !== 'string') {
    return { reason: 'a chat relay is { text: string }' };
  }
  const text = (payload as ChatInput).text.trim();
  if (text.length === 0) return { reason: 'empty message' };
  if (text.length > MAX_CHAT_LENGTH) return { reason: `message longer than ${MAX_CHAT_LENGTH} characters` };
  return { text };
}

/**
 * A relay-based chat room. Join options: `{ name }`. Room options (`defaultOptions` or the creator's
 * join options): `historySize` (0 to 200, default {@link DEFAULT_HISTORY_SIZE}).
 */
export class ChatRoom extends Room<ChatClient> {
  /** The last accepted lines, oldest first. */
  readonly history: ChatLine[] = [];
  #historySize = DEFAULT_HISTORY_SIZE;

  override onCreate(options: Record<string, unknown>): void {
    const size = options.historySize;
    if (typeof size === 'number' && Number.isInteger(size) && size >= 0 && size <= 200) this.#historySize = size;
  }

  override onJoin(client: ChatClient, options: Record<string, unknown>): void {
    client.userData = { name: chatName(options.name) };
    client.send('history', this.history);
  }

  override onRelay(client: ChatClient, relay: RelayRequest): boolean {
    const checked = checkChatInput(relay.payload);
    if ('reason' in checked) {
      client.send('refused', { reason: checked.reason } satisfies ChatRefusal);
      return false;
    }
    const name = client.userData?.name ?? 'guest';
    relay.payload = { name, text: checked.text } satisfies ChatRelay;
    // Whispers (`to: [ids]`) go through but stay out of the public history.
    if (this.#historySize > 0 && !Array.isArray(relay.to)) {
      this.history.push({ from: client.sessionId, name, text: checked.text, at: Date.now() });
      if (this.history.length > this.#historySize) this.history.splice(0, this.history.length - this.#historySize);
    }
    return true;
  }
}

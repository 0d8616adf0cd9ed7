/**
 * The datagram pipe under a connection. Every link (UDP, WebSocket, memory, simulated) implements
 * this one small interface.
 * @module
 */

/** Why a link closed. */
export interface LinkCloseInfo {
  /** `true` when closed by this side's {@link Link.close}. */
  readonly local: boolean;
  /** Human-readable reason. */
  readonly reason: string;
  /** The error that closed it, if any. */
  readonly error?: Error;
}

/**
 * Callbacks a link reports to. Set with {@link Link.setHandlers}. Links call them as methods of
 * the handlers object (`handlers.onDatagram(d)`), so an object with methods can be its own handlers
 * (a `Peer` is its link's); a link that wraps another must not detach them (`{ onClose: h.onClose }`).
 */
export interface LinkHandlers {
  /**
   * A datagram arrived. The link hands over ownership: the array is not reused by the link,
   * so receivers may keep views into it.
   */
  onDatagram(datagram: Uint8Array): void;
  /** The link closed (once). No datagram is delivered after this. */
  onClose?(info: LinkCloseInfo): void;
}

/**
 * A bidirectional datagram pipe to one peer.
 *
 * Datagrams may be lost, duplicated or reordered (UDP, simulated) or not (WebSocket, memory);
 * {@link Link.reliable} says which, so the connection can skip resends on a reliable link.
 */
export interface Link {
  /**
   * `true` when the link itself delivers every datagram once and in order (WebSocket/TCP, memory).
   * The reliable channel then never resends, but still keeps unacked messages for session resume.
   */
  readonly reliable: boolean;
  /** Largest datagram this link carries, in bytes. */
  readonly maxDatagramSize: number;
  /** `true` once closed. */
  readonly closed: boolean;
  /**
   * Bytes of its own framing this link writes in front of each datagram (a WebSocket frame
   * header), which it can write in place when the sender leaves that much room: see `headroom` of
   * {@link Link.send}. `undefined` or 0: the link adds nothing, or always copies.
   */
  readonly sendHeadroom?: number;
  /**
   * Send one datagram. The link takes ownership of `datagram` (the caller must not modify it
   * afterwards). Sending on a closed link is a silent no-op (the close was already reported).
   *
   * @param headroom - the caller's promise that this many bytes before `datagram.byteOffset` in
   *   its buffer belong to the datagram too, as scratch the link may overwrite (a `Peer` leaves
   *   {@link Link.sendHeadroom} bytes there). A link may write its framing there and send
   *   everything with one write, instead of copying the datagram. With headroom the caller gives
   *   up the datagram's own bytes as well: the link may transform them in place on their way out
   *   (a WebSocket client masks them), so the caller must not read or send them again; without
   *   it, the link leaves them as they are. Defaults to 0; a link that wraps another passes it on
   *   only with the datagram unchanged.
   */
  send(datagram: Uint8Array, headroom?: number): void;
  /** Install the receiver. Datagrams arriving before handlers are set are queued (bounded) or dropped. */
  setHandlers(handlers: LinkHandlers): void;
  /** Close the link. Idempotent. */
  close(reason?: string): void;
}

/**
 * Connection statistics: one object, updated in place (read it as often as you like; it is not
 * reallocated).
 * @module
 */

/** Statistics of a {@link Connection}. Times in ms, loss as a fraction 0–1. */
export interface ConnectionStats {
  /**
   * Smoothed round-trip time. On a reliable link (WebSocket) its samples come from KeepAlive
   * probes, which the peer acks at once. On UDP they also come from Data packets, whose acks may
   * wait up to the peer's `ackDelay` (5 ms by default) for a packet to ride on, so it may read up
   * to that much above the path's round trip. Before the first sample it reads the `initialRtt`
   * option (100 ms by default), and `rttMin` and `rttMax` read 0: on a reliable link the first
   * sample comes with the ack of the first probe, `rttProbeInterval` (1 s by default) after the
   * connection opens; on UDP with the first ack.
   */
  rtt: number;
  /** Smallest RTT sample (0 before the first). */
  rttMin: number;
  /** Largest RTT sample (0 before the first). */
  rttMax: number;
  /** RTT mean deviation (RTTVAR). */
  rttVariance: number;
  /** Smoothed difference between consecutive RTT samples. */
  jitter: number;
  /** Current resend timeout, backoff included. */
  rto: number;
  /**
   * Fraction of recent packets lost, over the last 256 ack-eliciting packets old enough to have been
   * acked or declared lost (packets still in flight are not counted).
   */
  packetLoss: number;
  /** Datagrams sent, of every type. */
  packetsSent: number;
  /** Datagrams accepted. */
  packetsReceived: number;
  /** Bytes of datagrams sent. */
  bytesSent: number;
  /** Bytes of datagrams accepted. */
  bytesReceived: number;
  /** Ack-eliciting packets acked by the peer. */
  packetsAcked: number;
  /** Ack-eliciting packets declared lost. */
  packetsLost: number;
  /** Packets declared lost and acked later (spurious loss detections). */
  spuriousLosses: number;
  /**
   * Resend timeouts that fired. On UDP most are probe timeouts: they send a probe and declare
   * nothing lost (see `ConnectionOptions.probeTimeouts`).
   */
  timeouts: number;
  /** Reliable message records sent again after loss or in a probe (all channels). */
  messagesResent: number;
  /** Redundant copies of unacked reliable messages sent in spare room (all channels). */
  redundantSends: number;
  /** Duplicate datagrams dropped. */
  duplicatePacketsDropped: number;
  /** Datagrams dropped because they were older than the tracking window. */
  stalePacketsDropped: number;
  /** Datagrams dropped as malformed (bad header, bad record, unknown channel, impossible ack). */
  invalidPacketsDropped: number;
  /** Exceptions thrown by application handlers (caught and reported via `onError`). */
  handlerErrors: number;
  /** Congestion window in bytes (`Infinity` when congestion control is off). */
  congestionWindow: number;
  /**
   * Bytes of ack-eliciting packets in flight, as the congestion controller counts them: 0 when
   * there is none (`congestionControl: false`, or a reliable link).
   */
  bytesInFlight: number;
  /** Time of the last datagram accepted (`-1` before the first). */
  lastReceivedAt: number;
}

/** Fresh zeroed statistics. */
export function createConnectionStats(): ConnectionStats {
  return {
    rtt: 0,
    rttMin: 0,
    rttMax: 0,
    rttVariance: 0,
    jitter: 0,
    rto: 0,
    packetLoss: 0,
    packetsSent: 0,
    packetsReceived: 0,
    bytesSent: 0,
    bytesReceived: 0,
    packetsAcked: 0,
    packetsLost: 0,
    spuriousLosses: 0,
    timeouts: 0,
    messagesResent: 0,
    redundantSends: 0,
    duplicatePacketsDropped: 0,
    stalePacketsDropped: 0,
    invalidPacketsDropped: 0,
    handlerErrors: 0,
    congestionWindow: 0,
    bytesInFlight: 0,
    lastReceivedAt: -1,
  };
}

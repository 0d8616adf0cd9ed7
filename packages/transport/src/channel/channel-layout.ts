/**
 * {@link ChannelLayout}: what a connection derives from its options about its channels (the
 * settings of each channel, the index of each wire id, the payload limits), computed once per
 * resolved options object and shared by every connection built from it, since a server builds a
 * connection per session from the same options.
 * @module
 */
import type { ResolvedConnectionOptions } from '../connection-options.js';
import type { CongestionSettings } from '../packet/congestion-controller.js';
import { fragmentPayloadSize, RECORD_HEADER_SIZE } from '../packet/message-record.js';
import { PacketBuilder } from '../packet/packet-builder.js';
import { PACKET_HEADER_SIZE } from '../packet/packet-header.js';
import type { RttSettings } from '../packet/rtt-estimator.js';
import type { ReliableChannelSettings } from './reliable-ordered-channel.js';
import type { UnreliableChannelSettings } from './unreliable-channel.js';

/** Wire ids a record can carry (4 bits). */
const WIRE_IDS = 16;
/** Entry of {@link ChannelLayout.indexById} for an unconfigured id. */
export const NO_CHANNEL = -1;

/** The settings of one configured channel, by kind. */
export type ChannelSettings =
  | { readonly reliable: true; readonly settings: Readonly<ReliableChannelSettings> }
  | { readonly reliable: false; readonly settings: Readonly<UnreliableChannelSettings> };

/** Derived, immutable channel data of a set of resolved connection options. */
export interface ChannelLayout {
  /** The options it is derived from (so that a connection needs to hold only its layout). */
  readonly options: ResolvedConnectionOptions;
  /** Channel index (position in `options.channels`) by wire id, {@link NO_CHANNEL} when unconfigured. */
  readonly indexById: Int8Array;
  /** Settings of each channel, by index. */
  readonly channels: readonly ChannelSettings[];
  /** Largest payload of an unreliable message (one packet minus framing). */
  readonly maxUnreliablePayload: number;
  /** Settings of the RTT estimator. */
  readonly rtt: Readonly<RttSettings>;
  /** Settings of the congestion controller, or `undefined` when there is none (off, or a reliable link). */
  readonly congestion: Readonly<CongestionSettings> | undefined;
  /** The process's packet builder for this MTU. */
  readonly builder: PacketBuilder;
}

const layouts = new WeakMap<ResolvedConnectionOptions, ChannelLayout>();

/** The layout of `o` (computed on first use, then shared). */
export function channelLayout(o: ResolvedConnectionOptions): ChannelLayout {
  let layout = layouts.get(o);
  if (layout === undefined) {
    layout = buildLayout(o);
    layouts.set(o, layout);
  }
  return layout;
}

function buildLayout(o: ResolvedConnectionOptions): ChannelLayout {
  const indexById = new Int8Array(WIRE_IDS).fill(NO_CHANNEL);
  const maxUnreliablePayload = o.mtu - PACKET_HEADER_SIZE - RECORD_HEADER_SIZE;
  const channels = o.channels.map((config, index): ChannelSettings => {
    indexById[config.id] = index;
    if (config.mode === 'reliable-ordered') {
      return {
        reliable: true,
        settings: Object.freeze({
          index,
          id: config.id,
          window: o.reliableWindow,
          maxUnitPayload: maxUnreliablePayload,
          fragmentPayload: fragmentPayloadSize(o.mtu),
          maxMessageSize: o.maxMessageSize,
          maxQueueBytes: o.maxSendQueueBytes,
          redundantSends: o.reliableLink ? 0 : o.redundantSends,
        }),
      };
    }
    return {
      reliable: false,
      settings: Object.freeze({
        index,
        id: config.id,
        sequenced: config.mode === 'unreliable-sequenced',
        maxQueue: o.maxUnreliableQueue,
        window: o.unreliableWindow,
      }),
    };
  });
  return Object.freeze({
    options: o,
    indexById,
    channels: Object.freeze(channels),
    maxUnreliablePayload,
    rtt: Object.freeze({
      initialRtt: o.initialRtt,
      minRto: o.minRto,
      maxRto: o.maxRto,
      maxAckDelay: o.ackDelay,
      maxBackoff: o.maxBackoff,
    }),
    congestion:
      o.congestionControl && !o.reliableLink
        ? Object.freeze({
            mtu: o.mtu,
            initialWindowPackets: o.initialCongestionWindow,
            minWindowPackets: o.minCongestionWindow,
          })
        : undefined,
    builder: PacketBuilder.shared(o.mtu),
  });
}

/**
 * `@netplay/client`: the SDK a game uses to join Netplay rooms, in Node and browsers.
 *
 * ```ts
 * import { Client } from '@netplay/client';
 * const client = new Client('ws://127.0.0.1:2567');
 * const room = await client.joinOrCreate('arena', { name: 'ana' });
 * room.onMessage('chat', (payload) => {});
 * room.send('move', { x: 1 });
 * room.relay({ emote: 3 });
 * ```
 * @packageDocumentation
 */

// Types of the session contract that appear in this API.
export type {
  ConnectToken,
  EntityId,
  EntityState,
  FieldSpec,
  FieldValue,
  JoinedInfo,
  MessageType,
  RelayTarget,
  RoomListing,
} from '@netplay/transport';
export { SnapshotSchema } from '@netplay/transport';
export { Client, type JoinOptions } from './client.js';
export * from './errors.js';
// Game feel (optional helpers, docs/game-feel.md): delta-snapshot decoding, interpolation, prediction.
export {
  DEFAULT_SNAPSHOT_DECODER_OPTIONS,
  type DecodedSnapshot,
  receiveSnapshots,
  SnapshotDecoder,
  type SnapshotDecoderOptions,
  type SnapshotDecoderStats,
} from './feel/delta-decoder.js';
export {
  type ApplyInput,
  type CorrectionSmoothing,
  DEFAULT_PREDICTION_OPTIONS,
  type PendingInput,
  type PredictionOptions,
  type PredictionStats,
  Predictor,
} from './feel/prediction.js';
export {
  DEFAULT_INTERPOLATION_OPTIONS,
  type InterpolationOptions,
  type InterpolationStats,
  type Lerp,
  lerpFields,
  SnapshotInterpolator,
} from './feel/snapshot-interpolation.js';
export { NETWORK_SPEC_KEYS, parseNetworkSpec } from './network-spec.js';
export {
  type ClientNetworkOptions,
  type ClientOptions,
  DEFAULT_CLIENT_OPTIONS,
  type JoinRetryOptions,
  type Logger,
  type ReconnectOptions,
  type ResolvedClientOptions,
  type ResolvedReconnectOptions,
  resolveClientOptions,
} from './options.js';
export { backoffDelay } from './reconnect.js';
export { Room } from './room.js';
export type {
  AnyMessageHandler,
  MessageHandler,
  RelayOptions,
  RoomEvents,
  RoomState,
  RoomStats,
  SendOptions,
} from './room-events.js';

/** The version of this package. */
export const VERSION = '0.1.0';

/**
 * `@netplay/transport`: everything on the wire.
 *
 * A sans-IO protocol core ({@link Connection}) with unreliable, unreliable-sequenced and
 * reliable-ordered channels over one packet-level ack layer; interchangeable {@link Link}s;
 * and a network simulator for tests. Node-only links (UDP, `ws`) live in `@netplay/transport/node`.
 * @packageDocumentation
 */
export * from './errors.js';
export type { Clock, TimerHandle } from './clock.js';
export type { Link, LinkHandlers, LinkCloseInfo } from './link/link.js';

import type { Socket } from 'node:dgram';
import { describe, expect, it, vi } from 'vitest';
import { LinkError } from '../errors.js';
import type { LinkCloseInfo } from './link.js';
import { InboxLink, MAX_QUEUED_BEFORE_HANDLERS } from './link-inbox.js';
import { UdpLink } from './udp.js';
import { type WebSocketEventLike, type WebSocketLike, WebSocketLink } from './websocket.js';

/** An open WebSocket-like object whose events the test fires by hand. */
function fakeWebSocket() {
  const listeners = new Map<string, (event: WebSocketEventLike) => void>();
  const ws = {
    binaryType: 'blob',
    bufferedAmount: 0,
    readyState: 1,
    send: vi.fn<(data: Uint8Array) => void>(),
    close: vi.fn<(code?: number, reason?: string) => void>(),
    addEventListener: (type: string, listener: (event: WebSocketEventLike) => void) => listeners.set(type, listener),
    removeEventListener: () => {},
  } satisfies WebSocketLike;
  const message = (bytes: number[]) =>
    listeners.get('message')!({ type: 'message', data: new Uint8Array(bytes).buffer });
  return { ws, message };
}

/** A server-side UdpLink on a socket stub that records sends. */
function udpLink() {
  const onClosed = vi.fn();
  const socket = { send: vi.fn() } as unknown as Socket;
  const owner = { socket, maxDatagramSize: 1200, connected: false, onSent: () => {}, released: onClosed };
  const link = new UdpLink(owner, { address: '127.0.0.1', port: 9 });
  return { link, onClosed };
}

describe('socket links: handler errors and the pre-handler queue', () => {
  it('WebSocketLink closes with a LinkError when onDatagram throws, and closes the socket with 1011', () => {
    const { ws, message } = fakeWebSocket();
    const link = new WebSocketLink(ws);
    const thrown = new Error('boom');
    const closes: LinkCloseInfo[] = [];
    link.setHandlers({
      onDatagram: () => {
        throw thrown;
      },
      onClose: (info) => closes.push(info),
    });
    message([1, 2]);
    expect(link.closed).toBe(true);
    expect(closes).toHaveLength(1);
    expect(closes[0]!.local).toBe(false);
    expect(closes[0]!.reason).toBe('datagram handler threw');
    expect(closes[0]!.error).toBeInstanceOf(LinkError);
    expect(closes[0]!.error!.cause).toBe(thrown);
    expect(ws.close).toHaveBeenCalledWith(1011);
    message([3]);
    expect(link.stats.datagramsReceived).toBe(1);
  });

  it('WebSocketLink closes with a LinkError when the socket send throws', () => {
    const { ws } = fakeWebSocket();
    const thrown = new Error('socket gone');
    ws.send.mockImplementation(() => {
      throw thrown;
    });
    const link = new WebSocketLink(ws);
    const closes: LinkCloseInfo[] = [];
    link.setHandlers({ onDatagram: () => {}, onClose: (info) => closes.push(info) });
    link.send(new Uint8Array([1]));
    expect(closes).toHaveLength(1);
    expect(closes[0]!.reason).toBe('websocket send failed');
    expect(closes[0]!.error).toBeInstanceOf(LinkError);
    expect(closes[0]!.error!.cause).toBe(thrown);
    expect(link.stats.datagramsSent).toBe(0);
  });

  it('WebSocketLink keeps at most 256 datagrams before handlers are set and counts the rest', () => {
    const { ws, message } = fakeWebSocket();
    const link = new WebSocketLink(ws);
    for (let i = 0; i < MAX_QUEUED_BEFORE_HANDLERS + 3; i++) message([i & 0xff]);
    expect(MAX_QUEUED_BEFORE_HANDLERS).toBe(256);
    expect(link.stats.droppedQueueFull).toBe(3);
    expect(link.stats.datagramsReceived).toBe(256);
    expect(JSON.parse(JSON.stringify(link.stats))).toEqual({
      datagramsSent: 0,
      bytesSent: 0,
      datagramsReceived: 256,
      bytesReceived: 256,
      droppedNonBinary: 0,
      droppedOversize: 0,
      droppedQueueFull: 3,
    });
    const got: number[] = [];
    link.setHandlers({ onDatagram: (d) => got.push(d[0]!) });
    expect(got).toHaveLength(256);
    expect(got[255]).toBe(255);
  });

  it('UdpLink closes with a LinkError when onDatagram throws, and releases its binding once', () => {
    const { link, onClosed } = udpLink();
    const thrown = new Error('boom');
    const closes: LinkCloseInfo[] = [];
    link.setHandlers({
      onDatagram: () => {
        throw thrown;
      },
      onClose: (info) => closes.push(info),
    });
    link._receive(Buffer.from([1, 2]));
    link._receive(Buffer.from([3]));
    expect(link.closed).toBe(true);
    expect(closes).toHaveLength(1);
    expect(closes[0]!.local).toBe(false);
    // UdpLink's reason is the LinkError's message, prefixed as every LinkError message is.
    expect(closes[0]!.reason).toBe('link error: datagram handler threw');
    expect(closes[0]!.error).toBeInstanceOf(LinkError);
    expect(closes[0]!.error!.cause).toBe(thrown);
    expect(onClosed).toHaveBeenCalledTimes(1);
    expect(link.stats.datagramsReceived).toBe(1);
  });

  it('UdpLink keeps at most 256 datagrams before handlers are set, and reports a close that came first', () => {
    const { link } = udpLink();
    for (let i = 0; i < MAX_QUEUED_BEFORE_HANDLERS + 2; i++) link._receive(Buffer.from([i & 0xff]));
    expect(link.stats.droppedQueueFull).toBe(2);
    link._fail(new LinkError('socket failed'));
    const got: number[] = [];
    const closes: LinkCloseInfo[] = [];
    link.setHandlers({ onDatagram: (d) => got.push(d[0]!), onClose: (info) => closes.push(info) });
    expect(got).toHaveLength(256);
    expect(closes).toHaveLength(1);
    expect(closes[0]!.reason).toBe('link error: socket failed');
  });

  it('a link written on InboxLink serializes its receive counters by default', () => {
    class PipeLink extends InboxLink {
      readonly errors: unknown[] = [];
      onHandlerError(error: unknown): void {
        this.errors.push(error);
      }
      arrive(datagram: Uint8Array): void {
        this.receiveDatagram(datagram);
      }
    }
    const link = new PipeLink();
    link.arrive(new Uint8Array([1, 2, 3]));
    link.setHandlers({ onDatagram: () => {} });
    link.arrive(new Uint8Array([4]));
    expect(JSON.parse(JSON.stringify(link))).toEqual({ datagramsReceived: 2, bytesReceived: 4, droppedQueueFull: 0 });
  });
});

/**
 * Messages between the soak harness and its bot process (over `process.send`).
 * @module
 */

/** Harness → bots. */
export type SoakCommand = {
  op: 'start';
  url: string;
  /** Index of this process's first client (clients are numbered across bot processes). */
  firstIndex: number;
  clients: number;
  clientsPerRoom: number;
  hz: number;
  seconds: number;
  latency: number;
  jitter: number;
  loss: number;
};

/** Bots → harness. */
export type SoakReply =
  | { op: 'joined'; clients: number; ms: number }
  | { op: 'progress'; sent: number; received: number; resent: number }
  | {
      op: 'done';
      sent: number;
      received: number;
      lost: number;
      duplicated: number;
      unexpectedLeaves: number;
      errors: Record<string, number>;
      reconnects: number;
      resent: number;
    }
  | { op: 'failed'; message: string };

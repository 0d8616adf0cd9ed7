/**
 * {@link Member}: what the matchmaker keeps of a session that joins or is in a room.
 * @module
 */
import type { SessionRateLimiter } from '../relay/rate-limiter.js';
import { RoomClient } from '../room/room-client.js';
import type { RoomRuntime } from '../room/room-runtime.js';
import type { SessionPort } from '../session/session-port.js';

/**
 * The room's {@link RoomClient} of a session with the matchmaker's state beside it: the room, whether
 * the join completed, and the session's rate limiter. Kept in the session's
 * {@link SessionPort.roomSlot} from the join request until the member leaves, so a member is one
 * object (a session joins at most one room in its life: leaving ends it).
 */
export class Member extends RoomClient {
  /** `true` once the room took the member (`Joined` sent); `false` while the join is pending. */
  admitted = false;
  /** Created with the first rate-limited message (a full bucket either way): an idle member holds none. */
  limiter: SessionRateLimiter | undefined = undefined;

  constructor(session: SessionPort, runtime: RoomRuntime) {
    super(session, runtime);
  }

  /** The room joined (or being joined): the client's owner, a `RoomRuntime` (see the constructor). */
  get runtime(): RoomRuntime {
    return this.owner as RoomRuntime;
  }
}

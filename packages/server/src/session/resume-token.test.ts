import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { resumeTokenFor, sessionOfResumeToken } from './resume-token.js';

describe('resume tokens', () => {
  const secret = randomBytes(32);

  it('name the session they were issued for, cluster prefixes and all', () => {
    for (const id of ['AbC-_12xyz90', 'node-1.2.3.Zz9_-aa']) {
      const token = resumeTokenFor(secret, id);
      expect(token.startsWith(id)).toBe(true); // a cluster worker reads its prefix off the token
      expect(sessionOfResumeToken(secret, token)).toBe(id);
    }
  });

  it('are refused when forged, altered, cut short, or issued under another secret', () => {
    const token = resumeTokenFor(secret, 'session-1');
    // Any other last character: a different MAC, or the same bytes spelled differently (base64url's
    // last character carries 2 padding bits): both refused.
    for (const last of 'ABCDabcd01-_') {
      if (last !== token.at(-1)) expect(sessionOfResumeToken(secret, `${token.slice(0, -1)}${last}`)).toBeUndefined();
    }
    expect(sessionOfResumeToken(secret, token.replace('session-1', 'session-2'))).toBeUndefined();
    expect(sessionOfResumeToken(secret, token.slice(0, -4))).toBeUndefined();
    expect(sessionOfResumeToken(randomBytes(32), token)).toBeUndefined();
    for (const junk of ['', '~', 'session-1', '~AAAAAAAAAAAAAAAAAAAAAA', 'x~not base64!']) {
      expect(sessionOfResumeToken(secret, junk)).toBeUndefined();
    }
  });
});

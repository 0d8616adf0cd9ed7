/**
 * docs/errors.md, the page every README points to for error codes, lists exactly the codes the
 * packages define: the session codes and the cluster codes as tables, the client's own codes as
 * sections. (The transport's sections, with their class and fields, are checked beside its
 * registry in packages/transport/src/errors.test.ts.)
 */
import { readFileSync } from 'node:fs';
import { ClientErrorCode } from '@netplay/client';
import { ClusterErrorCode, SessionErrorCode } from '@netplay/server';
import { describe, expect, it } from 'vitest';

const doc = readFileSync(new URL('../docs/errors.md', import.meta.url), 'utf8');

/** The text under the `## ` heading that starts with `heading`, up to the next `## ` heading. */
function section(heading: string): string {
  const start = doc.indexOf(`\n## ${heading}`);
  expect(start, `a "## ${heading}" section`).toBeGreaterThanOrEqual(0);
  const rest = doc.slice(start + 4);
  const end = rest.search(/^## /m);
  return end < 0 ? rest : rest.slice(0, end);
}

/** The codes in the first column of the section's table. */
const tabled = (heading: string) => [...section(heading).matchAll(/^\| `([A-Z_]+)` /gm)].map((m) => m[1]!).sort();

/** The codes of the section's `### \`CODE\`` headings. */
const headed = (heading: string) => [...section(heading).matchAll(/^### `([A-Z_]+)`\s*$/gm)].map((m) => m[1]!).sort();

describe('docs/errors.md', () => {
  it('tables exactly the codes of SessionErrorCode', () => {
    expect(tabled('Session codes')).toEqual(Object.values(SessionErrorCode).sort());
  });

  it('tables exactly the codes of ClusterErrorCode', () => {
    expect(tabled('Cluster codes')).toEqual(Object.values(ClusterErrorCode).sort());
  });

  it('has a section for exactly the codes of ClientErrorCode', () => {
    expect(headed('`@netplay/client`')).toEqual(Object.values(ClientErrorCode).sort());
  });
});

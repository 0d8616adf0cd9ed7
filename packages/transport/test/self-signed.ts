/**
 * A throwaway self-signed certificate for TLS tests, made by `openssl` (P-256, valid one day) in
 * a temporary directory that {@link SelfSigned.remove} deletes.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A key and certificate (PEM) and the directory they were written to. */
export interface SelfSigned {
  readonly key: string;
  readonly cert: string;
  /** Delete the files. */
  remove(): void;
}

/**
 * Make a certificate for `commonName` valid for `altNames` (the subjectAltName value, e.g.
 * `'DNS:localhost,IP:127.0.0.1'`).
 */
export function selfSignedCertificate(commonName: string, altNames: string): SelfSigned {
  const dir = mkdtempSync(join(tmpdir(), 'netplay-tls-'));
  const keyFile = join(dir, 'key.pem');
  const certFile = join(dir, 'cert.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '1',
      '-subj',
      `/CN=${commonName}`,
      '-addext',
      `subjectAltName=${altNames}`,
      '-keyout',
      keyFile,
      '-out',
      certFile,
    ],
    { stdio: 'ignore' },
  );
  return {
    key: readFileSync(keyFile, 'utf8'),
    cert: readFileSync(certFile, 'utf8'),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/**
 * A safe static-file handler for {@link HttpRoutes}: `server.route('GET', '/arena/*', staticFiles(dir))`.
 * Only files inside `root` are served: `..` segments, encoded slashes and backslashes, NUL bytes,
 * dot-files and symlinks leading out of `root` answer 404.
 * @module
 */
import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';
import type { HttpHandler } from './routes.js';

/** Options of {@link staticFiles}. */
export interface StaticFilesOptions {
  /** File served for a directory path (`/arena/`). Defaults to `'index.html'`. */
  index?: string;
  /** `Cache-Control` header of every file. Defaults to `'no-cache'` (revalidate: fine for a dev/demo server). */
  cacheControl?: string;
}

/** Defaults of {@link StaticFilesOptions}. */
export const DEFAULT_STATIC_FILES_OPTIONS = {
  index: 'index.html',
  cacheControl: 'no-cache',
} as const satisfies Required<StaticFilesOptions>;

/** Content types by file extension; anything else is `application/octet-stream`. */
export const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.wasm': 'application/wasm',
  '.woff2': 'font/woff2',
};

/**
 * The file under `root` that a route's subpath names, or `undefined` when it is unsafe or malformed.
 * Exported for tests.
 */
export function resolveStaticPath(root: string, subpath: string, index: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(subpath);
  } catch {
    return undefined;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return undefined;
  const segments = decoded.split('/');
  const last = segments.length - 1;
  const parts: string[] = [];
  for (const [i, segment] of segments.entries()) {
    if (segment === '') {
      if (i === last) parts.push(index); // trailing slash (or empty subpath): the directory's index
      continue;
    }
    if (segment.startsWith('.')) return undefined; // `..`, `.`, dot-files
    parts.push(segment);
  }
  if (parts.length === 0) parts.push(index);
  const base = resolve(root);
  const file = resolve(base, join(...parts));
  return file.startsWith(base + sep) ? file : undefined;
}

/**
 * A handler serving the files under `root` for `GET` and `HEAD` (404 for anything missing or
 * unsafe). Mount it on a prefix route; the route's subpath names the file.
 */
export function staticFiles(root: string, options: StaticFilesOptions = {}): HttpHandler {
  const index = options.index ?? DEFAULT_STATIC_FILES_OPTIONS.index;
  const cacheControl = options.cacheControl ?? DEFAULT_STATIC_FILES_OPTIONS.cacheControl;
  const rootReal = realpath(resolve(root)).catch(() => undefined);
  return async (req, res, { subpath }) => {
    const notFound = (): void => {
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('not found');
    };
    const base = await rootReal;
    const candidate = base === undefined ? undefined : resolveStaticPath(base, subpath, index);
    if (base === undefined || candidate === undefined) return notFound();
    let file: string;
    let size: number;
    try {
      file = await realpath(candidate);
      const info = await stat(file);
      if (!info.isFile() || !file.startsWith(base + sep)) return notFound();
      size = info.size;
    } catch {
      return notFound();
    }
    res.writeHead(200, {
      'Content-Type': CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
      'Content-Length': size,
      'Cache-Control': cacheControl,
      'X-Content-Type-Options': 'nosniff',
    });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    await new Promise<void>((done) => {
      const stream = createReadStream(file);
      stream.on('error', () => {
        res.destroy();
        done();
      });
      stream.on('end', done);
      stream.pipe(res);
    });
  };
}

/**
 * Serve the browser arena from a {@link Server}'s HTTP server: `/arena/` (the page and its
 * stylesheet, from this folder) and `/arena/app.js` (`main.ts` bundled by esbuild from the
 * sources of `@netplay/client` and `@netplay/transport`, with the client's browser stub for
 * Node-only links). The bundle is built once, on first use or by {@link ArenaPage.ready}: no
 * manual build step.
 * @module
 */
import { fileURLToPath } from 'node:url';
import { type Server, staticFiles } from '@netplay/server';
import { build } from 'esbuild';

const here = (path: string): string => fileURLToPath(new URL(path, import.meta.url));

/** Bundle `main.ts` for the browser; resolves with the JavaScript. */
export async function bundleArena(): Promise<string> {
  const result = await build({
    entryPoints: [here('./main.ts')],
    bundle: true,
    write: false,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    sourcemap: 'inline',
    logLevel: 'silent',
    alias: {
      '@netplay/client': here('../../../packages/client/src/index.ts'),
      '@netplay/transport': here('../../../packages/transport/src/index.ts'),
    },
    plugins: [
      {
        name: 'netplay-browser-node-links',
        setup(b) {
          b.onResolve({ filter: /\/node-links\.js$/ }, () => ({
            path: here('../../../packages/client/src/node-links.browser.ts'),
          }));
        },
      },
    ],
  });
  const out = result.outputFiles[0];
  if (out === undefined) throw new Error('esbuild produced no output');
  return out.text;
}

/** The mounted page. */
export interface ArenaPage {
  /** Resolves once the bundle is built (rejects when it cannot be). */
  ready(): Promise<void>;
}

/** Mount the arena page on `server` at `/arena/` (and redirect `/` there). */
export function mountArenaPage(server: Server): ArenaPage {
  let bundle: Promise<string> | undefined;
  const getBundle = (): Promise<string> => {
    bundle ??= bundleArena();
    return bundle;
  };
  server.route('GET', '/', (_req, res) => {
    res.writeHead(302, { Location: '/arena/' });
    res.end();
  });
  server.route('GET', '/arena', (_req, res) => {
    res.writeHead(301, { Location: '/arena/' });
    res.end();
  });
  server.route('GET', '/arena/app.js', async (req, res) => {
    let js: string;
    try {
      js = await getBundle();
    } catch (error) {
      bundle = undefined; // try again next time
      res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end(`cannot bundle the arena: ${error instanceof Error ? error.message : String(error)}`);
      return;
    }
    res.writeHead(200, {
      'Content-Type': 'text/javascript; charset=utf-8',
      'Content-Length': Buffer.byteLength(js),
      'Cache-Control': 'no-cache',
    });
    res.end(req.method === 'HEAD' ? undefined : js);
  });
  server.route('GET', '/arena/*', staticFiles(here('./public')));
  return { ready: async () => void (await getBundle()) };
}

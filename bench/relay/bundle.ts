/**
 * The relay bench runs its server and bot children as the code users ship: each child's entry is
 * bundled with esbuild (the `@netplay/*` packages from their sources through the tsconfig paths,
 * npm dependencies left as imports) into `bench/relay/.build/`, then run by plain `node`. Running
 * them through `tsx` instead would measure its transform: tsx compiles with esbuild's `keepNames`,
 * which gives every closure a `name` property and a property array (≈ 5 KiB of heap per session
 * in `bench/relay/heap-breakdown.ts`) and a `__name` call per closure created (≈ 1 % of server CPU).
 * @module
 */
import { mkdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
const outDir = join(here, '.build');
const built = new Map<string, Promise<string>>();

/** npm packages the children import: left to Node's resolution, as an app's bundler would. */
const EXTERNAL = ['ws', '@msgpack/msgpack', 'eventemitter3', 'ioredis', 'prom-client', 'esbuild'];

/** Bundle `file` (relative to bench/relay) once per run; resolves to the path of the bundle. */
export function bundled(file: string): Promise<string> {
  let path = built.get(file);
  if (path === undefined) {
    const out = join(outDir, basename(file).replace(/\.ts$/, '.mjs'));
    mkdirSync(outDir, { recursive: true });
    path = build({
      entryPoints: [join(here, file)],
      outfile: out,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      external: EXTERNAL,
      tsconfig: join(here, '../../tsconfig.json'),
      sourcemap: 'linked',
      logLevel: 'warning',
      // ESM output of CommonJS-style code (none of ours) would need a require shim.
      banner: {
        js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
      },
    }).then(() => out);
    built.set(file, path);
  }
  return path;
}

/**
 * The relay bench runs its server and bot children as the code users ship: each child's entry is
 * bundled with esbuild (the `@netplay/*` packages from their sources through the tsconfig paths,
 * npm dependencies left as imports) into `bench/relay/.build/`, then run by plain `node`. Running
 * them through `tsx` instead would measure its transform: tsx compiles with esbuild's `keepNames`,
 * which gives every closure a `name` property and a property array (≈ 5 KiB of heap per session
 * in `bench/relay/heap-breakdown.ts`) and a `__name` call per closure created (≈ 1 % of server CPU).
 * @module
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = join(here, '../..');
const outDir = join(here, '.build');
const built = new Map<string, Promise<string>>();

/** npm packages the children import: left to Node's resolution, as an app's bundler would. */
const EXTERNAL = ['ws', '@msgpack/msgpack', 'eventemitter3', 'ioredis', 'prom-client', 'esbuild'];

/** Bundle `file` (relative to bench/relay) once per run; resolves to the path of the bundle. */
export function bundled(file: string): Promise<string> {
  return bundleOnce(repoRoot, outDir, file);
}

/**
 * Bundle `file` (relative to bench/relay) as it is at git `revision` (a commit, tag or branch of
 * this repository), with that revision's packages: its tree is extracted (`git archive`) into
 * `bench/relay/.build/rev-<sha>/tree` and bundled next to it. The bundle imports its npm
 * dependencies from this tree's `node_modules`, and talks to this tree's harness, so the revision
 * must speak the same IPC protocol (`protocol.ts`). For A/B runs of a server change
 * (`--compare=<rev>`).
 */
export function bundledAt(revision: string, file: string): Promise<string> {
  let sha: string;
  try {
    sha = execFileSync('git', ['rev-parse', '--verify', '--quiet', `${revision}^{commit}`], {
      cwd: repoRoot,
      encoding: 'utf8',
    }).trim();
  } catch {
    return Promise.reject(new Error(`relay bench: ${revision} is not a commit of this repository`));
  }
  const dir = join(outDir, `rev-${sha.slice(0, 12)}`);
  const tree = join(dir, 'tree');
  if (!existsSync(tree)) {
    // Extracted beside it, then renamed: an interrupted extraction is never taken for a tree.
    const partial = join(dir, 'tree.partial');
    rmSync(partial, { recursive: true, force: true });
    mkdirSync(partial, { recursive: true });
    const tar = join(dir, 'tree.tar');
    execFileSync('git', ['archive', '--format=tar', '-o', tar, sha], { cwd: repoRoot });
    execFileSync('tar', ['-xf', tar, '-C', partial]);
    rmSync(tar);
    renameSync(partial, tree);
  }
  return bundleOnce(tree, dir, file);
}

/** Bundle `root`'s `bench/relay/<file>` into `out`, once per run. */
function bundleOnce(root: string, out: string, file: string): Promise<string> {
  const outfile = join(out, basename(file).replace(/\.ts$/, '.mjs'));
  let path = built.get(outfile);
  if (path === undefined) {
    mkdirSync(out, { recursive: true });
    path = build({
      entryPoints: [join(root, 'bench/relay', file)],
      outfile,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      external: EXTERNAL,
      tsconfig: join(root, 'tsconfig.json'),
      sourcemap: 'linked',
      logLevel: 'warning',
      // ESM output of CommonJS-style code (none of ours) would need a require shim.
      banner: {
        js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
      },
    }).then(() => outfile);
    built.set(outfile, path);
  }
  return path;
}

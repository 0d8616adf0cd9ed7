import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (pkg: string, file = 'index.ts') =>
  fileURLToPath(new URL(`./packages/${pkg}/src/${file}`, import.meta.url));

/** Where tests live: beside their code, in a package's `test/`, and cross-package in `test/`. */
const testDirs = ['packages/*/src/**', 'packages/*/test/**', 'test/**'];

export default defineConfig({
  resolve: {
    // Tests run against the sources, never a stale dist.
    alias: [
      { find: /^@netplay\/transport\/node$/, replacement: src('transport', 'node.ts') },
      { find: /^@netplay\/transport$/, replacement: src('transport') },
      { find: /^@netplay\/server$/, replacement: src('server') },
      { find: /^@netplay\/client$/, replacement: src('client') },
    ],
  },
  test: {
    include: testDirs.map((dir) => `${dir}/*.test.ts`),
    // `*.test-d.ts` files are type tests (expectTypeOf): tsc checks them in the same `vitest run`,
    // and a type error anywhere they import fails the run.
    typecheck: {
      enabled: true,
      include: testDirs.map((dir) => `${dir}/*.test-d.ts`),
      tsconfig: './tsconfig.json',
      ignoreSourceErrors: false,
    },
    testTimeout: 20_000,
    hookTimeout: 20_000,
    pool: 'forks',
  },
});

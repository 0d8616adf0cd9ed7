import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (pkg: string, file = 'index.ts') => fileURLToPath(new URL(`./packages/${pkg}/src/${file}`, import.meta.url));

export default defineConfig({
  resolve: {
    alias: [
      { find: /^@netplay\/transport\/node$/, replacement: src('transport', 'node.ts') },
      { find: /^@netplay\/transport$/, replacement: src('transport') },
      { find: /^@netplay\/server$/, replacement: src('server') },
      { find: /^@netplay\/client$/, replacement: src('client') },
    ],
  },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'packages/*/test/**/*.test.ts', 'test/**/*.test.ts'],
    typecheck: { enabled: true, include: ['**/*.test-d.ts'], tsconfig: './tsconfig.json' },
    testTimeout: 20_000,
    hookTimeout: 20_000,
    pool: 'forks',
  },
});

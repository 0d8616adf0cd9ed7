import { defineConfig } from 'tsup';

export default defineConfig({
  // The cluster manager forks `worker-main.js` from beside its own bundle; ESM chunks are shared, so
  // the worker and a rooms module importing `@netplay/server` see the same Room class.
  entry: { index: 'src/index.ts', 'worker-main': 'src/cluster/worker-main.ts', cli: 'src/cluster/cli-main.ts' },
  shims: true,
  format: ['esm', 'cjs'],
  dts: { compilerOptions: { composite: false } },
  tsconfig: 'tsconfig.build.json',
  sourcemap: true,
  clean: true,
  target: 'es2022',
  platform: 'node',
  // Workspace and npm dependencies stay imports; `@netplay/transport` resolves to its built dist.
  external: [/^@netplay\//],
});

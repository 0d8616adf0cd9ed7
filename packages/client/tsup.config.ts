import { fileURLToPath } from 'node:url';
import { defineConfig, type Options } from 'tsup';

const common = {
  tsconfig: 'tsconfig.build.json',
  sourcemap: true,
  target: 'es2022',
  external: [/^@netplay\//, 'eventemitter3'],
} satisfies Options;

/** Browser build: `node-links.ts` (the only module that may load `@netplay/transport/node`) is swapped for its browser stub. */
const browserStub: NonNullable<Options['esbuildPlugins']>[number] = {
  name: 'netplay-browser-node-links',
  setup(build) {
    build.onResolve({ filter: /\/node-links\.js$/ }, () => ({
      path: fileURLToPath(new URL('./src/node-links.browser.ts', import.meta.url)),
    }));
  },
};

export default defineConfig([
  {
    // Node (and any runtime that resolves the default condition): ESM + CJS, with types.
    ...common,
    entry: { index: 'src/index.ts' },
    format: ['esm', 'cjs'],
    dts: { compilerOptions: { composite: false } },
    clean: true,
    // Neutral: `@netplay/transport/node` is reached only through a dynamic import() when running in Node.
    platform: 'neutral',
  },
  {
    // Browsers (the "browser" export condition): ESM with no Node-only import at all.
    ...common,
    entry: { browser: 'src/index.ts' },
    format: ['esm'],
    dts: false,
    clean: false,
    platform: 'browser',
    esbuildPlugins: [browserStub],
  },
]);

/**
 * The browser build has no Node-only import: bundling the client (sources, with the transport's
 * sources) for the browser — with `node-links.ts` swapped for its browser stub, as tsup.config.ts
 * does for `dist/browser.js` — must succeed with every Node built-in and `ws` left unresolvable.
 */
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

describe('browser build', () => {
  it('bundles for the browser without Node built-ins, ws or @netplay/transport/node', async () => {
    const result = await build({
      entryPoints: [here('../src/index.ts')],
      bundle: true,
      write: false,
      platform: 'browser',
      format: 'esm',
      logLevel: 'silent',
      metafile: true,
      alias: { '@netplay/transport': here('../../transport/src/index.ts') },
      plugins: [
        {
          name: 'netplay-browser-node-links',
          setup(b) {
            b.onResolve({ filter: /\/node-links\.js$/ }, () => ({ path: here('../src/node-links.browser.ts') }));
            // Anything Node-only must not even be reached.
            b.onResolve({ filter: /^(node:|ws$|@netplay\/transport\/node$)/ }, (args) => ({
              errors: [{ text: `Node-only import in the browser build: ${args.path} (from ${args.importer})` }],
            }));
          },
        },
      ],
    });
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.some((p) => p.endsWith('node-links.browser.ts'))).toBe(true);
    expect(inputs.some((p) => /node-links\.ts$/.test(p))).toBe(false);
    expect(inputs.some((p) => /link\/(udp|ws-node)/.test(p))).toBe(false);
  });
});

/**
 * Split a `perf` profile of a relay server by where its samples were taken: each sample goes to
 * the first named part whose marker (a substring of a frame, e.g. a JIT function's `file:line`)
 * is on its call stack, else to `rest`; within a part, kernel (leaf in `[kernel.kallsyms]`) and
 * user space are counted apart.
 *
 * ```sh
 * NODE_OPTIONS=--perf-basic-prof npm run bench -- relay --targets=netplay-ws --idle=8 --seconds=20 --rounds=1 &
 * perf record -F 2000 -g -p <server pid> -o ws.data -- sleep 5      # in the middle of the window
 * perf script -i ws.data -F ip,sym,dso > ws.txt
 * npx tsx bench/relay/perf-split.ts ws.txt write=writable:548 receive=stream_base_commons:168
 * ```
 * (`writable:548` is Node 20's `writeOrBuffer`, under every socket write; `stream_base_commons:168`
 * its `onStreamRead`, under every socket read. For the bare relay, which writes from inside its
 * reads, name the `ws` sender first: `write=sender.js:354`.)
 * @module
 */
import { readFileSync } from 'node:fs';

interface Part {
  name: string;
  marker: string;
  kernel: number;
  user: number;
}

function main(): void {
  const [file, ...specs] = process.argv.slice(2);
  if (file === undefined || specs.some((s) => !s.includes('='))) {
    console.error('usage: perf-split.ts <perf script output> name=marker [name=marker…]');
    process.exit(2);
  }
  const parts: Part[] = specs.map((s) => {
    const at = s.indexOf('=');
    return { name: s.slice(0, at), marker: s.slice(at + 1), kernel: 0, user: 0 };
  });
  const rest: Part = { name: 'rest', marker: '', kernel: 0, user: 0 };
  // `perf script` writes one sample per block of lines (leaf frame first), blocks apart by a blank line.
  for (const block of readFileSync(file, 'utf8').split(/\n\s*\n/)) {
    const frames = block.split('\n').filter((l) => l.trim() !== '');
    if (frames.length === 0) continue;
    const part = parts.find((p) => frames.some((f) => f.includes(p.marker))) ?? rest;
    if (frames[0]!.includes('[kernel.kallsyms]')) part.kernel++;
    else part.user++;
  }
  const all = [...parts, rest];
  const total = all.reduce((n, p) => n + p.kernel + p.user, 0);
  console.log('| part | kernel | user | all | share |');
  console.log('|---|---:|---:|---:|---:|');
  for (const p of all) {
    const n = p.kernel + p.user;
    console.log(`| ${p.name} | ${p.kernel} | ${p.user} | ${n} | ${((100 * n) / Math.max(1, total)).toFixed(1)} % |`);
  }
  const kernel = all.reduce((n, p) => n + p.kernel, 0);
  console.log(`| total | ${kernel} | ${total - kernel} | ${total} | |`);
}

main();

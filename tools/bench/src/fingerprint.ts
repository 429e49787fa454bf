/**
 * `npm run fingerprint -w @pagelab/bench`: what the model did on the mixed
 * workload, per design, as short hashes — the ledger (every site and kind),
 * the outcomes, the observations, and every word of every frame at the end.
 *
 * For speed work, which must not change the model: run it before and after
 * a change; any difference in any column means the change altered
 * behaviour, however small (a lock counted twice, a page freed in another
 * order, a different frame handed out). A deliberate model change moves it
 * too, so it is a development check, not a test with a golden value.
 * Options: --events N (default 300000), --designs a,b,c.
 */
import { createHash } from 'node:crypto';
import { Replayer, designFrom, discoverRegistry } from '@pagelab/engine';
import { findScenario } from '@pagelab/workloads';
import { isLeft } from 'fp-ts/lib/Either.js';

const args = process.argv.slice(2);
const opt = (name: string): string | undefined => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
if (args.includes('--help') || args.includes('-h')) {
  console.log(`npm run fingerprint -w @pagelab/bench [-- options]

Replays the mixed workload under each design and prints short hashes of what
the model did: the ledger (every call site and kind) with the outcomes, every
word of every frame at the end, and the observations. Run it before and after
a change meant only to be faster: any difference means the model changed.

  --events N      events in the workload (default 300000)
  --designs a,b   designs (default linux-3.13,linux-4.5,linux-5.8,linux-6.10,linux-6.15)`);
  process.exit(0);
}
const events = Number(opt('events') ?? 300_000);
const designs = (opt('designs') ?? 'linux-3.13,linux-4.5,linux-5.8,linux-6.10,linux-6.15').split(',');
if (!Number.isInteger(events) || events < 10) {
  console.error(`--events: expected an integer >= 10, got '${opt('events')}'`);
  process.exit(2);
}

const reg = await discoverRegistry();
if (isLeft(reg)) throw new Error(String(reg.left));
const log = findScenario('mixed')!.generate({ events, memoryGiB: 1 });
const short = (h: ReturnType<typeof createHash>) => h.digest('hex').slice(0, 16);

console.log(`mixed workload, ${events.toLocaleString('en')} events, 1 GiB machine`);
console.log(`${'design'.padEnd(12)} ${'ledger+outcomes'.padEnd(16)} ${'frames'.padEnd(16)} ${'observations'.padEnd(16)} locked ops`);
for (const design of designs) {
  const d = designFrom(design, reg.right);
  if (isLeft(d)) {
    console.error(`${design}: ${String(d.left)}`);
    process.exit(2);
  }
  const r = new Replayer(log.header, d.right, { sampleEvery: 50_000, source: 'scenario:mixed' });
  r.start();
  const obs = createHash('sha256');
  let line = 1;
  for (const event of log.events) {
    const o = r.apply({ line: ++line, event });
    if (o.length > 0) obs.update(JSON.stringify(o));
  }
  const k = r.kernel;
  const f = k.frames;
  const frames = createHash('sha256');
  for (const a of [f.flags, f.refcount, f.mapcount, f.content, f.lruNext, f.lruPrev, f.mapping, f.index])
    frames.update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  const books = createHash('sha256').update(JSON.stringify({ ledger: k.ledger.totals(), outcomes: k.outcomes.toJSON(), free: k.buddy.freeFrames() }));
  console.log(`${design.padEnd(12)} ${short(books)} ${short(frames)} ${short(obs)} ${k.ledger.lockedOps}`);
}

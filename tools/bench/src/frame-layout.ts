/**
 * What the frame arrays' layout costs a page operation (`npm run
 * bench:layout -w @pagelab/bench`): not the model, a measurement for
 * deciding whether to change Frames. Frames keeps one typed array per
 * field (flags, refcount, mapcount, content, LRU links, mapping, index),
 * so an operation on one page touches a cache line in each array it
 * reads; an interleaved layout (the fields of a frame side by side, 32 B)
 * would touch one. Both are timed here on the same random pfns, an
 * operation reading and writing six fields as a fault or a free does,
 * beside the floor's one-field access, for working sets from cache-sized
 * to a 16 GiB machine's 4M frames. Wall ns per operation, best of 3.
 * The mixed workload keeps at most about 16,000 frames allocated (64 MiB)
 * on any machine size, the first row: there the two layouts cost the same.
 */
const args = process.argv.slice(2);
if (args.includes('--help') || args.includes('-h')) {
  console.log(`npm run bench:layout -w @pagelab/bench [-- --frames a,b,c]

ns per random page operation on six frame fields, one typed array per field
(Frames today) against the fields interleaved, and one field alone.
  --frames a,b   working sets in frames (default 16384,65536,1048576,4194304)`);
  process.exit(0);
}
const i = args.indexOf('--frames');
const sizes = (i >= 0 ? args[i + 1]! : '16384,65536,1048576,4194304').split(',').map(Number);
if (sizes.some((n) => !Number.isInteger(n) || n < 1024)) {
  console.error(`--frames: expected integers >= 1024, got '${args[i + 1]}'`);
  process.exit(2);
}

const FIELDS = 8;
const OPS = 1 << 20;
const ROUNDS = 4;

/** Random pfns below `n` (xorshift32, fixed seed: the same sequence every run; an LCG's low bits repeat with a short period). */
function pfns(n: number): Int32Array {
  const out = new Int32Array(OPS);
  let x = 2463534242;
  for (let j = 0; j < OPS; j++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[j] = (x >>> 0) % n;
  }
  return out;
}

function separate(fields: Int32Array[], idx: Int32Array): number {
  const [a, b, c, d, e, f] = fields as [Int32Array, Int32Array, Int32Array, Int32Array, Int32Array, Int32Array];
  let s = 0;
  for (let r = 0; r < ROUNDS; r++)
    for (let j = 0; j < idx.length; j++) {
      const p = idx[j]!;
      a[p] = a[p]! + 1;
      s += b[p]!;
      c[p] = s;
      s ^= d[p]!;
      e[p] = e[p]! + 1;
      s += f[p]!;
    }
  return s;
}

function interleaved(m: Int32Array, idx: Int32Array): number {
  let s = 0;
  for (let r = 0; r < ROUNDS; r++)
    for (let j = 0; j < idx.length; j++) {
      const p = idx[j]! << 3; // * FIELDS
      m[p] = m[p]! + 1;
      s += m[p + 1]!;
      m[p + 2] = s;
      s ^= m[p + 3]!;
      m[p + 4] = m[p + 4]! + 1;
      s += m[p + 5]!;
    }
  return s;
}

function oneField(a: Int32Array, idx: Int32Array): number {
  let s = 0;
  for (let r = 0; r < ROUNDS; r++)
    for (let j = 0; j < idx.length; j++) {
      const p = idx[j]!;
      a[p] = a[p]! + 1;
      s += a[p]!;
    }
  return s;
}

function best(run: () => number): number {
  let min = Infinity;
  for (let k = 0; k < 3; k++) {
    const t0 = process.hrtime.bigint();
    if (run() === 0.5) console.log('unreachable'); // keeps the loop observable
    min = Math.min(min, Number(process.hrtime.bigint() - t0) / (ROUNDS * OPS));
  }
  return min;
}

console.log(`${'frames'.padStart(9)} ${'per field'.padStart(10)} ${'interleaved'.padStart(12)} ${'one field'.padStart(10)}   ns per operation`);
for (const n of sizes) {
  const idx = pfns(n);
  // Written once before timing: the first write to each page of a fresh array is a page fault, not the layout.
  const fields = Array.from({ length: FIELDS }, () => new Int32Array(n).fill(1));
  const m = new Int32Array(n * FIELDS).fill(1);
  const sep = best(() => separate(fields, idx));
  const inter = best(() => interleaved(m, idx));
  const one = best(() => oneField(fields[0]!, idx));
  console.log(`${String(n).padStart(9)} ${sep.toFixed(1).padStart(10)} ${inter.toFixed(1).padStart(12)} ${one.toFixed(1).padStart(10)}`);
}

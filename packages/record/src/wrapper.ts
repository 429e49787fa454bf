/**
 * The wrapper the program runs under. It sets PR_SET_THP_DISABLE for the
 * traced run (inherited across fork and execve: kernel/sys.c prctl sets
 * MMF_DISABLE_THP, which dup_mmap copies and exec keeps), so every first
 * touch faults at 4 KiB and the trace sees each one; and it turns ASLR off
 * (personality ADDR_NO_RANDOMIZE) in both runs, so the traced run and the
 * normal run place their mappings alike and a 2 MiB-aligned range in one is
 * 2 MiB-aligned in the other. It also reports CLOCK_REALTIME -
 * CLOCK_MONOTONIC, to put strace's wall-clock times on perf's clock.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const SOURCE = `/* pagelab record wrapper: [--no-thp] -- CMD ARGS... | --clock-offset */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#ifndef PR_SET_THP_DISABLE
#define PR_SET_THP_DISABLE 41
#endif
static long long ns(clockid_t c) { struct timespec t; clock_gettime(c, &t); return t.tv_sec * 1000000000LL + t.tv_nsec; }
int main(int argc, char **argv) {
  int i = 1, nothp = 0;
  if (argc > 1 && strcmp(argv[1], "--clock-offset") == 0) {
    long long best = 0, span = -1;
    for (int k = 0; k < 64; k++) {
      long long a = ns(CLOCK_MONOTONIC), r = ns(CLOCK_REALTIME), b = ns(CLOCK_MONOTONIC);
      if (span < 0 || b - a < span) { span = b - a; best = r - (a + b) / 2; }
    }
    printf("%lld\\n", best);
    return 0;
  }
  if (i < argc && strcmp(argv[i], "--no-thp") == 0) { nothp = 1; i++; }
  if (i < argc && strcmp(argv[i], "--") == 0) i++;
  if (i >= argc) { fprintf(stderr, "usage: wrapper [--no-thp] -- CMD ARGS...\\n"); return 126; }
  if (nothp && prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0) != 0) { perror("prctl(PR_SET_THP_DISABLE)"); return 126; }
  if (personality(ADDR_NO_RANDOMIZE) == -1) { perror("personality(ADDR_NO_RANDOMIZE)"); return 126; }
  execvp(argv[i], argv + i);
  perror(argv[i]);
  return 127;
}
`;

/** The same in Python, for machines without a C compiler (ctypes calls prctl and personality). */
const PYTHON = [
  'import ctypes,os,sys,time',
  'a=sys.argv[1:]',
  'if a[:1]==["--clock-offset"]:',
  ' x=min(((time.clock_gettime_ns(1),time.clock_gettime_ns(0),time.clock_gettime_ns(1)) for _ in range(64)),key=lambda x:x[2]-x[0])',
  ' print(x[1]-(x[0]+x[2])//2)',
  ' sys.exit(0)',
  'l=ctypes.CDLL(None,use_errno=True)',
  'n=a[:1]==["--no-thp"]',
  'a=a[1:] if n else a',
  'a=a[1:] if a[:1]==["--"] else a',
  'n and l.prctl(41,1,0,0,0)!=0 and sys.exit("prctl(PR_SET_THP_DISABLE) failed")',
  'l.personality(0x0040000)',
  'os.execvp(a[0],a)',
].join('\n');

export interface Wrapper {
  /** argv prefix: the wrapper and its fixed arguments; then [--no-thp] -- CMD... */
  readonly argv: readonly string[];
  readonly kind: 'c' | 'python';
  /** How many execve calls the traced root makes before the program proper runs (strace's exec of the wrapper, the wrapper's of the program). */
  readonly execs: number;
}

/** Compiles the C wrapper into a cache directory on first use (keyed by the source's hash), or falls back to python3. */
export function wrapper(cc: string | undefined, python3: string | undefined): Wrapper {
  if (cc) {
    const hash = createHash('sha256').update(SOURCE).digest('hex').slice(0, 12);
    const dir = join(tmpdir(), `pagelab-record-${hash}`);
    const bin = join(dir, 'wrap');
    if (!existsSync(bin)) {
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'wrap.c'), SOURCE);
      const tmp = `${bin}.${process.pid}`;
      const r = spawnSync(cc, ['-O2', '-o', tmp, join(dir, 'wrap.c')], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`compiling the recording wrapper with ${cc} failed: ${r.stderr.trim()}`);
      renameSync(tmp, bin);
    }
    return { argv: [bin], kind: 'c', execs: 2 };
  }
  if (!python3) throw new Error('the recording wrapper needs cc or python3');
  // The real interpreter, not a shim script (each exec of a shim would be one more execve before the program).
  const r = spawnSync(python3, ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' });
  const exe = r.stdout.trim() || python3;
  return { argv: [exe, '-c', PYTHON], kind: 'python', execs: 2 };
}

/** CLOCK_REALTIME - CLOCK_MONOTONIC in ns, from the tightest of 64 readings. */
export function clockOffsetNs(w: Wrapper): bigint {
  const [cmd, ...rest] = w.argv;
  const r = spawnSync(cmd!, [...rest, '--clock-offset'], { encoding: 'utf8' });
  const text = r.stdout.trim();
  // BigInt: 1.8e18 ns is past 2^53, where a Number would round to 256 ns.
  const v = /^-?\d+$/.test(text) ? BigInt(text) : undefined;
  if (r.status !== 0 || v === undefined) throw new Error(`the recording wrapper could not read the clocks: ${r.stderr.trim()}`);
  return v;
}

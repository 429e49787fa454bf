/**
 * Real programs recorded with `pagelab record` on Linux 6.18 and shipped as
 * gzipped logs under packages/workloads/recorded/ (how each was recorded,
 * and how to re-record it, is in that directory's README). Each keeps the
 * THP settings of the machine it was recorded on; `thp=always|madvise|never`
 * replays it as if the machine had been set otherwise.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import type { LogHeader, WorkloadEvent } from '@pagelab/events';
import { defineScenario } from './define.js';
import type { Scenario } from './scenario.js';

const THP = ['as-recorded', 'always', 'madvise', 'never'] as const;

/** The log as recorded: header and events (parsed once per process; the file never changes). */
const cache = new Map<string, { header: LogHeader; events: WorkloadEvent[] }>();
export function recordedLog(file: string): { header: LogHeader; events: WorkloadEvent[] } {
  let log = cache.get(file);
  if (!log) {
    const text = gunzipSync(readFileSync(fileURLToPath(new URL(`../recorded/${file}`, import.meta.url)))).toString('utf8');
    const lines = text.split('\n').filter((l) => l !== '');
    // The files are written by `pagelab record` and checked by the workload tests; the engine validates them again on replay.
    log = { header: JSON.parse(lines[0]!) as LogHeader, events: lines.slice(1).map((l) => JSON.parse(l) as WorkloadEvent) };
    cache.set(file, log);
  }
  return log;
}

function recorded(s: { name: string; title: string; program: string; expectation: string; designs: string[] }): Scenario {
  return defineScenario({
    name: s.name,
    title: s.title,
    source: `pagelab record on Linux 6.18: packages/workloads/recorded/programs/${s.program}`,
    expectation: s.expectation,
    designs: s.designs,
    params: [
      { name: 'thp', description: `thp.enabled for the replay: ${THP.join(' | ')} (as-recorded: the recording machine's, madvise)`, default: 'as-recorded' },
    ],
    generate(p) {
      const thp = String(p['thp']);
      if (!(THP as readonly string[]).includes(thp))
        throw new Error(`scenario ${s.name}: parameter thp: expected one of ${THP.join(', ')}, got ${JSON.stringify(p['thp'])}`);
      const log = recordedLog(`${s.name}.jsonl.gz`);
      const header: LogHeader =
        thp === 'as-recorded'
          ? log.header
          : { ...log.header, settings: { ...(log.header.settings ?? {}), 'thp.enabled': thp as 'always' | 'madvise' | 'never' } };
      return { header, events: log.events };
    },
  });
}

export const recordedScenarios: Scenario[] = [
  recorded({
    name: 'redis-bgsave',
    title: 'redis-server loaded with 60,000 keys, BGSAVE while a client overwrites keys (fork + CoW storm)',
    program: 'redis-bgsave.sh',
    expectation:
      "with thp=always the parent's writes during the save copy whole THPs before 5.8 and 4 KiB after; the sharedness axis sees the child's shared pages",
    designs: ['linux-4.5', 'linux-5.8', 'linux-6.10', 'linux-6.15'],
  }),
  recorded({
    name: 'numpy-arrays',
    title: 'numpy: 8 MiB arrays (MADV_HUGEPAGE), a matrix product on OpenBLAS threads, sort, FFT',
    program: 'numpy-arrays.py',
    expectation: 'large madvised arrays fault THPs under every design; freed arrays are munmapped whole',
    designs: ['linux-4.5', 'linux-6.10', 'linux-6.15'],
  }),
  recorded({
    name: 'node-heap-churn',
    title: 'Node.js HTTP service on loopback churning its heap (V8 GC: mmap, munmap, madvise)',
    program: 'node-heap-churn.cjs',
    expectation: 'heap pages come and go in 256 KiB V8 pages; with thp=always partial unmaps leave THPs to split',
    designs: ['linux-4.5', 'linux-6.10', 'linux-6.15'],
  }),
  recorded({
    name: 'compile',
    title: 'A compiler run: eight C files through cc (cc1, as, collect2, ld): many short processes',
    program: 'compile.sh',
    expectation: 'fork/vfork + exec + exit dominate; little memory lives long',
    designs: ['linux-4.5', 'linux-6.10', 'linux-6.15'],
  }),
];

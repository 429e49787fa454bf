// Line 1 of a workload log (contracts.md §1): the machine, the initial
// tunables and the workload's identity. The design is not here, so one log
// replays under any design.
import * as t from 'io-ts';
import { HPAGE_PMD_SIZE, Integer, JsonObject, MAX_NUMNODES, MIB_4, NonEmptyString, PageSize, constant, intRange, integer } from './primitives.js';
import { object } from './object.js';
import { Settings } from './settings.js';

export const LOG_FORMAT_VERSION = 1;

export const MachineMemory = integer(
  'a positive multiple of 4 MiB (4194304)',
  [(n) => n > 0, 'a positive byte count'],
  [(n) => n % MIB_4 === 0, 'a multiple of 4 MiB (4194304)'],
);
export const CmaSize = integer(
  'a non-negative multiple of 2 MiB (2097152)',
  [(n) => n >= 0, 'a non-negative byte count'],
  [(n) => n % HPAGE_PMD_SIZE === 0, 'a multiple of 2 MiB (2097152)'],
);

export const Machine = object(
  'a machine object',
  { memory: MachineMemory, nodes: intRange(1, MAX_NUMNODES), cma: CmaSize, swap: PageSize },
  {},
  {
    noun: 'machine',
    // What the model's buddy allocator needs (kernel-core buddy.ts): each node a whole number of order-10
    // (4 MiB) blocks, and the CMA area at the end of node 0 leaving its first pageblock to the kernel.
    refine: (m) => {
      const out: { key: string; expected: string }[] = [];
      const perNode = m.memory / m.nodes;
      if (m.cma >= m.memory) out.push({ key: 'cma', expected: `a CMA size below machine.memory (${m.memory})` });
      else if (m.memory % (m.nodes * MIB_4) !== 0) {
        out.push({
          key: 'memory',
          expected: `a multiple of ${m.nodes} node${m.nodes === 1 ? '' : 's'} × 4 MiB (${m.nodes * MIB_4}): every node gets whole 4 MiB (order-10) blocks`,
        });
      } else if (m.cma > perNode - HPAGE_PMD_SIZE) {
        out.push({
          key: 'cma',
          expected: `at most ${perNode - HPAGE_PMD_SIZE} (node 0's ${perNode} bytes less its first 2 MiB pageblock: the CMA area lies at the end of node 0)`,
        });
      }
      return out;
    },
  },
);
export type Machine = t.TypeOf<typeof Machine>;

export const WorkloadInfo = object(
  'a workload object',
  { name: NonEmptyString, seed: Integer },
  // A hand-written log may leave out the generator's parameters.
  { params: JsonObject },
  { noun: 'workload' },
);
export type WorkloadInfo = t.TypeOf<typeof WorkloadInfo>;

export const LogHeader = object(
  'a log header',
  {
    pagelab: constant(LOG_FORMAT_VERSION, `${LOG_FORMAT_VERSION} (the workload log format version)`),
    machine: Machine,
    workload: WorkloadInfo,
  },
  // Absent tunables are the kernel's defaults (an empty object says the same).
  { settings: Settings },
  { noun: 'the log header' },
);
export type LogHeader = t.TypeOf<typeof LogHeader>;

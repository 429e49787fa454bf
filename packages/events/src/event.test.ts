import { describe, expect, test } from 'vitest';
import { isLeft, isRight } from 'fp-ts/lib/Either.js';
import { EVENT_TYPES, WorkloadEvent, exampleEvents, issuesOf, type Issue } from './index.js';

function issues(value: unknown): Issue[] {
  const r = WorkloadEvent.decode(value);
  if (!isLeft(r)) throw new Error(`expected ${JSON.stringify(value)} to be rejected`);
  return issuesOf(r.left);
}

const brief = (value: unknown) => issues(value).map((i) => `${i.path}: ${i.expected}`);

describe('workload events', () => {
  test('every event type of the contract has an example that decodes to itself', () => {
    expect(Object.keys(exampleEvents)).toEqual([...EVENT_TYPES]);
    for (const e of Object.values(exampleEvents)) {
      const r = WorkloadEvent.decode(JSON.parse(JSON.stringify(e)));
      expect(isRight(r) && r.right).toEqual(e);
    }
  });

  test('event types are listed in the order of the contract table', () => {
    expect(EVENT_TYPES.slice(0, 5)).toEqual(['spawn', 'exit', 'fork', 'mmap', 'munmap']);
    expect(EVENT_TYPES).toHaveLength(27);
  });

  test('a comment is accepted on any event', () => {
    expect(isRight(WorkloadEvent.decode({ type: 'spawn', pid: 3, comment: 'the parent' }))).toBe(true);
  });

  test('optional fields decode when well typed', () => {
    const e = { type: 'mmap', pid: 1, addr: 0, len: 8192, kind: 'shmem', file: 'f', offset: 4096, write: false };
    expect(isRight(WorkloadEvent.decode(e))).toBe(true);
  });

  test('a typo in a field name is an error that suggests the right name', () => {
    const found = issues({ type: 'munmap', pid: 1, addr: 0, len: 4096, lenght: 4096 });
    expect(found).toHaveLength(1);
    expect(found[0]?.path).toBe('$.lenght');
    expect(found[0]?.expected).toContain('no field "lenght" in a "munmap" event (did you mean "len"?');
    expect(found[0]?.got).toBe(4096);
  });

  test('a typo replacing a required field reports both the unknown field and the missing one', () => {
    const [unknown, missing, ...rest] = brief({ type: 'munmap', pid: 1, addr: 0, lenght: 4096 });
    expect(unknown).toMatch(/^\$\.lenght: no field "lenght" /);
    expect(missing).toBe('$.len: a positive multiple of 4096');
    expect(rest).toEqual([]);
  });

  test('an unknown type lists the known types', () => {
    const [only, ...rest] = issues({ type: 'spwan', pid: 1 });
    expect(rest).toEqual([]);
    expect(only?.path).toBe('$.type');
    expect(only?.expected).toMatch(/^one of spawn, exit, fork, mmap, /);
    expect(only?.got).toBe('spwan');
  });

  test('a missing type is reported at $.type', () => {
    expect(issues({ pid: 1 })[0]?.path).toBe('$.type');
  });

  test('only the errors of the member named by type are reported', () => {
    // Valid as an exit event's shape, but it says munmap: only munmap's demands appear.
    expect(brief({ type: 'munmap', pid: 1 })).toEqual(['$.addr: a non-negative multiple of 4096', '$.len: a positive multiple of 4096']);
  });

  test('addresses and lengths must be page aligned and lengths positive', () => {
    expect(brief({ type: 'touch', pid: 1, addr: 4097, len: 100, write: true })).toEqual(['$.addr: a multiple of 4096', '$.len: a multiple of 4096']);
    expect(brief({ type: 'touch', pid: 1, addr: -4096, len: 0, write: true })).toEqual([
      '$.addr: a non-negative integer',
      '$.len: a positive length (at least 4096)',
    ]);
    expect(brief({ type: 'touch', pid: 1, addr: 4096.5, len: '4096', write: 1 })).toEqual([
      '$.addr: a non-negative multiple of 4096',
      '$.len: a positive multiple of 4096',
      '$.write: a boolean (true or false)',
    ]);
  });

  test('pids are positive integers and page counts at least one', () => {
    expect(brief({ type: 'spawn', pid: 0 })).toEqual(['$.pid: a positive integer (pid)']);
    expect(brief({ type: 'reclaim', pages: 0 })).toEqual(['$.pages: an integer >= 1 (pages)']);
    expect(brief({ type: 'compact', order: 11, node: 64 })).toEqual(['$.order: an order from 0 to 10', '$.node: a NUMA node id from 0 to 63']);
  });

  test('enumerations list their values', () => {
    expect(brief({ type: 'madvise', pid: 1, addr: 0, len: 4096, advice: 'huge' })).toEqual([
      '$.advice: one of hugepage, nohugepage, dontneed, collapse, pageout, mergeable',
    ]);
  });

  test('a sysctl value is checked against its key', () => {
    expect(isRight(WorkloadEvent.decode({ type: 'sysctl', key: 'thp.enabled', value: 'madvise' }))).toBe(true);
    expect(brief({ type: 'sysctl', key: 'thp.enabled', value: 1 })).toEqual(['$.value: one of always, madvise, never (for thp.enabled)']);
    expect(brief({ type: 'sysctl', key: 'khugepaged.max_ptes_none', value: 512 })).toEqual([
      '$.value: an integer from 0 to 511 (for khugepaged.max_ptes_none)',
    ]);
    expect(brief({ type: 'sysctl', key: 'thp.enable', value: 'always' })[0]).toMatch(/^\$\.key: one of thp\.enabled, /);
  });

  test('an expect event must carry at least one check', () => {
    expect(brief({ type: 'expect', pid: 1, label: 'nothing' })).toEqual([expect.stringMatching(/^\$: at least one check \(anonHugeBytes, /)]);
    expect(isRight(WorkloadEvent.decode({ type: 'expect', contentIntact: true }))).toBe(true);
  });

  test('an expect check about the page at an address needs pid and addr', () => {
    expect(brief({ type: 'expect', folioOrder: 9 })).toEqual(['$.folioOrder: folioOrder only with pid and addr']);
    expect(isRight(WorkloadEvent.decode({ type: 'expect', pid: 1, addr: 0, folioOrder: 9 }))).toBe(true);
  });

  test('fork needs a child other than the parent', () => {
    expect(brief({ type: 'fork', parent: 2, child: 2 })).toEqual(["$.child: a pid other than the parent's (2)"]);
  });

  test('a file is only allowed on a shmem mapping', () => {
    expect(brief({ type: 'mmap', pid: 1, addr: 0, len: 4096, kind: 'anon', file: 'f' })).toEqual([
      '$.file: no file on an anon mapping (file needs kind "shmem")',
    ]);
  });

  test('a non-object is rejected as a whole', () => {
    for (const v of [42, null, [], 'spawn']) expect(brief(v)).toEqual(['$: a workload event']);
  });
});

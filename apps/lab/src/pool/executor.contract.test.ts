/**
 * One contract, every executor: the local pool (in this thread under vitest;
 * the worker threads are covered by pool.test.ts through the built CLI) and
 * the Redis queue with an in-process worker on a real redis-server. A sweep
 * does not know where its cells ran, so each executor must hand back the same
 * run files, in task order, through the same hooks.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CliError } from '../context.js';
import { testContext } from '../testing.js';
import { runCell, type CellTask } from './cell.js';
import { LocalExecutor, Progress, type CellExecutor } from './pool.js';
import { parseQueueUrl, QueueExecutor, serveQueue } from './queue.js';
import { redisMissing, startRedis, type RedisFixture } from './redis-fixture.js';

const tmp = mkdtempSync(join(tmpdir(), 'pagelab-executor-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const ctx = testContext(tmp).ctx;

let n = 0;
function tasksOf(extras: readonly number[], design = 'linux-6.10'): CellTask[] {
  return extras.map((x) => {
    const outDir = join(tmp, `cell-${n++}`);
    mkdirSync(outDir);
    return { log: 'test-thp-life', params: [`extraTouches=${x}`], set: [], design, sampleEvery: 1, outDir, label: `extra-${x}` };
  });
}

/** What an in-thread run writes for the same task (provenance.json holds times and is left out). */
async function reference(t: CellTask): Promise<Record<string, string>> {
  const outDir = join(tmp, `ref-${n++}`);
  mkdirSync(outDir);
  await runCell(ctx, { ...t, outDir });
  return filesOf(outDir);
}
function filesOf(dir: string): Record<string, string> {
  return Object.fromEntries(
    readdirSync(dir)
      .filter((f) => f !== 'provenance.json')
      .sort()
      .map((f) => [f, readFileSync(join(dir, f), 'utf8')]),
  );
}

interface Subject {
  readonly executor: CellExecutor;
  stop(): Promise<void>;
}

function executorContract(name: string, skip: () => string | undefined, start: () => Promise<Subject>) {
  describe(`${name} (the executor contract)`, () => {
    let s: Subject | undefined;
    beforeAll(async () => {
      if (!skip()) s = await start();
    }, 120_000);
    afterAll(async () => s?.stop(), 60_000);

    it.skipIf(skip() !== undefined)(
      'runs every cell once and fills its run directory as an in-thread run does, results in task order',
      async () => {
        const tasks = tasksOf([0, 3, 1]);
        const seen: string[] = [];
        const progress = new Progress({ ...ctx, stderr: () => {} }, tasks.length);
        const results = await s!.executor.run(tasks, { progress, onDone: async (t) => void seen.push(t.label) });
        expect(seen.sort()).toEqual(['extra-0', 'extra-1', 'extra-3']);
        expect(results.map((r) => r.summary.workload.params)).toEqual([{ extraTouches: 0 }, { extraTouches: 3 }, { extraTouches: 1 }]);
        for (const [i, t] of tasks.entries()) {
          expect(filesOf(t.outDir)).toEqual(await reference(t));
          expect(readdirSync(t.outDir)).toContain('provenance.json');
          expect(results[i]!.events).toBeGreaterThan(0);
          expect(results[i]!.sha256).toMatch(/^[0-9a-f]{64}$/);
        }
      },
      120_000,
    );

    it.skipIf(skip() !== undefined)(
      'fails the run with a sentence naming the cell when a cell cannot run',
      async () => {
        const tasks = [...tasksOf([0]), ...tasksOf([2], 'no-such-design')];
        const e = await s!.executor.run(tasks).catch((x: unknown) => x);
        expect(e).toBeInstanceOf(CliError);
        expect((e as CliError).message).toMatch(/no-such-design/);
        if (name.startsWith('queue')) expect((e as CliError).message).toContain('cell extra-2 failed on a worker');
      },
      120_000,
    );

    it.skipIf(skip() !== undefined)(
      'stops the run when the caller refuses a result (onDone rejects)',
      async () => {
        const e = await s!.executor
          .run(tasksOf([0]), {
            onDone: async () => {
              throw new CliError('refused');
            },
          })
          .catch((x: unknown) => x);
        expect((e as Error).message).toBe('refused');
      },
      120_000,
    );
  });
}

executorContract(
  'local pool',
  () => undefined,
  async () => {
    const executor = new LocalExecutor(ctx, 1);
    return { executor, stop: () => executor.close() };
  },
);

// one server for the whole file: the key check below runs after the queue's contract cases
let redis: RedisFixture | undefined;
const missing = redisMissing();
if (missing) console.log(`queue contract skipped: ${missing}`);
beforeAll(async () => {
  if (!missing) redis = await startRedis();
}, 120_000); // a hang budget: redis-server answers PING in well under a second on an idle machine
afterAll(async () => redis?.stop());

executorContract(
  'queue on redis-server',
  () => missing,
  async () => {
    const target = parseQueueUrl(redis!.url, 'contract');
    const worker = await serveQueue(ctx, { target, jobs: 1, lockDuration: 30_000, log: () => {} });
    await worker.ready;
    const executor = new QueueExecutor(target, { pollMs: 1000 });
    return {
      executor,
      stop: () => worker.close(),
    };
  },
);

describe.skipIf(missing !== undefined)('the queue after a sweep', () => {
  it('leaves no job, list or events key of the queue behind', async () => {
    // runs after the contract cases above (same file, in order): their runs, including the failed one, are over
    const left = (await redis!.keys()).filter((k) => k.startsWith('bull:contract:'));
    // a connected worker keeps its stalled-job check marker and the queue's meta hash; nothing of the runs is left
    expect(left.filter((k) => !/^bull:contract:(stalled-check|meta)$/.test(k))).toEqual([]);
  });

  it('says in a sentence that Redis cannot be reached, and exits with a CliError', async () => {
    const e = await new QueueExecutor(parseQueueUrl('redis://127.0.0.1:1')).run(tasksOf([0])).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(CliError);
    expect((e as CliError).message).toMatch(/^--queue redis:\/\/127\.0\.0\.1:1: cannot reach Redis \(ECONNREFUSED\)/);
  });
});

describe('--queue URLs', () => {
  it('refuses what is not redis://HOST:PORT, saying what was expected', () => {
    for (const [u, why] of [
      ['localhost:6379', 'the scheme is "localhost:"'],
      ['http://h:1', 'the scheme is "http:"'],
      ['redis://h', 'no port'],
      ['not a url', 'not a URL'],
      ['redis://h:1/x', 'not a database number'],
    ] as const)
      expect(() => parseQueueUrl(u)).toThrow(why);
    expect(parseQueueUrl('redis://:secret@h:1/2').shown).toBe('redis://:***@h:1/2');
  });
});

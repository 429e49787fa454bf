/**
 * Faults through a private tracefs instance, for machines without perf:
 * instances/pagelab-record-PID with exceptions:page_fault_user and
 * page_fault_kernel enabled, the monotonic clock (trace_clock mono, the
 * clock perf -k CLOCK_MONOTONIC uses), and set_event_pid = this process
 * with options/event-fork, so every process the recorder starts is traced
 * from its first instruction (this process's own faults are dropped with
 * the other tasks'). The instance is removed afterwards, also on failure.
 */
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const TRACEFS = '/sys/kernel/tracing';

export interface TracefsFaults {
  readonly dir: string;
  /** The trace text, then the instance is removed. Overruns (lost events) summed over CPUs. */
  finish(): { text: string; overrun: number };
  /** Removes the instance without reading it. */
  remove(): void;
}

export function tracefsAvailable(): boolean {
  return existsSync(join(TRACEFS, 'instances')) && existsSync(join(TRACEFS, 'events/exceptions/page_fault_user'));
}

/** Creates and arms the instance; throws (after removing it) if any step fails. */
export function startTracefsFaults(bufferKb = 65536): TracefsFaults {
  const dir = join(TRACEFS, 'instances', `pagelab-record-${process.pid}`);
  mkdirSync(dir);
  const w = (f: string, v: string) => writeFileSync(join(dir, f), v);
  const remove = () => {
    try {
      w('tracing_on', '0');
      for (const e of ['page_fault_user', 'page_fault_kernel']) w(`events/exceptions/${e}/enable`, '0');
    } catch {
      // already gone
    }
    // An instance directory is removed with rmdir (tracefs frees its buffers then).
    try {
      rmdirSync(dir);
    } catch {
      // not there
    }
  };
  try {
    w('tracing_on', '0');
    w('buffer_size_kb', String(bufferKb));
    w('trace_clock', 'mono');
    w('options/event-fork', '1');
    w('set_event_pid', String(process.pid));
    for (const e of ['page_fault_user', 'page_fault_kernel']) w(`events/exceptions/${e}/enable`, '1');
    w('tracing_on', '1');
  } catch (e) {
    remove();
    throw e;
  }
  process.once('exit', remove);
  return {
    dir,
    finish() {
      w('tracing_on', '0');
      const text = readFileSync(join(dir, 'trace'), 'utf8');
      let overrun = 0;
      try {
        for (let cpu = 0; existsSync(join(dir, `per_cpu/cpu${cpu}`)); cpu++) {
          const m = /overrun: (\d+)/.exec(readFileSync(join(dir, `per_cpu/cpu${cpu}/stats`), 'utf8'));
          overrun += m ? Number(m[1]) : 0;
        }
      } finally {
        remove();
        process.removeListener('exit', remove);
      }
      return { text, overrun };
    },
    remove() {
      remove();
      process.removeListener('exit', remove);
    },
  };
}

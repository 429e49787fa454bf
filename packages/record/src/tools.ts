/**
 * The programs recording needs, and what to tell a person who lacks one.
 * Faults come from perf (the exceptions:page_fault_user/kernel tracepoints),
 * syscalls from strace; the THP-disabling wrapper is compiled with cc, or
 * run by python3 where there is no compiler.
 */
import { spawnSync } from 'node:child_process';

export interface Tool {
  readonly name: string;
  readonly path: string | undefined;
  readonly version: string | undefined;
  /** How to get it on Debian/Ubuntu. */
  readonly install: string;
}

/** The absolute path of a program on PATH, or undefined. */
export function which(name: string): string | undefined {
  const r = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  const p = r.stdout.trim();
  return r.status === 0 && p.startsWith('/') ? p : undefined;
}

function version(path: string | undefined, args: string[]): string | undefined {
  if (!path) return undefined;
  const r = spawnSync(path, args, { encoding: 'utf8', timeout: 10_000 });
  const line = `${r.stdout ?? ''}${r.stderr ?? ''}`.split('\n').find((l) => l.trim() !== '');
  return line?.trim();
}

export function findTools(): { strace: Tool; perf: Tool; cc: Tool; python3: Tool } {
  const strace = which('strace'),
    perf = which('perf'),
    cc = which('cc') ?? which('gcc'),
    py = which('python3');
  return {
    strace: { name: 'strace', path: strace, version: version(strace, ['-V']), install: 'apt-get install -y strace' },
    perf: {
      name: 'perf',
      path: perf,
      version: version(perf, ['version']),
      install: 'apt-get install -y linux-perf (Debian) or linux-tools-$(uname -r) (Ubuntu)',
    },
    cc: { name: 'cc', path: cc, version: version(cc, ['--version']), install: 'apt-get install -y gcc' },
    python3: { name: 'python3', path: py, version: version(py, ['--version']), install: 'apt-get install -y python3' },
  };
}

/** Problems that stop a recording, each a sentence with the fix; empty when recording can start. */
export function recordingProblems(tools = findTools(), faults: 'perf' | 'tracefs' = 'perf'): string[] {
  const out: string[] = [];
  if (process.platform !== 'linux') out.push('recording needs Linux (strace and perf trace the Linux kernel)');
  if (!tools.strace.path) out.push(`strace is not installed: ${tools.strace.install}`);
  if (faults === 'perf' && !tools.perf.path) out.push(`perf is not installed: ${tools.perf.install}`);
  if (!tools.cc.path && !tools.python3.path) out.push(`neither cc nor python3 is installed (one runs the THP-disabling wrapper): ${tools.cc.install}`);
  if (out.length === 0 && faults === 'perf' && tools.perf.path) {
    // perf needs the tracepoint (tracefs) and the right to open it (root, or perf_event_paranoid <= -1).
    const r = spawnSync(tools.perf.path, ['record', '-q', '-e', 'exceptions:page_fault_user', '-o', '/dev/null', '--', 'true'], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    if (r.status !== 0)
      out.push(
        `perf cannot trace exceptions:page_fault_user here (${(r.stderr || r.stdout || '').trim().split('\n')[0] ?? 'no output'}); run as root, or set kernel.perf_event_paranoid=-1 and mount tracefs`,
      );
  }
  if (out.length === 0 && tools.strace.path) {
    const r = spawnSync(tools.strace.path, ['-f', '-o', '/dev/null', '--', 'true'], { encoding: 'utf8', timeout: 30_000 });
    if (r.status !== 0)
      out.push(`strace cannot trace here (${(r.stderr || '').trim().split('\n')[0] ?? ''}); a container may forbid ptrace (seccomp, kernel.yama.ptrace_scope)`);
  }
  return out;
}

/**
 * `pagelab kernel run LOG|SCENARIO` executes a log on the running kernel into
 * a run directory (kernel.jsonl); `pagelab kernel diff LOG|SCENARIO --design
 * D` sets the kernel's value of every expect check beside the model's under D
 * and the log's expected value.
 */
import { existsSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stableStringify } from '@pagelab/events';
import { PAGELAB_VERSION, replay, summarize, type Design, type LogEvent } from '@pagelab/engine';
import {
  KernelRunInterrupted,
  KernelRunRefused,
  diffChecks,
  parseKnownDifferences,
  runOnKernel,
  unexplained,
  compareScans,
  environmentalFields,
  compareCollapses,
  unexplainedScans,
  type CollapseRow,
  type DiffRow,
  type KernelCheck,
  type KernelRun,
  type KnownDifference,
  type LineEvent,
  type ScanFacts,
  type ScanRow,
} from '@pagelab/kernel-oracle';
import { CliError, EXIT_CHECK_FAILED, EXIT_OK, guarded, type LabContext } from '../context.js';
import { loadDesigns } from '../designs.js';
import { slug, table } from '../format.js';
import { loadLog, type LoadedLog } from '../log-source.js';
import { buildDirAtomically } from '../run-dir.js';
import { gitCommit } from '../run-files.js';

const EXIT_REFUSED = 2;

/** The log's events in memory (a kernel run needs them all up front: it refuses before touching anything). */
async function collectEvents(log: LoadedLog): Promise<LineEvent[]> {
  const src = log.input.events;
  if (Symbol.iterator in src) return Array.from(src as Iterable<LogEvent>, (e) => ({ line: e.line, event: e.event }));
  const out: LineEvent[] = [];
  await new Promise<void>((res, rej) => {
    (src as { subscribe(o: { next(e: LogEvent): void; error(e: unknown): void; complete(): void }): unknown }).subscribe({
      next: (e) => out.push({ line: e.line, event: e.event }),
      error: rej,
      complete: res,
    });
  });
  return out;
}

/** Runs the log on the kernel; a refusal or an interruption becomes a CliError with the right exit code. */
async function kernelRun(ctx: LabContext, log: LoadedLog, events: readonly LineEvent[], trace: boolean): Promise<KernelRun> {
  let n = 0;
  try {
    return await runOnKernel(log.header, events, {
      trace,
      onEvent: () => {
        if (ctx.isTTY && ++n % 50 === 0) ctx.stderr(`\rkernel: ${n}/${events.length} events`);
      },
    });
  } catch (e) {
    if (e instanceof KernelRunRefused) throw new CliError(`${e.message}\nNothing was changed on this machine.`, EXIT_REFUSED);
    if (e instanceof KernelRunInterrupted) throw new CliError(e.message, e.signal === 'SIGTERM' ? 143 : 130);
    throw e;
  } finally {
    if (ctx.isTTY && n >= 50) ctx.stderr('\n');
  }
}

/** kernel.jsonl: a header line, then one line per event (an expect's line carries its checks' kernel values), then the trace. */
export function kernelJsonl(log: LoadedLog, run: KernelRun): string {
  const checks = new Map<number, KernelCheck[]>();
  for (const c of run.checks) checks.set(c.line, [...(checks.get(c.line) ?? []), c]);
  const lines = [
    stableStringify(
      {
        pagelab_kernel: 1,
        pagelab: PAGELAB_VERSION,
        kernel: run.kernel,
        workload: log.header.workload,
        logSha256: log.sha256,
        approximations: run.approximations,
        accessAgents: run.accessAgents,
        knobs: run.knobs,
        traced: run.traced,
      },
      { leadingKeys: ['pagelab_kernel', 'pagelab', 'kernel'] },
    ),
    ...run.events.map((e) => {
      const cs = checks.get(e.line)?.map(({ line: _l, ...c }) => c);
      return stableStringify({ ...e, ...(cs ? { checks: cs } : {}) }, { leadingKeys: ['line', 'type', 'rc', 'errno', 'ns'] });
    }),
    ...run.scans.map((x) => stableStringify({ type: 'khugepaged_scan', ...x }, { leadingKeys: ['type', 'line', 'pid', 'result'] })),
    ...run.collapses.map((x) => stableStringify({ type: 'collapse', ...x }, { leadingKeys: ['type', 'line', 'pid', 'result'] })),
  ];
  return `${lines.join('\n')}\n`;
}

type Scans = KernelRun['scans'];

/** The kernel checks and khugepaged scans of a kernel.jsonl written by `kernel run`. */
export function readKernelRun(text: string): { checks: KernelCheck[]; scans: Scans; collapses: KernelRun['collapses'] } {
  const checks: KernelCheck[] = [];
  const scans: Scans[number][] = [];
  const collapses: KernelRun['collapses'][number][] = [];
  for (const [i, raw] of text.split('\n').entries()) {
    if (i === 0 || raw === '') continue;
    const l = JSON.parse(raw) as { type: string; line?: number; checks?: Omit<KernelCheck, 'line'>[] };
    if (l.type === 'khugepaged_scan') scans.push(l as unknown as Scans[number]);
    else if (l.type === 'collapse') collapses.push(l as unknown as KernelRun['collapses'][number]);
    else for (const c of l.checks ?? []) checks.push({ line: l.line!, ...c });
  }
  return { checks, scans, collapses };
}

function summaryText(log: LoadedLog, run: KernelRun): string {
  const failed = run.events.filter((e) => e.rc < 0);
  const answered = run.checks.filter((c) => c.kernel !== null);
  const asExpected = answered.filter((c) => c.kernel === c.expected).length;
  const out = [
    `${log.source} on Linux ${run.kernel}: ${run.events.length} events (${failed.length} returned an error), ` +
      `${run.checks.length} checks, ${answered.length} answered by the kernel, ${asExpected} of those as the log expects`,
  ];
  for (const e of failed.slice(0, 5)) out.push(`  line ${e.line} (${e.type}): rc ${e.rc}, errno ${e.errno}`);
  if (failed.length > 5) out.push(`  ... and ${failed.length - 5} more`);
  for (const a of run.approximations) out.push(`approximated: ${a}`);
  for (const a of run.accessAgents) out.push(`accessed bits not the log's alone: ${a} (khugepaged's referenced counts are not compared strictly)`);
  out.push(`restored ${Object.keys(run.knobs).length} knobs`);
  return `${out.join('\n')}\n`;
}

export interface KernelRunArgs {
  readonly log: string;
  readonly out?: string;
  readonly param?: readonly string[];
  readonly force?: boolean;
  readonly trace?: boolean;
}

export function kernelRunCommand(ctx: LabContext, args: KernelRunArgs): Promise<number> {
  return guarded(ctx, async () => {
    const log = await loadLog(ctx, args.log, args.param ?? []);
    const events = await collectEvents(log);
    const target = resolve(ctx.cwd, args.out ?? `runs/${slug(log.header.workload.name)}-kernel-${log.sha256.slice(0, 8)}`);
    const run = await kernelRun(ctx, log, events, args.trace ?? true);
    await buildDirAtomically(
      target,
      async (dir) => {
        await writeFile(join(dir, 'kernel.jsonl'), kernelJsonl(log, run));
        const provenance = {
          pagelab: PAGELAB_VERSION,
          gitCommit: gitCommit(),
          node: process.version,
          command: ctx.commandLine,
          createdAt: new Date().toISOString(),
          kernel: run.kernel,
          log: { source: log.source, kind: log.kind, sha256: log.sha256, events: log.events, header: log.header },
        };
        await writeFile(join(dir, 'provenance.json'), `${JSON.stringify(provenance, null, 2)}\n`);
      },
      { force: args.force ?? false },
    );
    ctx.stdout(`${summaryText(log, run)}wrote ${relative(ctx.cwd, target) || '.'}/ (kernel.jsonl, provenance.json)\n`);
    return EXIT_OK;
  });
}

/** docs/kernel-differences.md of this checkout (found upward from here), or the file given. */
export function loadKnownDifferences(file?: string): { path: string | null; known: KnownDifference[] } {
  let path = file ?? null;
  if (!path) {
    for (let dir = dirname(fileURLToPath(import.meta.url)); dir !== dirname(dir); dir = dirname(dir)) {
      const p = join(dir, 'docs', 'kernel-differences.md');
      if (existsSync(p)) {
        path = p;
        break;
      }
    }
  }
  if (!path) return { path: null, known: [] };
  try {
    return { path, known: parseKnownDifferences(readFileSync(path, 'utf8')) };
  } catch (e) {
    throw new CliError(`${path}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** The model's value of every check under one design (summary.json's expectations.checks), and its khugepaged scans by log line. */
export async function modelRun(log: LoadedLog, design: Design, events: readonly LineEvent[]) {
  let state: Parameters<typeof summarize>[0] | undefined;
  const scans: { line: number; pid: number; result: string; none: number; referenced: number; unmapped: number }[] = [];
  await new Promise<void>((res, rej) => {
    replay(log.input, design, { source: log.source, onEnd: (s) => (state = s) }).subscribe({
      next: (o) => {
        if (o.type !== 'khugepaged_scan') return;
        const x = o as unknown as { seq: number; pid: number; result: string; none: number; referenced: number; swap: number; file?: boolean };
        // Shmem ranges trace mm_khugepaged_scan_file, which the comparison does not read (yet).
        if (x.file) return;
        scans.push({ line: events[x.seq - 1]?.line ?? x.seq + 1, pid: x.pid, result: x.result, none: x.none, referenced: x.referenced, unmapped: x.swap });
      },
      error: rej,
      complete: res,
    });
  });
  return { checks: summarize(state!, { design, header: log.header, logSha256: log.sha256 }).expectations.checks, scans };
}

export async function modelChecks(log: LoadedLog, design: Design) {
  return (await modelRun(log, design, [])).checks;
}

const scanText = (f: ScanFacts | null) => (f ? `${f.result} none=${f.none} referenced=${f.referenced} unmapped=${f.unmapped}` : 'no scan');

const show = (v: unknown) => (v === null || v === undefined ? '—' : typeof v === 'string' ? v : JSON.stringify(v));

function rowsTable(rows: readonly DiffRow[]): string[][] {
  return rows.map((r) => [
    String(r.line),
    r.check,
    show(r.expected),
    show(r.kernel),
    show(r.model),
    r.agree === null ? 'kernel n/a' : r.agree ? 'agree' : r.known ? 'known' : 'DISAGREE',
  ]);
}

export function markdownTable(rows: readonly DiffRow[]): string {
  const head = '| line | check | expected | kernel | model | verdict |\n|---:|---|---:|---:|---:|---|';
  return [head, ...rowsTable(rows).map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

const verdict = (r: { agree: boolean | null; known?: string }) => (r.agree === null ? 'kernel only' : r.agree ? 'agree' : r.known ? 'known' : 'DISAGREE');

/** Scan rows then collapse rows: line, process, what, kernel, model, verdict. */
function scanRowsTable(scans: readonly ScanRow[], collapses: readonly CollapseRow[]): string[][] {
  return [
    ...scans.map((r) => [String(r.line), String(r.pid), 'khugepaged_scan', scanText(r.kernel), scanText(r.model), verdict(r)]),
    ...collapses.map((r) => [String(r.line), String(r.pid), 'mm_collapse_huge_page', String(r.kernel), String(r.model), verdict(r)]),
  ];
}

const SCAN_HEAD = ['line', 'pid', 'tracepoint', 'kernel', 'model', 'verdict'];

export function markdownScanTable(scans: readonly ScanRow[], collapses: readonly CollapseRow[]): string {
  const head = `| ${SCAN_HEAD.join(' | ')} |\n|---:|---:|---|---|---|---|`;
  return [head, ...scanRowsTable(scans, collapses).map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

export interface KernelDiffArgs {
  readonly log: string;
  readonly design: string;
  readonly kernel?: string;
  readonly json?: boolean;
  readonly markdown?: boolean;
  readonly known?: string;
  readonly param?: readonly string[];
  readonly all?: boolean;
  /** Record the kernel's khugepaged tracepoints and compare them scan by scan (default true). */
  readonly trace?: boolean;
}

export function kernelDiffCommand(ctx: LabContext, args: KernelDiffArgs): Promise<number> {
  return guarded(ctx, async () => {
    const [design] = await loadDesigns(ctx, [args.design]);
    const log = await loadLog(ctx, args.log, args.param ?? []);
    const { path: knownPath, known } = loadKnownDifferences(args.known);
    let kernel: readonly KernelCheck[];
    let kScans: Scans = [];
    let kCollapses: KernelRun['collapses'] = [];
    let traced = false;
    let approx: readonly string[] = [];
    let agents: readonly string[] = [];
    const events = await collectEvents(log);
    if (args.kernel) {
      const file = resolve(ctx.cwd, args.kernel, 'kernel.jsonl');
      if (!existsSync(file)) throw new CliError(`${args.kernel} has no kernel.jsonl; write one with \`pagelab kernel run ${args.log} --out ${args.kernel}\``);
      const text = readFileSync(file, 'utf8');
      const head = JSON.parse(text.slice(0, text.indexOf('\n'))) as { logSha256?: string; approximations?: string[]; accessAgents?: string[] };
      if (head.logSha256 !== log.sha256)
        throw new CliError(
          `${args.kernel}/kernel.jsonl was run from another log (sha256 ${head.logSha256?.slice(0, 12)}, this one ${log.sha256.slice(0, 12)})`,
        );
      ({ checks: kernel, scans: kScans, collapses: kCollapses } = readKernelRun(text));
      traced = text.includes('"type":"khugepaged_scan"') || (JSON.parse(text.slice(0, text.indexOf('\n'))) as { traced?: boolean }).traced === true;
      approx = head.approximations ?? [];
      agents = head.accessAgents ?? [];
    } else {
      const run = await kernelRun(ctx, log, events, args.trace ?? true);
      ({ checks: kernel, scans: kScans, collapses: kCollapses, traced } = run);
      approx = run.approximations;
      agents = run.accessAgents;
    }
    const model = await modelRun(log, design!, events);
    const rows = diffChecks(kernel, model.checks, log.header.workload.name, design!.name, known);
    const verdictCtx = { workload: log.header.workload.name, design: design!.name, known, environmental: environmentalFields(agents) };
    const scanRows = traced ? compareScans(kScans, model.scans, verdictCtx) : [];
    const collapseRows = traced ? compareCollapses(kCollapses, model.scans, verdictCtx) : [];
    const bad = unexplained(rows);
    const badScans = unexplainedScans(scanRows);
    const badCollapses = unexplainedScans(collapseRows);
    if (args.json) {
      ctx.stdout(
        `${JSON.stringify(
          {
            workload: log.header.workload.name,
            design: design!.name,
            logSha256: log.sha256,
            knownDifferences: knownPath,
            approximations: approx,
            accessAgents: agents,
            scans: traced ? scanRows : null,
            collapses: traced ? collapseRows : null,
            checks: rows.map((r) => ({
              line: r.line,
              check: r.check,
              expected: r.expected,
              kernel: r.kernel,
              model: r.model,
              agree: r.agree,
              ...(r.known ? { known: r.known } : {}),
            })),
          },
          null,
          2,
        )}\n`,
      );
    } else {
      const shown = args.all || rows.length <= 40 ? rows : rows.filter((r) => r.agree !== true);
      ctx.stdout(args.markdown ? `${markdownTable(shown)}\n` : `${table(['line', 'check', 'expected', 'kernel', 'model', 'verdict'], rowsTable(shown))}\n`);
      if (shown.length < rows.length) ctx.stdout(`(${rows.length - shown.length} agreeing rows not shown; --all shows them)\n`);
      const answered = rows.filter((r) => r.agree !== null);
      ctx.stdout(
        `${log.header.workload.name} under ${design!.name}: ${answered.filter((r) => r.agree).length} of ${answered.length} answerable checks agree ` +
          `(${rows.length - answered.length} the kernel cannot answer), ${rows.filter((r) => r.known).length} known differences, ${bad.length} unexplained\n`,
      );
      if (traced && (scanRows.length || collapseRows.length)) {
        const shownScans = args.all || scanRows.length + collapseRows.length <= 40 ? scanRows : scanRows.filter((r) => r.agree === false);
        const shownCollapses = args.all || scanRows.length + collapseRows.length <= 40 ? collapseRows : collapseRows.filter((r) => !r.agree);
        ctx.stdout(
          args.markdown ? `\n${markdownScanTable(shownScans, shownCollapses)}\n` : `\n${table(SCAN_HEAD, scanRowsTable(shownScans, shownCollapses))}\n`,
        );
        const hidden = scanRows.length + collapseRows.length - shownScans.length - shownCollapses.length;
        if (hidden > 0) ctx.stdout(`(${hidden} agreeing or kernel-only scan rows not shown; --all shows them)\n`);
        ctx.stdout(
          `khugepaged scans (mm_khugepaged_scan_pmd vs khugepaged_scan): ${scanRows.filter((r) => r.agree).length} of ` +
            `${scanRows.filter((r) => r.agree !== null).length} agree (${scanRows.filter((r) => r.agree === null).length} kernel only), ` +
            `${scanRows.filter((r) => r.known).length} known, ${badScans.length} unexplained; ` +
            `collapses (mm_collapse_huge_page vs SCAN_SUCCEED): ${collapseRows.filter((r) => r.agree).length} of ${collapseRows.length} lines agree, ` +
            `${badCollapses.length} unexplained\n`,
        );
      }
      for (const a of approx) ctx.stdout(`approximated: ${a}\n`);
      for (const a of agents) ctx.stdout(`accessed bits not the log's alone: ${a}; a scan differing only in referenced counts reads as known\n`);
    }
    const failures = [
      ...bad.map((r) => `line ${r.line} ${r.check} (kernel ${show(r.kernel)}, model ${show(r.model)})`),
      ...badScans.map((r) => `line ${r.line} pid ${r.pid} khugepaged_scan ${r.differs.join('/')} (kernel ${scanText(r.kernel)}, model ${scanText(r.model)})`),
      ...badCollapses.map((r) => `line ${r.line} pid ${r.pid} mm_collapse_huge_page (kernel ${r.kernel}, model ${r.model})`),
    ];
    if (failures.length) {
      ctx.stderr(
        `pagelab: ${failures.length} model/kernel disagreement${failures.length === 1 ? '' : 's'} not named in ${knownPath ?? 'docs/kernel-differences.md'}: ` +
          `${failures.slice(0, 5).join('; ')}${failures.length > 5 ? '; ...' : ''}\n`,
      );
      return EXIT_CHECK_FAILED;
    }
    return EXIT_OK;
  });
}

export interface KernelTableArgs {
  readonly designs: readonly string[];
  readonly out?: string;
  readonly skip?: readonly string[];
}

const VALIDATION_INTRO = `# Validation against the live kernel

Generated by \`pagelab kernel table --out docs/validation.md\` (root, on a
machine with THP): every named workload whose events the kernel can perform
is run once on the running kernel (\`pagelab kernel run\`), then replayed by the
model under each era preset; a cell is "agreeing / answerable" expect checks,
where answerable means the kernel has a value for it (model metrics such as
wasteBytes have none). Known differences (docs/kernel-differences.md) are
counted as disagreements here and listed in the last column for the newest
preset. Older presets disagree where their kernel behaved differently from
the one measured: that is the history the presets model, not an error.
`;

const VALIDATION_LIMITS = `
## What cannot be checked on a live kernel, and why

- **CMA and contiguous allocation** (\`alloc_contig\`, \`free_contig\`): the
  kernel is built without \`CONFIG_CMA\`, and \`alloc_contig_range\` has no user
  interface. Workloads with them are refused and listed above as not run.
- **Driver pages** (\`driver_alloc\`, \`driver_free\`): unmovable driver
  allocations need a kernel module.
- **Memory failure** (\`memory_failure\`): MADV_HWPOISON needs
  \`CONFIG_MEMORY_FAILURE\`.
- **Model metrics** (\`wasteBytes\`, \`splitFailed\`, \`collapsed\`,
  \`lockedOpsMax\`/\`lockedOpsMin\`): the kernel keeps no per-process
  counterpart (vmstat counters are global and moved by every process).
- **Transient and read-only pins**: user space can only make FOLL_LONGTERM |
  FOLL_WRITE pins (io_uring registered buffers); every \`pin\` runs as one.
  \`get\` runs as vmsplice, which takes read references.
- **Approximations** \`pagelab kernel run\` prints: \`reclaim\` runs the
  shrinkers (drop_caches=2) and then MADV_PAGEOUTs the log's anonymous memory
  until the pages asked for are free; a \`khugepaged\` pass is one full scan
  (full_scans advanced), whatever \`pages_to_scan\` says, and ignores \`pid\`;
  \`compact\` compacts every zone; \`thp.enabled=always\` is run as \`madvise\`
  plus MADV_HUGEPAGE on the log's anonymous mappings, so that khugepaged does
  not scan every other process on the machine.
- **Swapped-out anonymous content** is not read back by \`contentIntact\`:
  reading it would swap it in and change later checks.
- Workloads left out of the table for their running time are named below it.

## Scan by scan

\`pagelab kernel run\` records the run in a private tracefs instance, and
\`pagelab kernel diff\` sets each \`mm_khugepaged_scan_pmd\` of the log's
processes (status, none_or_zero, referenced, unmapped) beside the model's
\`khugepaged_scan\` observation of the same event and process, in order, and
counts each event's \`mm_collapse_huge_page\` successes beside the model's
SCAN_SUCCEED scans. A disagreement fails the diff, and the live-kernel test,
unless docs/kernel-differences.md names it (check \`khugepaged_scan\`,
\`khugepaged_scan.FIELD\` or \`mm_collapse_huge_page\`). The scans column
above is "agreeing / compared" rows for the newest preset. Not compared:
- ranges without a page table (SCAN_PMD_NONE, SCAN_PMD_NULL);
- a refusal only the kernel made: a kernel khugepaged pass is one full scan
  of every registered process (run until full_scans advances, so one event
  may scan a range twice), the model's is \`pages_to_scan\` pages of the
  event's process; such rows are shown as "kernel only" and never fail
  (a collapse only the kernel made does fail);
- shmem ranges: they trace \`mm_khugepaged_scan_file\` and
  \`mm_khugepaged_collapse_file\`, which the comparison does not read yet.
`;

/** Agreement per workload and preset, as docs/validation.md. */
export function kernelTableCommand(ctx: LabContext, args: KernelTableArgs): Promise<number> {
  return guarded(ctx, async () => {
    const designs = await loadDesigns(ctx, args.designs);
    const { known } = loadKnownDifferences();
    const skip = new Set(args.skip ?? []);
    const rows: string[][] = [];
    const notRun: string[] = [];
    const totals = designs.map(() => ({ agree: 0, answerable: 0 }));
    const scanTotal = { agree: 0, compared: 0 };
    for (const s of await ctx.loadScenarios()) {
      // Recorded real programs: thousands of events each, validated by their own package against the recording.
      if (/record/i.test(s.source)) skip.add(s.name);
      if (skip.has(s.name)) continue;
      const log = await loadLog(ctx, s.name);
      const events = await collectEvents(log);
      let run: KernelRun;
      try {
        run = await kernelRun(ctx, log, events, true);
      } catch (e) {
        if (e instanceof CliError && e.exitCode === EXIT_REFUSED) {
          notRun.push(`${s.name} (${[...new Set(events.map((x) => x.event.type).filter((t) => /contig|driver|memory_failure/.test(t)))].join(', ')})`);
          continue;
        }
        throw e;
      }
      const cells: string[] = [];
      let last: DiffRow[] = [];
      let scanCell = '';
      for (const [i, d] of designs.entries()) {
        const model = await modelRun(log, d, events);
        const diff = diffChecks(run.checks, model.checks, s.name, d.name, known);
        const answerable = diff.filter((r) => r.agree !== null);
        const agree = answerable.filter((r) => r.agree).length;
        totals[i]!.agree += agree;
        totals[i]!.answerable += answerable.length;
        cells.push(`${agree}/${answerable.length}`);
        last = diff;
        if (i === designs.length - 1) {
          // Scan by scan, for the newest preset: scan rows with a model counterpart, then collapse rows.
          const ctxV = { workload: s.name, design: d.name, known, environmental: environmentalFields(run.accessAgents) };
          const compared = [...compareScans(run.scans, model.scans, ctxV), ...compareCollapses(run.collapses, model.scans, ctxV)].filter(
            (r) => r.agree !== null,
          );
          const ok = compared.filter((r) => r.agree).length;
          const listed = compared.filter((r) => r.known).length;
          scanTotal.agree += ok;
          scanTotal.compared += compared.length;
          scanCell = compared.length ? `${ok}/${compared.length}${listed ? ` (${listed} known)` : ''}` : '—';
        }
      }
      const knownLines = [...new Set(last.filter((r) => r.known).map((r) => r.known!.replace(/ \(.*$/, '').slice(0, 60)))];
      rows.push([s.name, ...cells, scanCell, knownLines.length ? `${last.filter((r) => r.known).length} known: ${knownLines.join('; ')}…` : '']);
      ctx.stderr(`${s.name}: ${cells.join(' ')}\n`);
    }
    const newest = designs.at(-1)!.name;
    const head = `| workload | ${designs.map((d) => d.name).join(' | ')} | scans (${newest}) | known differences (${newest}) |`;
    const sep = `|---|${designs.map(() => '---:').join('|')}|---:|---|`;
    const total = `| **all** | ${totals.map((t) => `**${t.agree}/${t.answerable}**`).join(' | ')} | **${scanTotal.agree}/${scanTotal.compared}** | |`;
    const md = [
      VALIDATION_INTRO,
      `Measured on Linux ${(await import('node:os')).release()}.\n`,
      head,
      sep,
      ...rows.map((r) => `| ${r.join(' | ')} |`),
      total,
      '',
      notRun.length ? `Not run (events the kernel cannot perform here): ${notRun.join(', ')}.\n` : '',
      skip.size ? `Left out (running time; the recorded logs are checked against their own recordings): ${[...skip].join(', ')}.\n` : '',
      VALIDATION_LIMITS,
    ].join('\n');
    if (args.out) {
      await writeFile(resolve(ctx.cwd, args.out), md);
      ctx.stdout(`wrote ${args.out}\n`);
    } else ctx.stdout(md);
    return EXIT_OK;
  });
}

/**
 * The `pagelab` command line: commander wiring only. Each subcommand's body
 * lives in commands/ and is imported when that subcommand runs, so `--help`
 * works even while a model package is mid-change.
 */
import { Command, CommanderError, Option } from 'commander';
import { EXIT_BAD_INPUT, EXIT_OK, type LabContext } from './context.js';

const collect = (v: string, prev: string[] = []) => [...prev, v];

const DESIGN_HELP = `
DESIGN is a preset, or a preset with overrides:
  linux-3.13 | linux-4.5 | linux-5.8 | linux-6.10 | linux-6.15 | linux-6.18 |
  oleg-2013 | minchan-2013 | kozlowski-2013 | yangshi-2019
  linux-3.13:refcount=head-refcount          one axis changed
  sharedness=precise-mapcount                overrides alone start from linux-6.10
  linux-3.13:refcount=tail-refcount(perTailLockInSplit=true)
  linux-5.8:param.thpCow=huge                an era parameter changed
Axes: refcount, sharedness, pinned-migration, shmem-truncate. \`pagelab policies\` lists the policies.`;

export function buildProgram(ctx: LabContext, done: (code: number) => void): Command {
  const program = new Command('pagelab')
    .description(
      'Replay a memory workload through a model of the Linux memory manager under one or more designs, and compare waste, locked operations and outcomes.',
    )
    .version('0.1.0', '-V, --version')
    .configureOutput({ writeOut: (s) => ctx.stdout(s), writeErr: (s) => ctx.stderr(s) })
    .exitOverride()
    .showHelpAfterError('(add --help for usage and examples)')
    .addHelpText(
      'after',
      `
Examples:
  pagelab validate workload.jsonl
  pagelab run workload.jsonl --design linux-4.5 --check
  pagelab compare s1-false-negative --designs linux-5.8,linux-6.10,linux-6.15 --report
  pagelab policies
Exit codes: 0 ok, 1 a --check failed, 2 bad input (nothing half-written).`,
    );

  program
    .command('validate')
    .argument('<LOG>', 'workload log (JSONL: header line, then one event per line)')
    .description('Check a workload log; list every bad line with its number, JSON path, expected and found value.')
    .addHelpText(
      'after',
      `
Examples:
  pagelab validate workload.jsonl
  pagelab validate runs/input.jsonl || echo "fix the lines above"
  pagelab validate workload.jsonl --semantic --design linux-3.13
--semantic replays the log dry (nothing written) and lists every event the model refuses, each with
its line: an address no mapping covers, a handle never taken, a pid not alive, an mmap over another.
Exits 2 when any line is bad or, with --semantic, any event is refused.`,
    )
    .option('--semantic', 'also replay the log dry and list every event the model refuses, with its line')
    .option('-d, --design <DESIGN>', 'the design of the --semantic replay (default linux-6.10)')
    .action(async (log: string, o: { semantic?: boolean; design?: string }) => {
      const { validateCommand } = await import('./commands/validate.js');
      done(await validateCommand(ctx, log, { semantic: o.semantic ?? false, ...(o.design !== undefined ? { design: o.design } : {}) }));
    });

  program
    .command('run')
    .argument('<LOG|SCENARIO>', 'a workload log file, or a scenario name (see `pagelab scenarios`)')
    .description('Replay one workload under one design into a run directory (observations.jsonl, summary.json, provenance.json).')
    .requiredOption('-d, --design <DESIGN>', 'the design to replay under')
    .option('-o, --out <DIR>', 'run directory (default runs/<workload>-<design>-<log sha256 prefix>)')
    .option(
      '--check',
      'walk the invariants at every sample (a plain run walks them 16 times); exit 1 if an expect failed, an invariant was violated, or faults ran out of memory the log did not expect (expect oomFaults)',
    )
    .option('--sample-every <N>', 'events between metric samples (default: about 1,000 samples per run, every event for logs under 1,000 events)')
    .option('-p, --param <NAME=VALUE>', 'scenario parameter (repeatable)', collect)
    .option('--set <KEY=VALUE>', 'a tunable of the log header, as the sysctl event names it (repeatable), e.g. --set khugepaged.max_ptes_none=64', collect)
    .option('--force', 'replace an existing run directory (only one pagelab wrote: never a file, another directory, or one holding the log)')
    .addHelpText(
      'after',
      `${DESIGN_HELP}

Examples:
  pagelab run workload.jsonl --design linux-4.5
  pagelab run workload.jsonl --design linux-3.13:refcount=head-refcount --out runs/a-b --check
  pagelab run s1-false-negative --design linux-6.10 --param seed=7 --sample-every 100
  pagelab run mixed -p events=20000 --design linux-6.15 --set khugepaged.max_ptes_none=0 --set thp.defrag=never
--set keys: thp.enabled, thp.defrag, thp.shmem_enabled, khugepaged.max_ptes_none, khugepaged.max_ptes_swap,
khugepaged.max_ptes_shared, khugepaged.pages_to_scan (values as in /sys/kernel/mm/transparent_hugepage/).
The log is validated in full first; a bad log is refused and nothing is written.`,
    )
    .action(
      async (log: string, o: { design: string; out?: string; check?: boolean; sampleEvery: string; param?: string[]; set?: string[]; force?: boolean }) => {
        const { runCommand } = await import('./commands/run.js');
        done(
          await runCommand(ctx, {
            log,
            design: o.design,
            sampleEvery: o.sampleEvery,
            check: o.check ?? false,
            force: o.force ?? false,
            param: o.param ?? [],
            set: o.set ?? [],
            ...(o.out !== undefined ? { out: o.out } : {}),
          }),
        );
      },
    );

  program
    .command('compare')
    .argument('<LOG|SCENARIO>', 'a workload log file, or a scenario name')
    .description('Replay one workload under several designs; one sub-directory per design plus compare.json, and a headline table.')
    .addOption(new Option('--designs <D1,D2,...>', 'designs, comma-separated (repeatable)').argParser(collect).makeOptionMandatory())
    .option('-o, --out <DIR>', 'comparison directory (default runs/<workload>-compare-<log sha256 prefix>)')
    .option('--report', 'also write report.html, report.md and charts (needs @pagelab/analysis)')
    .option('--sample-every <N>', 'events between metric samples (default: about 1,000 samples per run, every event for logs under 1,000 events)')
    .option('-p, --param <NAME=VALUE>', 'scenario parameter (repeatable)', collect)
    .option('--seeds <SEEDS>', 'replicates: regenerate the scenario once per seed (1..10, 1,4,9 or both) and replay each under every design; writes stats.csv')
    .option('-j, --jobs <N>', 'with --seeds: replays at once, one worker thread each (default: the cores available)')
    .option('--set <KEY=VALUE>', 'a tunable of the log header, as the sysctl event names it (repeatable), e.g. --set khugepaged.max_ptes_none=64', collect)
    .option('--force', 'replace an existing comparison directory')
    .option(
      '--check',
      'walk the invariants at every sample; exit 1 if any design failed an expect, broke an invariant or ran out of memory the log did not expect',
    )
    .addHelpText(
      'after',
      `${DESIGN_HELP}

Examples:
  pagelab compare workload.jsonl --designs linux-3.13,linux-4.5
  pagelab compare workload.jsonl --designs linux-6.10,sharedness=precise-mapcount --report
  pagelab compare s5-pinned-split --designs linux-3.13,oleg-2013 --out runs/a-vs-aprime
  pagelab compare mixed -p events=200000 --seeds 1..5 --designs linux-3.13,linux-4.5,linux-6.10,linux-6.15 --report
  pagelab compare mixed --seeds 1,4,9 --designs linux-6.15 --set khugepaged.max_ptes_none=0
The first design is the baseline of the deltas. With --seeds each design gets a mean with its 95 % t
interval across seeds, and each delta is the paired difference seed by seed (same log, both designs)
with its interval and a paired t-test p-value; an interval containing 0 reads "no significant
difference". A log file cannot be reseeded: --seeds takes a scenario with a seed parameter. An override after a design that already has
overrides continues it (linux-3.13:refcount=head-refcount,param.thpCow=pte); repeat --designs to be explicit.`,
    )
    .action(
      async (
        log: string,
        o: {
          designs: string[];
          out?: string;
          report?: boolean;
          sampleEvery: string;
          param?: string[];
          seeds?: string;
          jobs?: string;
          set?: string[];
          force?: boolean;
          check?: boolean;
        },
      ) => {
        const { compareCommand } = await import('./commands/compare.js');
        done(
          await compareCommand(ctx, {
            log,
            designs: o.designs,
            sampleEvery: o.sampleEvery,
            report: o.report ?? false,
            force: o.force ?? false,
            check: o.check ?? false,
            param: o.param ?? [],
            set: o.set ?? [],
            ...(o.seeds !== undefined ? { seeds: o.seeds } : {}),
            ...(o.jobs !== undefined ? { jobs: o.jobs } : {}),
            ...(o.out !== undefined ? { out: o.out } : {}),
          }),
        );
      },
    );

  program
    .command('sweep')
    .argument('<SPEC>', 'a sweep spec, YAML or JSON: workloads, designs, settings grids, seeds; or `merge`')
    .argument('[DIRS...]', 'after `merge`: the shard directories to merge')
    .description(
      'Replay every cell of a sweep (workloads x parameter grids x seeds x settings x designs) on every core, each cell cached by content; write results.csv, results.parquet and stats.csv.',
    )
    .option('-o, --out <DIR>', 'sweep directory (default sweeps/<spec name>); re-running into it runs only the cells not cached there')
    .option('-j, --jobs <N>', 'cells at once, one worker thread each (default: the cores available)')
    .option('--set <KEY=VALUE>', "a tunable set for every cell (repeatable); the spec's settings grid sweeps others", collect)
    .option('--shard <I/N>', 'run only the I-th of N shares of the cells (array jobs); then `pagelab sweep merge`')
    .option('--queue <URL>', 'redis://HOST:PORT: put the cells on a BullMQ queue that `pagelab worker` processes run, on any machines')
    .option('--queue-name <NAME>', 'the queue (default pagelab-cells); workers must name the same')
    .addHelpText(
      'after',
      `
A spec:
  workloads:
    - scenario: mixed
      params: { events: 50000, memoryGiB: [1, 4] }     # a list is a grid axis
    - log: recorded/redis.jsonl                          # a log file: its own seed, no params
  designs: [linux-6.10, linux-6.15]
  settings: { khugepaged.max_ptes_none: [0, 64, 255, 511] }
  seeds: 1..5                                            # scenarios only
A cell is keyed by its log's sha256, the design and the settings replayed with; cells/<key>/ holds its
run files. results.csv / results.parquet: one row per cell, identifying columns first (cell, workload,
param_*, seed, design, *_policy, each setting, log_sha256), then every metric with its unit in its name.
stats.csv: per workload, parameters and settings, each design across seeds (mean, sd, median, 95 % t
interval) and its paired difference against the first design (interval, paired t-test p-value).

On a cluster, two ways:
- a queue: one Redis server, workers started anywhere (each takes cells until stopped), and this
  command collects the results into the same files as a local sweep; a killed worker's cell runs again:
    redis-server --port 6379 --save '' --appendonly no       # on a machine every worker reaches
    pagelab worker --queue redis://HOST:6379 --jobs 8          # on each machine, as many as you like
    pagelab sweep spec.yaml --queue redis://HOST:6379          # anywhere; prints progress, writes the tables
- an array job (Slurm job arrays, Kubernetes Indexed Jobs): each task runs its share into its own
  directory (or a shared one), then one merge writes the tables:
    pagelab sweep spec.yaml --shard $((SLURM_ARRAY_TASK_ID+1))/$SLURM_ARRAY_TASK_COUNT --out shards/$SLURM_ARRAY_TASK_ID
    pagelab sweep merge shards/* --out sweeps/all

Examples:
  pagelab sweep ptes-none.yaml
  pagelab sweep ptes-none.yaml --out sweeps/ptes --jobs 2 --set thp.defrag=never
  pagelab sweep merge shards/0 shards/1 --out sweeps/ptes`,
    )
    .action(async (spec: string, dirs: string[], o: { out?: string; jobs?: string; set?: string[]; shard?: string; queue?: string; queueName?: string }) => {
      const { sweepCommand, sweepMergeCommand } = await import('./commands/sweep.js');
      if (spec === 'merge') return done(await sweepMergeCommand(ctx, dirs, o.out));
      if (dirs.length > 0) {
        ctx.stderr(`pagelab: sweep takes one SPEC (got also ${dirs.join(' ')}); to merge shard directories: pagelab sweep merge DIR...\n`);
        return done(2);
      }
      done(
        await sweepCommand(ctx, {
          spec,
          set: o.set ?? [],
          ...(o.out !== undefined ? { out: o.out } : {}),
          ...(o.jobs !== undefined ? { jobs: o.jobs } : {}),
          ...(o.shard !== undefined ? { shard: o.shard } : {}),
          ...(o.queue !== undefined ? { queue: o.queue } : {}),
          ...(o.queueName !== undefined ? { queueName: o.queueName } : {}),
        }),
      );
    });

  program
    .command('worker')
    .description('Run sweep cells from a Redis queue (BullMQ) until stopped: the workers of `pagelab sweep SPEC --queue URL`, on any machines.')
    .requiredOption('--queue <URL>', 'redis://HOST:PORT of the queue (rediss:// for TLS, redis://:PASSWORD@HOST:PORT/DB)')
    .option('--queue-name <NAME>', 'the queue (default pagelab-cells), as the sweep names it')
    .option('-j, --jobs <N>', 'cells at once, one worker thread each (default: the cores available)')
    .option('--lock <SECONDS>', "how long a cell stays claimed without a sign of life: a killed worker's cell runs again this long after (default 30)")
    .option('--idle-exit <SECONDS>', "exit 0 once no cell has run or arrived for this long (a batch job's worker); default: run until stopped")
    .addHelpText(
      'after',
      `
A cell on the queue carries its scenario, --param items (the seed among them), --set items and design,
never the log: the worker rebuilds the log, and the sweep checks its sha256 against the cell's. A log-file cell
carries the file's absolute path, which every worker must be able to read (a shared file system).
The worker returns the cell's run files (summary.json, observations.jsonl, provenance.json) through
the queue; the sweep writes them into its cache. Workers and the sweep must run the same pagelab
version (a worker refuses a cell of another, and the sweep says so). SIGINT/SIGTERM stop a worker at
once; its unfinished cells run again elsewhere after --lock seconds.

Examples:
  pagelab worker --queue redis://queue-host:6379
  pagelab worker --queue redis://queue-host:6379 --jobs 2 --idle-exit 300    # in a batch job: leave when the sweep is done`,
    )
    .action(async (o: { queue: string; queueName?: string; jobs?: string; lock?: string; idleExit?: string }) => {
      const { workerCommand } = await import('./commands/worker.js');
      done(
        await workerCommand(ctx, {
          queue: o.queue,
          ...(o.queueName !== undefined ? { queueName: o.queueName } : {}),
          ...(o.jobs !== undefined ? { jobs: o.jobs } : {}),
          ...(o.lock !== undefined ? { lockSeconds: o.lock } : {}),
          ...(o.idleExit !== undefined ? { idleExit: o.idleExit } : {}),
        }),
      );
    });

  program
    .command('report')
    .argument('<RUN_DIR>', 'a directory written by `pagelab compare` (or `pagelab run`)')
    .description('Write report.html, report.md, summary.csv and charts/ into a run directory.')
    .addHelpText(
      'after',
      `
Examples:
  pagelab report runs/s1-false-negative-compare-1a2b3c4d
  pagelab report runs/my-run            (a single run gets a one-design compare.json first)`,
    )
    .action(async (dir: string) => {
      const { reportCommand } = await import('./commands/report.js');
      done(await reportCommand(ctx, dir));
    });

  program
    .command('record')
    .argument('<CMD...>', 'the program and its arguments, after --')
    .description(
      "Run a program under strace and perf (THP disabled, so every first touch is seen at 4 KiB), then once normally; write a workload log of what it did to memory, and LOG.smaps.jsonl with the kernel's AnonHugePages/Rss of both runs.",
    )
    .option('-o, --out <LOG>', 'the log to write (default ./<program>.jsonl); the samples go to LOG.smaps.jsonl')
    .option('--name <NAME>', "the workload name in the header (default: the program's basename)")
    .option('--set <KEY=VALUE>', "a header setting instead of what this machine's sysfs says (repeatable), e.g. thp.enabled=always", collect)
    .option('--interval <MS>', 'smaps_rollup sampling period in ms (default 100)')
    .option('--no-normal-run', 'skip the second, untraced run (no observed AnonHugePages then)')
    .option('--faults <perf|tracefs>', 'who records the faults: perf (default when installed) or a private tracefs instance (removed after)')
    .option('--json', 'print the summary as JSON')
    .addHelpText(
      'after',
      `
Needs root (or perf_event_paranoid=-1 and ptrace rights), strace (apt-get install -y strace) and
perf (apt-get install -y linux-perf), plus cc or python3 for the THP-disabling wrapper.
Private file mappings (libraries), device and hugetlb mappings are left out of the log; the header's
workload.params.excludedBytes counts them and the summary says how much. Addresses are laid out
afresh (2 MiB offsets kept), so the log replays on the model's machine whatever ASLR did.
The program runs twice: the two runs may differ in timing (strace is slow), khugepaged scans, and
any input-, clock- or randomness-driven path.

Examples:
  pagelab record -- python3 -c 'import numpy; a = numpy.ones(1 << 26); a.sum()'
  pagelab record --out redis.jsonl --set thp.enabled=always -- ./bgsave.sh
  pagelab record --interval 50 --json -- make -j2
  pagelab compare python3.jsonl --designs linux-6.10,linux-6.15     (charts observed vs predicted)`,
    )
    .action(
      async (argv: string[], o: { out?: string; name?: string; set?: string[]; interval?: string; normalRun?: boolean; json?: boolean; faults?: string }) => {
        const { recordCommand } = await import('./commands/record.js');
        done(
          await recordCommand(ctx, {
            argv,
            set: o.set ?? [],
            ...(o.faults !== undefined ? { faults: o.faults } : {}),
            normalRun: o.normalRun !== false,
            json: o.json ?? false,
            ...(o.out !== undefined ? { out: o.out } : {}),
            ...(o.name !== undefined ? { name: o.name } : {}),
            ...(o.interval !== undefined ? { interval: o.interval } : {}),
          }),
        );
      },
    );

  program
    .command('import')
    .argument('<FILE>', 'ftrace text (tracefs trace file, trace-cmd report), perf script output, or strace -f text')
    .description(
      'Convert a trace of syscalls (mmap, munmap, mremap, mprotect, madvise, brk, clone, execve) and page faults into a workload log; count the lines that cannot be used, with examples.',
    )
    .option('-o, --out <LOG>', 'the log to write (default ./<file name>.jsonl)')
    .option('--name <NAME>', 'the workload name in the header')
    .option('--set <KEY=VALUE>', 'a header setting (repeatable), e.g. thp.enabled=always', collect)
    .option('--json', 'print the summary as JSON')
    .addHelpText(
      'after',
      `
Traces that work: events syscalls:sys_enter_*/sys_exit_* (or the sys_NAME(...) / sys_NAME -> RET
lines of tracefs), exceptions:page_fault_user and page_fault_kernel, and sched_process_fork/exec/exit
or task_newtask for the process tree. A task never seen starting becomes a new process.

Examples:
  echo 1 > /sys/kernel/tracing/instances/mm/events/exceptions/page_fault_user/enable ...
  pagelab import /sys/kernel/tracing/instances/mm/trace --out mine.jsonl
  perf script -F comm,tid,time,event,trace --ns > faults.txt && pagelab import faults.txt
  pagelab import trace-cmd-report.txt --set thp.enabled=always --json`,
    )
    .action(async (file: string, o: { out?: string; name?: string; set?: string[]; json?: boolean }) => {
      const { importCommand } = await import('./commands/import.js');
      done(
        await importCommand(ctx, {
          file,
          set: o.set ?? [],
          json: o.json ?? false,
          ...(o.out !== undefined ? { out: o.out } : {}),
          ...(o.name !== undefined ? { name: o.name } : {}),
        }),
      );
    });

  program
    .command('scenarios')
    .description('List the named workloads: parameters and defaults, source, and the designs to compare them under.')
    .addHelpText(
      'after',
      `
Examples:
  pagelab scenarios
  pagelab run NAME --design linux-6.10 --param seed=3`,
    )
    .action(async () => {
      const { scenariosCommand } = await import('./commands/scenarios.js');
      done(await scenariosCommand(ctx));
    });

  program
    .command('policies')
    .description('List the installed policies per axis (what each models, its params) and the design presets.')
    .addHelpText(
      'after',
      `
Examples:
  pagelab policies
  pagelab run LOG --design linux-3.13:refcount=tail-refcount(perTailLockInSplit=true)`,
    )
    .action(async () => {
      const { policiesCommand } = await import('./commands/policies.js');
      done(await policiesCommand(ctx));
    });

  program
    .command('races')
    .argument('[NAME]', 'a race scenario (omit to list them)')
    .description(
      'Explore every interleaving of a kernel race (seed 002 prep_compound_page, seed 001 speculative lookup, PageTail/first_page) and print each reachable violation with its shortest counterexample.',
    )
    .option('-m, --memory-model <MODEL>', 'sc (sequential consistency) or weak (store buffers and early loads; see docs/races.md)', 'sc')
    .option('--reduction <R>', 'sleep-sets (default) or none (every interleaving, counted exactly)', 'sleep-sets')
    .option('--json', 'print {name, memoryModel, interleavings, states, violations: [{assertion, steps: [{cpu, function, op, word, value}]}]}')
    .option('--litmus', 'print the scenario as a herd7 C litmus test for the Linux-kernel memory model (seed002 scenarios)')
    .option('--report <DIR>', 'write report.html, report.md and one swimlane SVG per counterexample (both memory models)')
    .option('--force', 'replace an existing --report directory')
    .option(
      '--file <MODULE>',
      'explore scenarios of your own: a JS module exporting them (default, scenario or scenarios) in the step language of @pagelab/races',
    )
    .addHelpText(
      'after',
      `
Examples:
  pagelab races                                              list the scenarios and their known verdicts
  pagelab races seed002-prep-compound-unfixed                reachable under sc: exit 1, counterexample printed
  pagelab races seed002-prep-compound-no-wmb --memory-model weak --json
  pagelab races seed002-prep-compound-fixed --litmus > fixed.litmus && herd7 -conf linux-kernel.cfg fixed.litmus
  pagelab races seed001-speculative-lookup --report runs/races-seed001
  pagelab races --file my-race.mjs --memory-model weak     a scenario of your own (see docs/races.md)
Exit codes: 0 no assertion can fail (every interleaving explored), 1 a violation is reachable, 2 bad input.`,
    )
    .action(
      async (
        name: string | undefined,
        o: { memoryModel: string; reduction: string; json?: boolean; litmus?: boolean; report?: string; force?: boolean; file?: string },
      ) => {
        const { racesCommand } = await import('./commands/races.js');
        done(
          await racesCommand(ctx, {
            ...(name !== undefined ? { name } : {}),
            memoryModel: o.memoryModel,
            reduction: o.reduction,
            json: o.json ?? false,
            litmus: o.litmus ?? false,
            force: o.force ?? false,
            ...(o.report !== undefined ? { report: o.report } : {}),
            ...(o.file !== undefined ? { file: o.file } : {}),
          }),
        );
      },
    );

  const kernel = program
    .command('kernel')
    .description('Run a workload log on the running Linux kernel (root, THP) and diff its check values against the model.')
    .addHelpText(
      'after',
      `
Examples:
  sudo pagelab kernel run selftest-collapse-full --out runs/k
  sudo pagelab kernel diff selftest-collapse-fork --design linux-6.18
  pagelab kernel diff LOG --design linux-6.15 --kernel runs/k --markdown   (reuse a kernel run)
Knobs written (THP, khugepaged, KSM) are restored at the end, after an error and on SIGINT/SIGTERM;
a swap file, a tracefs instance and the executor's processes are removed.`,
    );

  kernel
    .command('run')
    .argument('<LOG|SCENARIO>', 'a workload log file, or a scenario name')
    .description(
      'Execute every event on the running kernel into a run directory: kernel.jsonl (rc, errno, ns per event; the kernel value of every expect check; khugepaged tracepoints).',
    )
    .option('-o, --out <DIR>', 'run directory (default runs/<workload>-kernel-<log sha256 prefix>)')
    .option('-p, --param <NAME=VALUE>', 'scenario parameter (repeatable)', collect)
    .option('--no-trace', 'do not record tracepoints in a private tracefs instance')
    .option('--force', 'replace an existing run directory')
    .addHelpText(
      'after',
      `
Examples:
  sudo pagelab kernel run selftest-collapse-fork --out runs/fork-kernel
  sudo pagelab kernel run workload.jsonl --no-trace
Refuses (exit 2, nothing changed) when not root, without THP, or when the log has events the
kernel cannot perform here (alloc_contig/free_contig, driver_alloc/driver_free, memory_failure), listing them.
Approximations (reclaim as drop_caches + MADV_PAGEOUT, transient pins as io_uring longterm pins) are printed.
Exit 130/143 after SIGINT/SIGTERM, with every knob restored.`,
    )
    .action(async (log: string, o: { out?: string; param?: string[]; trace?: boolean; force?: boolean }) => {
      const { kernelRunCommand } = await import('./commands/kernel.js');
      done(
        await kernelRunCommand(ctx, {
          log,
          param: o.param ?? [],
          trace: o.trace ?? true,
          force: o.force ?? false,
          ...(o.out !== undefined ? { out: o.out } : {}),
        }),
      );
    });

  kernel
    .command('diff')
    .argument('<LOG|SCENARIO>', 'a workload log file, or a scenario name')
    .description(
      "Per expect check: the value the log expects, the kernel's and the model's under DESIGN; exit 1 on a disagreement docs/kernel-differences.md does not name.",
    )
    .requiredOption('-d, --design <DESIGN>', 'the design the model replays under')
    .option('-k, --kernel <DIR>', 'use the kernel.jsonl of an earlier `pagelab kernel run` instead of running now')
    .option('--json', 'print {checks: [{line, check, expected, kernel, model, agree}]} (kernel null where it cannot answer)')
    .option('--markdown', 'print the table as Markdown')
    .option('--all', 'show agreeing rows of a long table too')
    .option('--known <FILE>', 'the known-differences file (default docs/kernel-differences.md of this checkout)')
    .option('-p, --param <NAME=VALUE>', 'scenario parameter (repeatable)', collect)
    .addHelpText(
      'after',
      `${DESIGN_HELP}

Examples:
  sudo pagelab kernel diff selftest-collapse-full --design linux-6.18
  pagelab kernel diff seed001-balloon-punch --design linux-6.15 --kernel runs/balloon-kernel --json | jq '.checks[] | select(.agree == false)'
Exit 0 when every answerable check agrees or its difference is listed, 1 otherwise, 2 on bad input or a refusal.`,
    )
    .action(
      async (log: string, o: { design: string; kernel?: string; json?: boolean; markdown?: boolean; all?: boolean; known?: string; param?: string[] }) => {
        const { kernelDiffCommand } = await import('./commands/kernel.js');
        done(
          await kernelDiffCommand(ctx, {
            log,
            design: o.design,
            param: o.param ?? [],
            json: o.json ?? false,
            markdown: o.markdown ?? false,
            all: o.all ?? false,
            ...(o.kernel !== undefined ? { kernel: o.kernel } : {}),
            ...(o.known !== undefined ? { known: o.known } : {}),
          }),
        );
      },
    );

  kernel
    .command('table')
    .description('The agreement table of docs/validation.md: every runnable named workload once on the kernel, then the model under each preset.')
    .option('--designs <D1,D2,...>', 'presets to compare (default the eras)', 'linux-3.13,linux-4.5,linux-5.8,linux-6.10,linux-6.15,linux-6.18')
    .option('--skip <NAMES>', 'workloads left out for time', 'mixed,qemu-balloon,fork-heavy-random')
    .option('-o, --out <FILE>', 'write the Markdown here (default: standard output)')
    .addHelpText(
      'after',
      `
Examples:
  sudo pagelab kernel table --out docs/validation.md
  sudo pagelab kernel table --designs linux-6.15,linux-6.18 --skip mixed`,
    )
    .action(async (o: { designs: string; skip: string; out?: string }) => {
      const { kernelTableCommand } = await import('./commands/kernel.js');
      done(
        await kernelTableCommand(ctx, {
          designs: o.designs.split(','),
          skip: o.skip.split(',').filter((x) => x),
          ...(o.out !== undefined ? { out: o.out } : {}),
        }),
      );
    });

  return program;
}

/** Runs the command line (arguments after `pagelab`); resolves with the exit code. */
export async function runCli(args: readonly string[], ctx: LabContext): Promise<number> {
  let code = EXIT_OK;
  const program = buildProgram(ctx, (c) => (code = c));
  try {
    await program.parseAsync([...args], { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return EXIT_OK;
      return e.exitCode === 0 ? EXIT_OK : EXIT_BAD_INPUT;
    }
    ctx.stderr(`pagelab: ${e instanceof Error ? e.message : String(e)}\n`);
    return EXIT_BAD_INPUT;
  }
  return code;
}

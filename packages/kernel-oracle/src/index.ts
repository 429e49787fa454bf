export { buildExecutor, Executor, EXECUTOR_SOURCE, type Reply } from './executor.js';
export { Knobs, knobValue, settingFile, THP_DIR, KHUGEPAGED_DIR, KSM_DIR } from './knobs.js';
export { acquireKernelStateLock, KERNEL_STATE_LOCK, type KernelStateLock } from './lock.js';
export { KhugepagedDriver, khugepagedPid, fullScans, PARKED_SLEEP_MS } from './khugepaged.js';
export { machineRefusals, unsupportedEvents, approximations, UNSUPPORTED, type LineEvent } from './support.js';
export { parseTrace, type TraceRecord } from './trace.js';
export {
  runOnKernel,
  refusals,
  KernelRunRefused,
  KernelRunInterrupted,
  KERNEL_CHECKS,
  type KernelRun,
  type KernelCheck,
  type EventResult,
  type RunOptions,
} from './run.js';
export { snapshotKnobs } from './snapshot.js';
export { diffChecks, unexplained, parseKnownDifferences, type DiffRow, type KnownDifference, type ModelCheck } from './diff.js';
export { type JsonValue } from './run.js';
export {
  compareScans,
  compareCollapses,
  environmentalFields,
  unexplainedScans,
  SCAN_CHECK,
  COLLAPSE_CHECK,
  type ScanRow,
  type ScanFacts,
  type CollapseRow,
  type ScanVerdictContext,
} from './scans.js';
export { logScans, type KernelScan } from './trace.js';

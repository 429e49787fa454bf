// @pagelab/record: real programs as workloads. Parsers for strace, perf
// script and ftrace text; the converter from what tasks did to a workload
// log; the recorder that runs a program under the tracers; the comparison
// of a replay with what the kernel showed in /proc/PID/smaps_rollup.
export * from './trace.js';
export { flagsValue } from './symbols.js';
export { parseStrace, splitArgs, fdTarget, pathTarget, type StraceOptions } from './strace.js';
export { parseTracepoints, fieldsOf, USER_TOP } from './tracepoints.js';
export { AddressMap, BASE } from './address-map.js';
export {
  convert,
  machineMemoryFor,
  EXCLUDED_KINDS,
  DROPPED_FAULTS,
  type ConvertOptions,
  type ConvertStats,
  type Conversion,
  type ExcludedKind,
  type DroppedFault,
} from './convert.js';
export { importTrace, detectFormat, type Imported, type TraceFormat } from './import.js';
export {
  recordProgram,
  machineSettings,
  smapsLines,
  smapsPathFor,
  timeWarp,
  rssDtw,
  RecordError,
  type Alignment,
  type RecordOptions,
  type Recording,
  type RunFacts,
} from './record.js';
export { findTools, recordingProblems, which, type Tool } from './tools.js';
export { wrapper, clockOffsetNs, type Wrapper } from './wrapper.js';
export { processTree, sampleTree, startSampler, type SmapsSample } from './smaps.js';
export { predict, closestPreset, modelTotals, errorOf, type Prediction, type PredictedPoint, type PredictionError, type ObservedSample } from './predict.js';

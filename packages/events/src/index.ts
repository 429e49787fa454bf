// @pagelab/events: io-ts codecs of the wire formats (docs/contracts.md),
// streaming JSONL reading with line-precise errors, atomic writing.

// Codecs and their types
export { PAGE_SIZE, HPAGE_PMD_SIZE, MAX_NUMNODES, MAX_ORDER, PageAddr, PageLen, Pid, PageCount, NodeId, Order, JsonObject, Sha256Hex } from './primitives.js';
export { SYSCTL_KEYS, SysctlKey, Settings, sysctlValues, HPAGE_PMD_NR, NOT_MODELLED_SETTINGS, notModelledValues, type NotModelledSetting } from './settings.js';
export { LOG_FORMAT_VERSION, LogHeader, Machine, WorkloadInfo } from './header.js';
export { WorkloadEvent, EVENT_TYPES, eventCodecs, expectChecks, EXPECT_CHECKS, type EventType, type EventOf, type ExpectCheck } from './event.js';
export { Metrics, WasteByCause, WASTE_CAUSES, type WasteCause } from './metrics.js';
export {
  OBSERVATIONS_FORMAT_VERSION,
  ObservationHeader,
  Observation,
  OBSERVATION_TYPES,
  observationCodecs,
  type ObservationType,
  type ObservationOf,
  type ObservationInput,
} from './observation.js';
export {
  Summary,
  Outcome,
  Outcomes,
  OUTCOME_NAMES,
  OCCURRED_OUTCOME_NAMES,
  ExpectationCheck,
  ExpectationFailure,
  BalloonSummary,
  BalloonRound,
  BalloonCounts,
  VMSTAT_COUNTERS,
  SummaryMetrics,
  OverRunSummary,
  EventCost,
  LockedOpsByEvent,
  EventMarksSummary,
  SharednessSummary,
  OomSummary,
  PinnedMigrationSummary,
  ContiguitySummary,
  type OutcomeName,
  type OccurredOutcomeName,
  type VmstatCounter,
} from './summary.js';
export { object, type ObjectCodec, type Violation } from './object.js';
export { taggedUnion, type TaggedUnionCodec } from './tagged-union.js';

// Errors and reports
export { LogError, issuesOf, pathOf, describeValue, formatIssue, type Issue, type LineError } from './errors.js';
export { decodeHeaderLine, decodeEventLine, decodeWith, type LogItem, type HeaderItem, type EventItem, type LineResult } from './decode-line.js';
export { formatReport, DEFAULT_MAX_ERRORS, type ValidationReport, type ValidateOptions } from './report.js';

// Reading
export { LineSplitter, type RawLine } from './line-splitter.js';
export { readLog, scanLog, scanLogBatches, decodeEvents, readHeader, validateLog, sha256File, type ScanFacts } from './reader.js';
export {
  readLogText,
  scanLogText,
  scanLogTextBatches,
  decodeEventsText,
  validateLogText,
  decodeLogText,
  type LogSource,
  type MemoryLogOptions,
  type DecodedLog,
} from './memory.js';

// Writing
export { stableStringify, type StableStringifyOptions } from './stable-stringify.js';
export { LogDigest, canonicalEventLine, canonicalHeaderLine } from './canonical.js';
export { openJsonlWriter, writeFileAtomic, writeJsonlFile, tempPathFor, type JsonlWriter, type AtomicWriterOptions } from './writer.js';
export { exampleHeader, exampleEvents } from './examples.js';

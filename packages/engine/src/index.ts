// @pagelab/engine: design presets and DESIGN strings, the policy plug-in
// registry, and replay of a workload log under a design into observations,
// samples and summary.json.
export { PAGELAB_VERSION } from './version.js';
export { PRESETS, PRESET_NAMES, DEFAULT_PRESET, KNOWN_POLICY_IDS, findPreset, type Preset, type PolicyChoice, type AxisChoices } from './presets.js';
export {
  parseDesign,
  resolveDesign,
  designFrom,
  designJson,
  parseValue,
  modelParamDomain,
  MODEL_PARAM_KEYS,
  type Design,
  type DesignSpec,
  type DesignError,
  type ParamValue,
} from './design.js';
export { discoverRegistry, buildRegistry, registryFrom, descriptorProblems, RegistryError, type Registry, type DiscoverOptions } from './registry.js';
export { measureMetrics, summaryMetrics, type SampleMetrics } from './metrics.js';
export { OverRunMeter, type OverRun } from './over-run.js';
export { EventCostMeter, type EventCost } from './event-costs.js';
export { VMSTAT_COUNTERS, VmstatMeter, type Vmstat, type VmstatCounter } from './vmstat.js';
export { EventMarkMeter, MARKED_EVENTS, MAX_MARKS, type EventMarks } from './event-marks.js';
export { BalloonMeter, MAX_BALLOON_ROUNDS, type BalloonSummary, type BalloonRound, type BalloonCounts, type BalloonLaterRounds } from './balloon.js';
export {
  replay,
  replayBatches,
  compare,
  summarize,
  summaryJson,
  observationLine,
  observationHeader,
  observationHeaderLine,
  Replayer,
  ReplayError,
  DEFAULT_SAMPLE_EVERY,
  REPLAY_YIELD_EVERY,
  OBSERVATION_LEADING_KEYS,
  type LogEvent,
  type LogInput,
  type Observation,
  type SampleObservation,
  type InvariantMode,
  type ReplayOptions,
  type ReplayState,
  type RunMeta,
  type RunSummary,
  type AlignedSample,
} from './replay.js';

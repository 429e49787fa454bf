export { samples } from './samples.js';
export { thinSamples } from './thinSamples.js';
export { lockedOpsRates, type RateWindow, type LockedOpsRatesOptions } from './lockedOpsRates.js';
export { wasteByCause, UNATTRIBUTED, type WastePoint } from './wasteByCause.js';
export { outcomeCounts, classifyOutcome, type OutcomeEvent, type OutcomeTable } from './outcomeCounts.js';
export { hugeCoverage, type CoveragePoint } from './hugeCoverage.js';
export { alignBySeq, type Aligned } from './alignBySeq.js';
export { deltaVsBaseline, deltaOf, type Delta, type DeltaRow } from './deltaVsBaseline.js';

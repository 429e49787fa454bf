/** Statistics across seeds: one small module per statistic. */
export { describe, mean, median, sampleSd, type Description } from './describe.js';
export { CI_LEVEL, CI_METHOD, containsZero, meanCi, type Interval } from './meanCi.js';
export { PAIRED_TEST, pairedDifference, type PairedDifference } from './pairedDifference.js';
export { tCritical, tTwoSidedP } from './studentT.js';
export { STATS_COLUMNS, replicateStats, statsCsv, statsRowCells, type Replicate, type StatsRow } from './replicateStats.js';

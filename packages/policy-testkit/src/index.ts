// @pagelab/policy-testkit: the per-axis conformance suites and the helpers
// policy tests share (machines, era parameters, cost deltas, random streams).
export * from './machine.js';
export * from './streams.js';
export * from './audit.js';
export * from './axis-suite.js';
export * from './refcount.js';
// sharedness axis: export line added by its owner (./sharedness.js).
export * from './sharedness.js';
export * from './pinned-migration.js';
export * from './shmem-truncate.js';

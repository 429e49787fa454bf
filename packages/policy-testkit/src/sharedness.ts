/**
 * The sharedness axis' testkit, one module per job (sharedness/): the test
 * machine, the scenario sequences of docs/kernel/mm-facts.md §8, the rmap
 * cost probe, the oracle (recount and checks), the random streams, and the
 * conformance suite every sharedness policy runs.
 */
export * from './sharedness/machine.js';
export * from './sharedness/scenarios.js';
export * from './sharedness/cost.js';
export * from './sharedness/oracle.js';
export * from './sharedness/streams.js';
export * from './sharedness/suite.js';

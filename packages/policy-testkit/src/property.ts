/**
 * fast-check parameters for a conformance suite. Each suite fixes its seed
 * and number of streams so CI is deterministic; PAGELAB_PROPERTY_SEED and
 * PAGELAB_PROPERTY_RUNS override both, to explore beyond them (kernel-core's
 * model property test reads the same variables). A failure prints the seed
 * and the shrunk stream, which then becomes a named test.
 */
const env = (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env ?? {};

export function propertyParams(seed: number, numRuns: number): { seed: number; numRuns: number } {
  const s = env['PAGELAB_PROPERTY_SEED'];
  const r = env['PAGELAB_PROPERTY_RUNS'];
  return { seed: s !== undefined ? Number(s) : seed, numRuns: r !== undefined ? Number(r) : numRuns };
}

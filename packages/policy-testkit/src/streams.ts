/**
 * Random workload streams for conformance tests, and running them.
 *
 * The generator lives in kernel-core (`@pagelab/kernel-core`
 * testing/streams.ts) so that kernel-core's own property test and these
 * conformance suites replay the same streams; this module binds it to
 * fast-check and re-exports the helpers. Streams cover every event type the
 * model implements (see kernel-core's module comment) and run on
 * STREAM_MACHINE with STREAM_SETTINGS.
 */
import fc from 'fast-check';
import type { WorkloadEvent } from '@pagelab/events';
import { type Intent, type StreamOptions, intentArbitrary as coreIntentArbitrary, streamArbitrary as coreStreamArbitrary } from '@pagelab/kernel-core';

export {
  type Intent,
  type StreamOptions,
  type UserView,
  REGION,
  REGION_PAGES,
  STREAM_MACHINE,
  STREAM_PROLOGUE,
  STREAM_SETTINGS,
  describeEvent,
  diffUserViews,
  leftovers,
  propertyParams,
  runEvents,
  shmemStreamSettings,
  teardownEvents,
  toEvents,
  userView,
} from '@pagelab/kernel-core';

/** Random valid event streams (printed, when shrunk, as the event list). */
export function streamArbitrary(o: StreamOptions = {}): fc.Arbitrary<WorkloadEvent[]> {
  return coreStreamArbitrary(fc, o);
}

/** The intents behind the streams (for suites that map them themselves). */
export function intentArbitrary(o: StreamOptions = {}): fc.Arbitrary<Intent> {
  return coreIntentArbitrary(fc, o);
}

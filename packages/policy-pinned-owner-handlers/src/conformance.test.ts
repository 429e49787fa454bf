import { runPinnedMigrationConformance } from '@pagelab/policy-testkit';
import { descriptor } from './index.js';

runPinnedMigrationConformance(descriptor);
// LaHaise's variant: every GUP pin and O_DIRECT request subscribes, so pinned user pages move too.
runPinnedMigrationConformance(descriptor, { policyParams: { coverGup: true, hashBits: 4 }, label: 'coverGup, 16 buckets' });

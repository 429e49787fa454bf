import { runPinnedMigrationConformance } from '@pagelab/policy-testkit';
import { descriptor } from './index.js';

runPinnedMigrationConformance(descriptor);

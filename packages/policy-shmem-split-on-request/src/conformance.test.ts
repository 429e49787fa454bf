import { runShmemTruncateConformance } from '@pagelab/policy-testkit';
import { descriptor } from './index.js';

runShmemTruncateConformance(descriptor);

import { ERA_PARAMS, runShmemTruncateConformance } from '@pagelab/policy-testkit';
import { descriptor } from './index.js';

// E1 is shmem_undo_range of 4.8-5.6 (no MADV_COLLAPSE yet); the axis' contract must hold in today's kernel too.
runShmemTruncateConformance(descriptor, { params: ERA_PARAMS['linux-4.5'], label: 'linux-4.5' });
runShmemTruncateConformance(descriptor, { label: 'linux-6.10', numRuns: 20 });

import { runShmemTruncateConformance } from '@pagelab/policy-testkit';
import { descriptor } from './index.js';

// Both guards: each keeps its own marks on the file, and both must keep the axis' contract.
runShmemTruncateConformance(descriptor, { label: 'guard=skip-range' });
runShmemTruncateConformance(descriptor, { label: 'guard=max-ptes-none', policyParams: { guard: 'max-ptes-none' } });

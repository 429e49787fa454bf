import { ERA_PARAMS, runRefcountConformance } from '@pagelab/policy-testkit';
import { descriptor } from './index.js';

// Design A in its own era (3.13 parameters), and the A′ variant.
runRefcountConformance(descriptor, { params: ERA_PARAMS['linux-3.13'] });
runRefcountConformance(descriptor, {
  params: ERA_PARAMS['linux-3.13'],
  policyParams: { perTailLockInSplit: true },
  label: 'A′, perTailLockInSplit',
  numRuns: 20,
});

import { ERA_PARAMS, runRefcountConformance } from '@pagelab/policy-testkit';
import { descriptor } from './index.js';

// Design B in 4.5's era and in the folio era (FOLL_PIN, 4 KiB CoW, PageAnonExclusive).
runRefcountConformance(descriptor, { params: ERA_PARAMS['linux-4.5'], label: 'linux-4.5' });
runRefcountConformance(descriptor, { params: ERA_PARAMS['linux-6.10'], label: 'linux-6.10' });

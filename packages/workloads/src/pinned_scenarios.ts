/** The pinned-migration axis' own workloads (besides seed 004): a phone's camera, a VM's pinned memory, a database's O_DIRECT. */
import { cameraCmaBurst } from './pinned_camera.js';
import { odirectUnderCompaction } from './pinned_odirect.js';
import { vfioLongtermPins } from './pinned_vfio.js';
import type { Scenario } from './scenario.js';

export const pinnedScenarios: Scenario[] = [cameraCmaBurst, vfioLongtermPins, odirectUnderCompaction];

import { writeFixtureRun } from '../src/testing/fixture.js';
import { writeReport } from '../src/index.js';
import { rmSync } from 'node:fs';
rmSync('/tmp/pl-edge', { recursive: true, force: true });
const dir = writeFixtureRun({ dir: '/tmp/pl-edge', events: 2000, designs: [
  { name: 'linux-3.13', profile: 'tail-refcount', zeroWaste: true },
  { name: 'linux-6.10', profile: 'folio', singleSample: true },
]});
await writeReport(dir);

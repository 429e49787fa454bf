import { writeFixtureRun } from '../src/testing/fixture.js';
import { writeReport } from '../src/index.js';
const dir = writeFixtureRun({ dir: '/tmp/pl-run' });
const t = Date.now();
console.log(await writeReport(dir, { command: 'pagelab report /tmp/pl-run' }), Date.now() - t, 'ms');

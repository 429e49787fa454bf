/** compare.json of one log under several designs (contracts.md §4). */
import { stableStringify } from '@pagelab/events';
import { PAGELAB_VERSION } from '@pagelab/engine';
import type { LabContext } from '../context.js';
import type { LoadedLog } from '../log-source.js';

export function compareManifest(ctx: LabContext, log: Pick<LoadedLog, 'header' | 'sha256'>, designs: ReadonlyArray<{ name: string; dir: string }>): string {
  const manifest = {
    pagelab: PAGELAB_VERSION,
    workload: { name: log.header.workload.name, seed: log.header.workload.seed, params: log.header.workload.params ?? {} },
    logSha256: log.sha256,
    command: ctx.commandLine,
    designs: designs.map(({ name, dir }) => ({ name, dir })),
  };
  return `${JSON.stringify(JSON.parse(stableStringify(manifest, { leadingKeys: ['pagelab', 'workload', 'logSha256', 'command', 'designs'] })), null, 2)}\n`;
}

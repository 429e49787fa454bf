/** `pagelab scenarios`: the named workloads, their params and the designs to compare them under. */
import { guarded, EXIT_OK, type LabContext } from '../context.js';

export function scenariosCommand(ctx: LabContext): Promise<number> {
  return guarded(ctx, async () => {
    const list = await ctx.loadScenarios();
    if (list.length === 0) {
      ctx.stdout('No scenarios are registered yet (@pagelab/workloads lists none). Replay a log file instead: pagelab run LOG --design linux-6.10\n');
      return EXIT_OK;
    }
    const out: string[] = [];
    for (const s of list) {
      out.push(`${s.name} — ${s.title}`);
      out.push(`  source:   ${s.source}`);
      out.push(`  expect:   ${s.expectation}`);
      out.push(`  designs:  ${s.designs.join(', ') || '(any)'}`);
      if (s.params.length === 0) out.push('  params:   none');
      else {
        out.push('  params:');
        const w = Math.max(...s.params.map((p) => `${p.name}=${String(p.default)}`.length));
        for (const p of s.params) out.push(`    ${`${p.name}=${String(p.default)}`.padEnd(w)}  ${p.description}`);
      }
      const compare = s.designs.length ? ` && pagelab compare ${s.name} --designs ${s.designs.join(',')}` : '';
      out.push(`  try:      pagelab run ${s.name} --design ${s.designs[0] ?? 'linux-6.10'}${compare}`);
      out.push('');
    }
    ctx.stdout(`${out.join('\n')}`);
    return EXIT_OK;
  });
}

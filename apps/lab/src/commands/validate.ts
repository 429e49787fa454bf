/** `pagelab validate LOG`: every bad line with its number, JSON path, expected and found value. */
import { formatReport } from '@pagelab/events';
import { EXIT_BAD_INPUT, EXIT_OK, guarded, type LabContext } from '../context.js';
import { validateFile } from '../log-source.js';

export function validateCommand(ctx: LabContext, file: string): Promise<number> {
  return guarded(ctx, async () => {
    const report = await validateFile(ctx, file);
    if (report.ok) {
      ctx.stdout(`${formatReport(report)}\n`);
      return EXIT_OK;
    }
    ctx.stderr(`${formatReport(report)}\n`);
    return EXIT_BAD_INPUT;
  });
}

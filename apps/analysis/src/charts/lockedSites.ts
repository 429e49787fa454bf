/** The call sites the locked-ops charts show by name, the rest summed as "other". */
/**
 * Keeps `n` sites, taking each design's busiest sites in turn (so a design
 * whose sites are all quieter than the baseline's still shows its own top
 * ones), ordered by their highest rate in any design; sums the rest per design
 * as "other".
 */
export function topSitesWithOther(
  rows: ReadonlyArray<{ design: string; site: string; rate: number }>,
  n: number,
): { rows: Array<{ design: string; site: string; rate: number }>; sites: string[]; grouped: number } {
  const peak = new Map<string, number>();
  const perDesign = new Map<string, Array<{ site: string; rate: number }>>();
  for (const r of rows) {
    if (r.rate <= 0) continue;
    peak.set(r.site, Math.max(peak.get(r.site) ?? 0, r.rate));
    (perDesign.get(r.design) ?? perDesign.set(r.design, []).get(r.design)!).push(r);
  }
  const byPeak = (a: string, b: string): number => peak.get(b)! - peak.get(a)! || a.localeCompare(b);
  const all = [...peak.keys()].sort(byPeak);
  if (all.length <= n + 1) return { rows: rows.filter((r) => peak.has(r.site)).map((r) => ({ ...r })), sites: all, grouped: 0 };
  const ranked = [...perDesign.values()].map((xs) => xs.sort((a, b) => b.rate - a.rate || a.site.localeCompare(b.site)).map((x) => x.site));
  const keep = new Set<string>();
  for (let rank = 0; keep.size < n; rank++) {
    let any = false;
    for (const sites of ranked) {
      const s = sites[rank];
      if (s === undefined) continue;
      any = true;
      if (keep.size < n) keep.add(s);
    }
    if (!any) break;
  }
  const other = new Map<string, number>();
  const out: Array<{ design: string; site: string; rate: number }> = [];
  for (const r of rows) {
    if (keep.has(r.site)) out.push({ ...r });
    else if (peak.has(r.site)) other.set(r.design, (other.get(r.design) ?? 0) + r.rate);
  }
  const grouped = all.length - keep.size;
  const otherName = `other (${grouped} sites)`;
  for (const [design, rate] of other) out.push({ design, site: otherName, rate });
  return { rows: out, sites: [...[...keep].sort(byPeak), otherName], grouped };
}

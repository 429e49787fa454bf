import { describe, expect, it } from 'vitest';
import { topSitesWithOther } from './lockedSites.js';

describe('topSitesWithOther', () => {
  it('keeps the busiest sites and sums the rest per design as "other"', () => {
    const rows = ['a', 'b', 'c', 'd'].flatMap((site, i) => [
      { design: 'x', site, rate: 10 - i },
      { design: 'y', site, rate: 1 },
    ]);
    const top = topSitesWithOther(rows, 2);
    expect(top.sites).toEqual(['a', 'b', 'other (2 sites)']);
    expect(top.rows.filter((r) => r.site.startsWith('other'))).toEqual([
      { design: 'x', site: 'other (2 sites)', rate: 8 + 7 },
      { design: 'y', site: 'other (2 sites)', rate: 2 },
    ]);
  });

  it("shows each design's own busiest sites, not only the baseline's", () => {
    const rows = [
      ...['a', 'b', 'c', 'd'].map((site, i) => ({ design: 'base', site, rate: 100 - i })),
      { design: 'new', site: 'z', rate: 5 },
      { design: 'new', site: 'y', rate: 4 },
    ];
    expect(topSitesWithOther(rows, 3).sites).toEqual(['a', 'b', 'z', 'other (3 sites)']);
  });

  it('does not make an "other" of a single site', () => {
    const rows = ['a', 'b', 'c'].map((site) => ({ design: 'x', site, rate: 1 }));
    expect(topSitesWithOther(rows, 2).sites).toEqual(['a', 'b', 'c']);
  });
});

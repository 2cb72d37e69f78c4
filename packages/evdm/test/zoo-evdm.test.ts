// EVDM and EVDM-L must be the paper's networks: parameter and GFLOP counts within 5% of every
// Table 2 row and of the Table 8 rows that follow from the paper's text, per-level Table 1 within 10%.
import { describe, expect, it } from 'vitest';
import { reproduceTable1, reproduceTable2, reproduceTable8 } from '../src/profile/reproduce';

// Rows whose published counts no faithful reading reproduces (docs/evdm-reconstruction.md §5.2); their
// numbers are still printed by `evdm reproduce table8` and discussed in the README.
const KNOWN_UNREPRODUCED = new Set(['EVDM+SO', 'EVDM+SO+Split']);

describe('paper structure tables', () => {
  it('Table 2: every dataset and model within 5% (params and GFLOPs)', () => {
    for (const r of reproduceTable2()) {
      expect(Math.abs(r.params_diff_pct!), `${r.dataset} ${r.model} params`).toBeLessThan(5);
      expect(Math.abs(r.gflops_diff_pct!), `${r.dataset} ${r.model} GFLOPs`).toBeLessThan(5);
    }
  });

  it('Table 8: ablation rows within 5%', () => {
    const rows = reproduceTable8();
    expect(rows.length).toBe(9);
    for (const r of rows) {
      if (KNOWN_UNREPRODUCED.has(r.model)) continue;
      expect(Math.abs(r.params_diff_pct!), `${r.model} params`).toBeLessThan(5);
      expect(Math.abs(r.gflops_diff_pct!), `${r.model} GFLOPs`).toBeLessThan(5);
    }
  });

  it('Table 1: per level conv params/GFLOPs and attention GFLOPs within 10%', () => {
    for (const r of reproduceTable1()) {
      if (r.paper_params !== null)
        expect(Math.abs(r.params_diff_pct!), `${r.model} L${r.level} ${r.kind} params`).toBeLessThan(10);
      if (r.paper_gflops === 0) expect(r.gflops).toBe(0);
      else expect(Math.abs(r.gflops_diff_pct!), `${r.model} L${r.level} ${r.kind} GFLOPs`).toBeLessThan(10);
    }
  });
});

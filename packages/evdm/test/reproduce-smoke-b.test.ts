// evdm reproduce table7/9 --smoke through the built CLI: the whole path at tiny scale, no external data.
import { describe, expect, it } from 'vitest';
import { checkEvalRows, smoke } from './reproduce-smoke.helpers';

const three = (d: string): Array<[string, string]> => [
  [d, 'mcvd'],
  [d, 'evdm-l'],
  [d, 'evdm'],
];

describe('evdm reproduce --smoke (tables 7, 9)', () => {
  it('table7: interpolation on SM-MNIST, KTH and BAIR for every model', () => {
    const { rows } = smoke('table7');
    checkEvalRows('table7', rows, [...three('smmnist'), ...three('kth'), ...three('bair')], { fvd: true, psnr: true });
    for (const r of rows) expect(r).toMatchObject({ mode: 'interpolate', past: 1, future: 1 });
  });
  it('table9: measured training and sampling step times of every model, with the paper numbers beside them', () => {
    const { rows } = smoke('table9');
    expect(rows.map((r) => r.model)).toEqual(['mcvd', 'evdm', 'evdm-l']);
    for (const r of rows) {
      for (const k of ['train_step_ms', 'sample_step_ms', 'extrapolated_train_hours', 'params'])
        expect(Number.isFinite(r[k]) && (r[k] as number) > 0, k).toBe(true);
      expect((r.paper_gpu_hours as number[]).length).toBe(2);
      expect((r.paper_latency_ms as number[]).length).toBe(2);
      expect(r.note).toMatch(/not A40 GPU-hours/);
      expect(r.smoke).toBe(true);
    }
  });
});

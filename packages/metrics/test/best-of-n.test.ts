import { describe, expect, it } from 'vitest';
import { bestOfN, bestOfNReport, summarize, Z95 } from '../src/best-of-n';

describe('best-of-N statistics (MCVD convention)', () => {
  it('Z95 is the 97.5% normal quantile (Simpson integral of the density)', () => {
    const steps = 2000;
    const h = Z95 / steps;
    const phi = (x: number) => Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);
    let s = phi(0) + phi(Z95);
    for (let i = 1; i < steps; i++) s += (i % 2 ? 4 : 2) * phi(i * h);
    expect(Math.abs((s * h) / 3 - 0.475)).toBeLessThan(1e-12);
  });

  it('summarize: mean, population std, 1.96·s/√n with the sample std', () => {
    const r = summarize([1, 2, 3, 4]);
    expect(r.n).toBe(4);
    expect(r.mean).toBe(2.5);
    expect(Math.abs(r.std - Math.sqrt(1.25))).toBeLessThan(1e-15);
    expect(Math.abs(r.ci95 - (Z95 * Math.sqrt(5 / 3)) / 2)).toBeLessThan(1e-15);
    expect(Number.isNaN(summarize([3]).ci95)).toBe(true);
    expect(() => summarize([])).toThrow(/no values/);
  });

  it('bestOfN takes N consecutive samples per clip', () => {
    expect(Array.from(bestOfN([1, 5, 2, 7, 3, 0], 3, 'max'))).toEqual([5, 7]);
    expect(Array.from(bestOfN([1, 5, 2, 7, 3, 0], 3, 'min'))).toEqual([1, 0]);
    expect(Array.from(bestOfN([1, 5, 2, 7, 3, 0], 2, 'max'))).toEqual([5, 7, 3]);
    expect(() => bestOfN([1, 2, 3], 2, 'max')).toThrow(/not a whole number of clips of 2/);
    expect(() => bestOfN([1, 2], 0, 'max')).toThrow(/positive integer/);
  });

  it('bestOfNReport: PSNR of the best sample is the PSNR of the min MSE', () => {
    const mse = [0.01, 0.001, 0.1, 0.02, 0.5, 0.04];
    const ssim = [0.5, 0.9, 0.7, 0.6, 0.1, 0.2];
    const r = bestOfNReport({ mse, ssim }, 3);
    expect(r.mse.mean).toBeCloseTo((0.001 + 0.02) / 2, 15);
    expect(Math.abs(r.psnr.mean - (30 + 10 * Math.log10(50)) / 2)).toBeLessThan(1e-12);
    expect(r.ssim!.mean).toBeCloseTo((0.9 + 0.6) / 2, 15);
    expect(r.ssim_uniform7).toBeUndefined();
    expect(() => bestOfNReport({ mse, ssim: [1] }, 3)).toThrow(/ssim has 1 values but mse has 6/);
  });
});

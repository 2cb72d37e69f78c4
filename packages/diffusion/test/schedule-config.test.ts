import { describe, expect, it } from 'vitest';
import { NoiseSchedule, resolveScheduleConfig } from '../src/schedule';

describe('NoiseSchedule config', () => {
  it('defaults to the MCVD/EVDM linear schedule 1e-4..0.02, T = 1000', () => {
    const s = new NoiseSchedule();
    expect(s.toJSON()).toEqual({ kind: 'linear', T: 1000, betaStart: 1e-4, betaEnd: 0.02, prediction: 'eps' });
    expect(s.betas[0]).toBe(1e-4);
    expect(s.betas[999]).toBe(0.02);
    expect(NoiseSchedule.cosine().toJSON()).toEqual({ kind: 'cosine', T: 1000, s: 0.008, maxBeta: 0.999, prediction: 'eps' });
    expect(new NoiseSchedule({ kind: 'cosine', prediction: 'v' }).prediction).toBe('v');
    expect(() => new NoiseSchedule({ prediction: 'x0' } as never)).toThrow(/prediction must be 'eps' or 'v', got "x0"/);
  });

  it('round-trips through JSON (object and string) to identical arrays', () => {
    for (const s of [NoiseSchedule.linear(37, 2e-4, 0.05), NoiseSchedule.cosine(50, 0.01, 0.9)]) {
      const text = JSON.stringify(s);
      const back = NoiseSchedule.fromJSON(text);
      expect(back.toJSON()).toEqual(s.toJSON());
      expect(Array.from(back.posteriorMeanCoef2)).toEqual(Array.from(s.posteriorMeanCoef2));
      expect(NoiseSchedule.fromJSON(JSON.parse(text)).T).toBe(s.T);
    }
  });

  it('works for any T and satisfies the defining identities', () => {
    const s = NoiseSchedule.linear(7);
    let prod = 1;
    for (let t = 0; t < 7; t++) {
      prod *= 1 - s.betas[t];
      expect(s.alphasCumprod[t]).toBeCloseTo(prod, 15);
      // noise-free x_t = sqrt(abar_t) x0 must have posterior mean sqrt(abar_{t-1}) x0
      const mean = s.posteriorMeanCoef1[t] + s.posteriorMeanCoef2[t] * Math.sqrt(s.alphasCumprod[t]);
      expect(mean).toBeCloseTo(Math.sqrt(s.alphasCumprodPrev[t]), 12); // 1 − ᾱ_0 = β_0 cancels ~4 digits
    }
    expect(s.posteriorVariance[0]).toBe(0);
    expect(s.posteriorLogVarianceClipped[0]).toBe(Math.log(s.posteriorVariance[1]));
  });

  it('rejects bad configs with errors that name the field', () => {
    expect(() => new NoiseSchedule({ T: 1 })).toThrow(/T must be an integer >= 2/);
    expect(() => new NoiseSchedule({ T: 10.5 })).toThrow(/T must be an integer/);
    expect(() => new NoiseSchedule({ betaStart: 0 })).toThrow(/betaStart must lie in \(0, 1\)/);
    expect(() => new NoiseSchedule({ betaEnd: 1 })).toThrow(/betaEnd/);
    expect(() => new NoiseSchedule({ betaEnd: Number.NaN })).toThrow(/betaEnd must be a finite number/);
    expect(() => new NoiseSchedule({ kind: 'cosine', maxBeta: 1 })).toThrow(/maxBeta/);
    expect(() => new NoiseSchedule({ kind: 'cosine', s: -1 })).toThrow(/s must be >= 0/);
    expect(() => resolveScheduleConfig({ kind: 'quadratic' })).toThrow(/kind must be 'linear' or 'cosine'/);
    expect(() => resolveScheduleConfig({ kind: 'linear', s: 0.008 })).toThrow(/unknown field "s"/);
    expect(() => NoiseSchedule.fromJSON('{"T": 10}')).toThrow(/"kind"/);
    expect(() => NoiseSchedule.fromJSON(null)).toThrow(/"kind"/);
    expect(() => new NoiseSchedule().checkTimestep(1000)).toThrow(/\[0, 999\], got 1000/);
  });
});

import { describe, expect, it } from 'vitest';
import { Rng } from '../src/rng';

describe('Rng', () => {
  it('is deterministic per seed and differs across seeds', () => {
    const a = new Rng(42);
    const b = new Rng(42);
    const c = new Rng(43);
    const sa = Array.from({ length: 5 }, () => a.nextUint32());
    expect(Array.from({ length: 5 }, () => b.nextUint32())).toEqual(sa);
    expect(Array.from({ length: 5 }, () => c.nextUint32())).not.toEqual(sa);
  });

  it('restores its exact stream from state(), including the spare normal', () => {
    const a = new Rng(7);
    a.normal();
    const st = JSON.parse(JSON.stringify(a.state()));
    const ahead = [a.normal(), a.uniform(), a.int(0, 9)];
    const b = Rng.fromState(st);
    expect([b.normal(), b.uniform(), b.int(0, 9)]).toEqual(ahead);
  });

  it('draws uniform, integer and normal values with the right moments', () => {
    const r = new Rng(1);
    const n = 200_000;
    let su = 0,
      sn = 0,
      sn2 = 0;
    const counts = new Array(6).fill(0);
    for (let i = 0; i < n; i++) {
      const u = r.uniform();
      expect(u >= 0 && u < 1).toBe(true);
      su += u;
      const z = r.normal();
      sn += z;
      sn2 += z * z;
      counts[r.int(0, 5)]++;
    }
    expect(Math.abs(su / n - 0.5)).toBeLessThan(0.005);
    expect(Math.abs(sn / n)).toBeLessThan(0.01);
    expect(Math.abs(sn2 / n - 1)).toBeLessThan(0.02);
    for (const c of counts) expect(Math.abs(c / n - 1 / 6)).toBeLessThan(0.005);
  });

  it('rejects bad arguments with clear errors', () => {
    expect(() => new Rng(1.5)).toThrow(/integer/);
    expect(() => new Rng(1).int(3, 2)).toThrow(/lo <= hi/);
  });
});

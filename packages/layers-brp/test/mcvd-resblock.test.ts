import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { ParamStore, Rng, sumFlops, type ParamReader } from '@evdm/core';
import { gradCheck, leakedTensors, maxAbsDiff, useCpu } from '../../../test-utils/tf';
import { McvdResBlock } from '../src/mcvd-resblock';
import { firDownsample } from '../src/fir';
import { mcvdNumbers, resblockRows } from './reference';

const numbers = mcvdNumbers();

/** docs/mcvd-reference.md §4.3 closed form (+ §4.7 SPADE per normalised width). */
function closedForm(cin: number, cout: number, t: number, resample: boolean, spade?: { cond: number; sd: number }): number {
  let n = (2 * t + 2) * cin + 9 * cin * cout + cout + (2 * t + 2) * cout + 9 * cout * cout + cout;
  if (cin !== cout || resample) n += cin * cout + cout;
  if (spade) for (const ch of [cin, cout]) n += 9 * spade.cond * spade.sd + spade.sd + 2 * (9 * spade.sd * ch + ch);
  return n;
}

/** A reader over random (non-zero) weights so every path of the block matters. */
function randomStore(block: { paramSpecs(): import('@evdm/core').ParamSpec[] }, seed: number): ParamStore {
  const specs = block
    .paramSpecs()
    .map((s) => ({ ...s, init: { kind: 'varianceScaling' as const, scale: 1, fanIn: 4, fanOut: 4 } }));
  return new ParamStore(specs, new Rng(seed));
}

describe('McvdResBlock parameter and FLOP counts vs the MCVD reference (all presets)', () => {
  for (const [preset, p] of Object.entries(numbers.presets)) {
    const t = 4 * p.config.ngf;
    const spade = p.config.spade
      ? { condChannels: p.config.channels * p.config.num_frames_cond, hiddenChannels: p.config.spade_dim! }
      : undefined;
    it(`${preset}: every ResBlock's params equal the module count and the closed form of docs/mcvd-reference.md §4.3`, () => {
      const rows = resblockRows(p);
      expect(rows.length).toBe(28);
      for (const r of rows) {
        const blk = new McvdResBlock({
          name: `m${r.idx}`,
          inChannels: r.in_ch!,
          outChannels: r.out_ch!,
          tembChannels: t,
          resample: r.resample,
          spade,
        });
        expect(blk.paramCount(), `module ${r.idx}`).toBe(r.params);
        expect(blk.paramCount()).toBe(
          closedForm(
            r.in_ch!,
            r.out_ch!,
            t,
            r.resample !== 'none',
            spade && { cond: spade.condChannels, sd: spade.hiddenChannels },
          ),
        );
      }
    });
    it(`${preset}: every ResBlock's fvcore FLOPs (batch 64) equal conv MACs + 4·GN elements (+ SPADE convs + resize)`, () => {
      for (const r of resblockRows(p)) {
        const blk = new McvdResBlock({
          name: 'b',
          inChannels: r.in_ch!,
          outChannels: r.out_ch!,
          tembChannels: t,
          resample: r.resample,
          spade,
        });
        const f = blk.flops(64, r.inRes, r.inRes);
        const conv = (r.conv3x3_macs ?? 0) + (r.conv1x1_macs ?? 0) + (r.spade_conv3x3_macs ?? 0);
        expect(sumFlops(f, 'conv'), `module ${r.idx} conv`).toBe(conv);
        expect(sumFlops(f, 'norm'), `module ${r.idx} norm`).toBe(4 * r.gn_elems_noaffine!);
        expect(sumFlops(f, 'other'), `module ${r.idx} resize`).toBe(r.upsample_nearest_elems ?? 0);
      }
    });
  }

  it('KTH: ResBlock FLOPs per stage level reproduce EVDM Table 1 "conv" (docs/mcvd-reference.md §12 E, ResBlocks only)', () => {
    const p = numbers.presets['kth_paper']!;
    const levels = [0, 0, 0, 0];
    for (const r of resblockRows(p)) {
      const blk = new McvdResBlock({
        name: 'b',
        inChannels: r.in_ch!,
        outChannels: r.out_ch!,
        tembChannels: 384,
        resample: r.resample,
      });
      levels[r.level_stage!]! += sumFlops(blk.flops(64, r.inRes, r.inRes)) / 1e9;
    }
    // docs/mcvd-reference.md §12 Table 1 split, kth_paper conv L1..L4 (3 decimals; paper: 334.33/483.53/274.08/139.67)
    const spec = [334.328, 483.524, 274.073, 139.655];
    levels.forEach((v, i) => expect(Math.abs(v - spec[i]!)).toBeLessThan(6e-4));
  });
});

describe('McvdResBlock forward semantics', () => {
  beforeAll(useCpu);
  const temb = tf.randomNormal([2, 16], 0, 1, 'float32', 2) as tf.Tensor2D;

  it('is (shortcut(x) + h)/√2: with zero Conv_1 an identity block returns x/√2 exactly', () => {
    const blk = new McvdResBlock({ name: 'r', inChannels: 8, outChannels: 8, tembChannels: 16 });
    const store = randomStore(blk, 1);
    store.variables()['r/conv1/kernel']!.assign(tf.zeros([3, 3, 8, 8]) as tf.Tensor4D);
    store.variables()['r/conv1/bias']!.assign(tf.zeros([8]));
    const x = tf.randomNormal([2, 4, 4, 8], 0, 1, 'float32', 3) as tf.Tensor4D;
    const y = blk.apply(store.read, x, { temb });
    expect(maxAbsDiff(y.dataSync(), tf.mul(x, Math.SQRT1_2).dataSync())).toBe(0);
    store.dispose();
  });

  it('down block: FIR on the shortcut branch, then the 1x1 shortcut conv', () => {
    const blk = new McvdResBlock({ name: 'r', inChannels: 4, outChannels: 4, tembChannels: 16, resample: 'down' });
    const store = randomStore(blk, 2);
    store.variables()['r/conv1/kernel']!.assign(tf.zeros([3, 3, 4, 4]) as tf.Tensor4D);
    store.variables()['r/conv1/bias']!.assign(tf.zeros([4]));
    store.variables()['r/shortcut/kernel']!.assign(tf.reshape(tf.eye(4), [1, 1, 4, 4]) as tf.Tensor4D);
    store.variables()['r/shortcut/bias']!.assign(tf.zeros([4]));
    const x = tf.randomNormal([2, 8, 8, 4], 0, 1, 'float32', 4) as tf.Tensor4D;
    const y = blk.apply(store.read, x, { temb });
    expect(y.shape).toEqual([2, 4, 4, 4]);
    expect(maxAbsDiff(y.dataSync(), tf.mul(firDownsample(x), Math.SQRT1_2).dataSync())).toBeLessThan(1e-6);
    store.dispose();
  });

  it('initialises like MCVD: Conv_1 ≈ 0 (scale 1e-10), biases 0, deterministic per seed', () => {
    const blk = new McvdResBlock({ name: 'r', inChannels: 8, outChannels: 16, tembChannels: 16 });
    const a = new ParamStore(blk.paramSpecs(), new Rng(7));
    const b = new ParamStore(blk.paramSpecs(), new Rng(7));
    expect(tf.max(tf.abs(a.read('r/conv1/kernel'))).dataSync()[0]).toBeLessThan(1e-5);
    expect(tf.max(tf.abs(a.read('r/conv0/bias'))).dataSync()[0]).toBe(0);
    const lim = Math.sqrt(3 / ((9 * 8 + 9 * 16) / 2)); // fan_avg uniform limit of Conv_0
    const k0 = a.read('r/conv0/kernel');
    expect(tf.max(tf.abs(k0)).dataSync()[0]).toBeLessThanOrEqual(lim);
    expect(tf.max(tf.abs(k0)).dataSync()[0]).toBeGreaterThan(0.9 * lim);
    expect(maxAbsDiff(k0.dataSync(), b.read('r/conv0/kernel').dataSync())).toBe(0);
    expect(a.read('r/shortcut/kernel').shape).toEqual([1, 1, 8, 16]);
    a.dispose();
    b.dispose();
  });

  it('dropout: seeded and reproducible in training, off (deterministic) otherwise; needs a seed', () => {
    const blk = new McvdResBlock({ name: 'r', inChannels: 8, outChannels: 8, tembChannels: 16, dropout: 0.5 });
    const store = randomStore(blk, 3);
    const x = tf.randomNormal([2, 4, 4, 8], 0, 1, 'float32', 5) as tf.Tensor4D;
    const run = (ctx: object) => blk.apply(store.read, x, { temb, ...ctx }).dataSync();
    expect(maxAbsDiff(run({ training: true, seed: 1 }), run({ training: true, seed: 1 }))).toBe(0);
    expect(maxAbsDiff(run({ training: true, seed: 1 }), run({ training: true, seed: 2 }))).toBeGreaterThan(1e-3);
    expect(maxAbsDiff(run({ training: false, seed: 1 }), run({}))).toBe(0);
    expect(maxAbsDiff(run({ training: true, seed: 1 }), run({}))).toBeGreaterThan(1e-3);
    expect(() => run({ training: true })).toThrow(/needs ctx\.seed/);
    store.dispose();
  });

  it('SPADE: cond is resized (nearest) to every norm; shapes, errors', () => {
    const blk = new McvdResBlock({
      name: 's',
      inChannels: 8,
      outChannels: 16,
      tembChannels: 16,
      resample: 'up',
      spade: { condChannels: 3, hiddenChannels: 4 },
    });
    const store = randomStore(blk, 4);
    const x = tf.randomNormal([2, 4, 4, 8], 0, 1, 'float32', 6) as tf.Tensor4D;
    const cond = tf.randomNormal([2, 16, 16, 3], 0, 1, 'float32', 7) as tf.Tensor4D;
    const y = blk.apply(store.read, x, { temb, cond });
    expect(y.shape).toEqual([2, 8, 8, 16]);
    expect(() => blk.apply(store.read, x, { temb })).toThrow(/SPADE needs ctx\.cond/);
    // the conditioning actually matters
    const y2 = blk.apply(store.read, x, { temb, cond: tf.mul(cond, 2) as tf.Tensor4D });
    expect(maxAbsDiff(y.dataSync(), y2.dataSync())).toBeGreaterThan(1e-3);
    store.dispose();
  });
});

describe('McvdResBlock gradients (finite differences) and leaks', () => {
  beforeAll(useCpu);
  const cases = [
    { resample: 'none' as const, cin: 8, cout: 16, hw: 4 },
    { resample: 'down' as const, cin: 8, cout: 8, hw: 8 },
    { resample: 'up' as const, cin: 8, cout: 8, hw: 4 },
  ];
  for (const c of cases) {
    it(`${c.resample} ${c.cin}→${c.cout}: d/dx, d/dConv_0, d/dDense_1, d/dShortcut`, () => {
      const blk = new McvdResBlock({ name: 'g', inChannels: c.cin, outChannels: c.cout, tembChannels: 8, resample: c.resample });
      const store = randomStore(blk, 11);
      const x = tf.randomNormal([1, c.hw, c.hw, c.cin], 0, 1, 'float32', 12) as tf.Tensor4D;
      const temb = tf.randomNormal([1, 8], 0, 1, 'float32', 13) as tf.Tensor2D;
      const names = ['g/conv0/kernel', 'g/norm1/dense/kernel', 'g/conv1/kernel', 'g/shortcut/kernel'].filter((n) =>
        store.specs.some((s) => s.name === n),
      );
      const f = (xx: tf.Tensor, ...ws: tf.Tensor[]) => {
        const read: ParamReader = (n) => {
          const i = names.indexOf(n);
          return i >= 0 ? ws[i]! : store.read(n);
        };
        return blk.apply(read, xx as tf.Tensor4D, { temb });
      };
      const err = gradCheck(f, [x, ...names.map((n) => store.read(n))], { eps: 1e-2, probes: 5 });
      expect(err).toBeLessThan(2e-2);
      expect(leakedTensors(() => tf.dispose(blk.apply(store.read, x, { temb })))).toBe(0);
      store.dispose();
    });
  }
});

describe('McvdResBlock config validation', () => {
  it('throws clear errors at construction', () => {
    const base = { name: 'v', inChannels: 8, outChannels: 8, tembChannels: 16 };
    expect(() => new McvdResBlock({ ...base, inChannels: -8 })).toThrow(/inChannels must be a positive integer, got -8/);
    expect(() => new McvdResBlock({ ...base, outChannels: 2.5 })).toThrow(/outChannels must be a positive integer/);
    expect(() => new McvdResBlock({ ...base, resample: 'sideways' as never })).toThrow(/resample must be one of/);
    expect(() => new McvdResBlock({ ...base, dropout: 1.5 })).toThrow(/dropout must be a number in \[0, 1\)/);
    expect(() => new McvdResBlock({ ...base, name: '' })).toThrow(/name must be a non-empty string/);
    expect(() => new McvdResBlock({ ...base, spade: { condChannels: 0, hiddenChannels: 4 } })).toThrow(/spade.condChannels/);
  });
  it('rejects bad inputs at apply time before tfjs sees them', () => {
    const blk = new McvdResBlock({ name: 'v', inChannels: 8, outChannels: 8, tembChannels: 16, resample: 'down' });
    const read: ParamReader = () => {
      throw new Error('should not be reached');
    };
    const temb = tf.zeros([1, 16]) as tf.Tensor2D;
    expect(() => blk.apply(read, tf.zeros([1, 4, 4, 6]) as tf.Tensor4D, { temb })).toThrow(
      /x has 6 channels, expected inChannels = 8/,
    );
    expect(() => blk.apply(read, tf.zeros([1, 5, 4, 8]) as tf.Tensor4D, { temb })).toThrow(/even height and width/);
    expect(() => blk.apply(read, tf.zeros([1, 4, 4, 8]) as tf.Tensor4D, { temb: tf.zeros([1, 8]) as tf.Tensor2D })).toThrow(
      /ctx.temb must have shape \[1, 16\]/,
    );
  });
});

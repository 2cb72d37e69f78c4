import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { ParamStore, Rng, sumFlops, type ParamReader, type ParamSpec } from '@evdm/core';
import { gradCheck, leakedTensors, maxAbsDiff, useCpu } from '../../../test-utils/tf';
import { BottleneckResidualPathway, type BrpConfig } from '../src/brp';
import { channelShuffle } from '../src/grouped-conv';
import { firUpsample } from '../src/fir';
import { mcvdNumbers, resblockRows } from './reference';

const kth = mcvdNumbers().presets['kth_paper']!;

/** docs/evdm-reconstruction.md §2 closed form (no Split): per procedure + shortcut. */
function closedForm(cin: number, co: number, t: number, delta: number, eh: boolean, resample: boolean, groups = 1): number {
  const b = co / delta;
  const proc = (c: number) =>
    (2 * t + 2) * c + (c + 1) * b + (eh ? (2 * t + 2) * b : 2 * b) + ((9 * b + 1) * co) / 2 + ((b + 1) * co) / 2;
  return proc(cin) + proc(co) + (cin !== co || resample ? (cin * co) / groups + co : 0);
}

function perLevel(opts: Partial<BrpConfig>): { params: number[]; gflops: number[] } {
  const params = [0, 0, 0, 0];
  const gflops = [0, 0, 0, 0];
  for (const r of resblockRows(kth)) {
    const blk = new BottleneckResidualPathway({
      name: 'b',
      inChannels: r.in_ch!,
      outChannels: r.out_ch!,
      tembChannels: 384,
      resample: r.resample,
      ...opts,
    });
    params[r.level_stage!]! += blk.paramCount() / 1e6;
    gflops[r.level_stage!]! += sumFlops(blk.flops(64, r.inRes, r.inRes)) / 1e9;
  }
  return { params, gflops };
}

function randomStore(specs: ParamSpec[], seed: number): ParamStore {
  return new ParamStore(
    specs.map((s) => ({ ...s, init: { kind: 'varianceScaling' as const, scale: 1, fanIn: 4, fanOut: 4 } })),
    new Rng(seed),
  );
}

describe('BRP counts reproduce the paper tables through the reconstruction (KTH, 28 blocks, batch 64)', () => {
  it('params follow the docs/evdm-reconstruction.md §2 closed form for every KTH block (δ 4/8, eh on/off, SO)', () => {
    for (const r of resblockRows(kth)) {
      for (const [delta, eh, g] of [
        [4, true, 1],
        [4, false, 1],
        [8, true, 4],
      ] as const) {
        const blk = new BottleneckResidualPathway({
          name: 'b',
          inChannels: r.in_ch!,
          outChannels: r.out_ch!,
          tembChannels: 384,
          resample: r.resample,
          delta,
          temporalEnhancement: eh,
          shortcutGroups: g,
        });
        expect(blk.paramCount()).toBe(closedForm(r.in_ch!, r.out_ch!, 384, delta, eh, r.resample !== 'none', g));
      }
    }
  });

  it('EVDM (δ=4, eh): Table 1 conv params 1.66/4.07/6.99/11.4 M and GFLOPs 59.78/95.7/53.9/26.82', () => {
    const { params, gflops } = perLevel({ delta: 4 });
    // docs/evdm-reconstruction.md §3 (4 decimals) and the paper's Table 1 (2 decimals)
    [1.6551, 4.0718, 6.9949, 11.3994].forEach((v, i) => expect(Math.abs(params[i]! - v)).toBeLessThan(6e-5));
    [59.781, 95.699, 53.897, 26.821].forEach((v, i) => expect(Math.abs(gflops[i]! - v)).toBeLessThan(1.1e-3));
    [1.66, 4.07, 6.99, 11.4].forEach((v, i) => expect(Math.abs(params[i]! - v)).toBeLessThan(5.1e-3));
    [59.78, 95.7, 53.9, 26.82].forEach((v, i) => expect(Math.abs(gflops[i]! - v)).toBeLessThan(5.1e-3));
  });

  it('EVDM-L (δ=8, eh, Split, SO N_g=4): Table 1 conv params 1.36/2.99/4.72/7.26 M and GFLOPs 16.77/25.22/13.93/6.86', () => {
    const { params, gflops } = perLevel({ delta: 8, channelSplit: true, shortcutGroups: 4 });
    [1.3592, 2.9866, 4.7276, 7.2606].forEach((v, i) => expect(Math.abs(params[i]! - v)).toBeLessThan(6e-5));
    [16.767, 25.219, 13.934, 6.853].forEach((v, i) => expect(Math.abs(gflops[i]! - v)).toBeLessThan(6e-4));
  });

  it('BRP-eh flag: +2.69 M params and −0.155 GFLOPs (Table 8 rows 2 → 3)', () => {
    const on = perLevel({ delta: 4, temporalEnhancement: true });
    const off = perLevel({ delta: 4, temporalEnhancement: false });
    const s = (a: number[]) => a.reduce((x, y) => x + y, 0);
    expect(s(on.params) - s(off.params)).toBeCloseTo(2.691, 3);
    expect(s(on.gflops) - s(off.gflops)).toBeCloseTo(-0.155, 3);
  });

  it("enhancementWidth 'C' halves every enhancement Linear", () => {
    const a = new BottleneckResidualPathway({ name: 'b', inChannels: 64, outChannels: 128, tembChannels: 256 });
    const b = new BottleneckResidualPathway({
      name: 'b',
      inChannels: 64,
      outChannels: 128,
      tembChannels: 256,
      enhancementWidth: 'C',
    });
    const widths = [64, 32, 128, 32]; // norm_in and norm_b of both procedures
    expect(a.paramCount() - b.paramCount()).toBe(widths.reduce((s, c) => s + (256 + 1) * c, 0));
    expect(sumFlops(a.flops(2, 8, 8))).toBe(sumFlops(b.flops(2, 8, 8))); // Linears count 0 FLOPs
  });
});

describe('BRP forward semantics', () => {
  beforeAll(useCpu);
  const temb = tf.randomNormal([2, 8], 0, 1, 'float32', 2) as tf.Tensor2D;
  const zeroLastConvs = (store: ParamStore) => {
    for (const s of store.specs) if (/proc1\/path(3x3|1x1)\//.test(s.name)) store.variables()[s.name]!.assign(tf.zeros(s.shape));
  };

  it('identity shortcut: with the last paths zeroed the block returns x/√2 exactly (SO leaves it identity)', () => {
    const blk = new BottleneckResidualPathway({ name: 'p', inChannels: 16, outChannels: 16, tembChannels: 8, shortcutGroups: 4 });
    expect(blk.paramSpecs().some((s) => s.name.includes('shortcut'))).toBe(false);
    const store = randomStore(blk.paramSpecs(), 1);
    zeroLastConvs(store);
    const x = tf.randomNormal([2, 4, 4, 16], 0, 1, 'float32', 3) as tf.Tensor4D;
    expect(maxAbsDiff(blk.apply(store.read, x, { temb }).dataSync(), tf.mul(x, Math.SQRT1_2).dataSync())).toBe(0);
    store.dispose();
  });

  it('SO shortcut = channelShuffle(grouped 1x1 conv(FIR(x))), kernel [1,1,cin/4,cout]', () => {
    const blk = new BottleneckResidualPathway({
      name: 'p',
      inChannels: 8,
      outChannels: 16,
      tembChannels: 8,
      resample: 'up',
      shortcutGroups: 4,
    });
    const store = randomStore(blk.paramSpecs(), 2);
    zeroLastConvs(store);
    expect(store.read('p/shortcut/kernel').shape).toEqual([1, 1, 2, 16]);
    const x = tf.randomNormal([2, 4, 4, 8], 0, 1, 'float32', 4) as tf.Tensor4D;
    const y = blk.apply(store.read, x, { temb });
    expect(y.shape).toEqual([2, 8, 8, 16]);
    // reference: dense block-diagonal kernel built on the host, then shuffle
    const k = store.read('p/shortcut/kernel').dataSync();
    const dense = new Float32Array(8 * 16);
    for (let i = 0; i < 2; i++) for (let o = 0; o < 16; o++) dense[(Math.floor(o / 4) * 2 + i) * 16 + o] = k[i * 16 + o]!;
    const ref = channelShuffle(
      tf.add(
        tf.conv2d(firUpsample(x), tf.tensor4d(dense, [1, 1, 8, 16]), 1, 'valid'),
        store.read('p/shortcut/bias'),
      ) as tf.Tensor4D,
      4,
    );
    expect(maxAbsDiff(y.dataSync(), tf.mul(ref, Math.SQRT1_2).dataSync())).toBeLessThan(1e-5);
    store.dispose();
  });

  it('Split: output shapes for expand / reduce cases and resampling; direct-link channels carry the input', () => {
    for (const [cin, cout, resample, hw, ohw] of [
      [8, 16, 'down', 8, 4],
      [24, 16, 'up', 4, 8],
      [16, 16, 'none', 4, 4],
    ] as const) {
      const blk = new BottleneckResidualPathway({
        name: 's',
        inChannels: cin,
        outChannels: cout,
        tembChannels: 8,
        resample,
        channelSplit: true,
        shortcutGroups: 4,
        delta: 8,
      });
      const store = randomStore(blk.paramSpecs(), 5);
      const x = tf.randomNormal([2, hw, hw, cin], 0, 1, 'float32', 6) as tf.Tensor4D;
      expect(blk.apply(store.read, x, { temb }).shape).toEqual([2, ohw, ohw, cout]);
      store.dispose();
    }
    // identity block, Split: zero every conv → h = shuffled [0, 0, direct]; the direct link of proc1
    // (first cout/2 channels of x) reaches the output through the proc2 split.
    const blk = new BottleneckResidualPathway({ name: 's', inChannels: 8, outChannels: 8, tembChannels: 8, channelSplit: true });
    const store = randomStore(blk.paramSpecs(), 7);
    for (const s of store.specs) if (/path|bottleneck/.test(s.name)) store.variables()[s.name]!.assign(tf.zeros(s.shape));
    const x = tf.randomNormal([1, 2, 2, 8], 0, 1, 'float32', 8) as tf.Tensor4D;
    const y = tf.sub(tf.mul(blk.apply(store.read, x, { temb: tf.slice(temb, [0, 0], [1, 8]) }), Math.SQRT2), x);
    // proc0: concat[p3 (2), p1 (2), x[0:4]] shuffled(2) → channels 1,3,5,7 = x0..x3 interleaved
    // proc1: direct = its input's first 4 channels = [0, x0, 0, x1]; output shuffled → nonzero at 2·k+1 for k = 1, 3 (x0), …
    const yv = y.arraySync() as number[][][][];
    const xv = x.arraySync() as number[][][][];
    // out = shuffle2(concat[0,0,0,0, 0,x0,0,x1]) → index k from perm [0,4,1,5,2,6,3,7]: out[3]=x0, out[7]=x1
    expect(yv[0]![0]![0]![3]).toBeCloseTo(xv[0]![0]![0]![0]!, 5);
    expect(yv[0]![0]![0]![7]).toBeCloseTo(xv[0]![0]![0]![1]!, 5);
    for (const k of [0, 1, 2, 4, 5, 6]) expect(yv[0]![0]![0]![k]).toBeCloseTo(0, 6);
    store.dispose();
  });

  it('fresh init is ≈ shortcut (last path convs at scale 1e-10) and deterministic per seed', () => {
    const blk = new BottleneckResidualPathway({ name: 'p', inChannels: 16, outChannels: 16, tembChannels: 8 });
    const a = new ParamStore(blk.paramSpecs(), new Rng(3));
    const x = tf.randomNormal([2, 4, 4, 16], 0, 1, 'float32', 9) as tf.Tensor4D;
    expect(maxAbsDiff(blk.apply(a.read, x, { temb }).dataSync(), tf.mul(x, Math.SQRT1_2).dataSync())).toBeLessThan(1e-4);
    const b = new ParamStore(blk.paramSpecs(), new Rng(3));
    expect(maxAbsDiff(a.read('p/proc0/bottleneck/kernel').dataSync(), b.read('p/proc0/bottleneck/kernel').dataSync())).toBe(0);
    a.dispose();
    b.dispose();
  });

  it('dropout is seeded in training and off otherwise', () => {
    const blk = new BottleneckResidualPathway({ name: 'p', inChannels: 8, outChannels: 8, tembChannels: 8, dropout: 0.5 });
    const store = randomStore(blk.paramSpecs(), 4);
    const x = tf.randomNormal([2, 4, 4, 8], 0, 1, 'float32', 10) as tf.Tensor4D;
    const run = (ctx: object) => blk.apply(store.read, x, { temb, ...ctx }).dataSync();
    expect(maxAbsDiff(run({ training: true, seed: 3 }), run({ training: true, seed: 3 }))).toBe(0);
    expect(maxAbsDiff(run({ training: true, seed: 3 }), run({ training: true, seed: 4 }))).toBeGreaterThan(1e-3);
    expect(maxAbsDiff(run({ training: false }), run({}))).toBe(0);
    expect(() => run({ training: true })).toThrow(/needs ctx\.seed/);
    store.dispose();
  });
});

describe('BRP gradients (finite differences) and leaks', () => {
  beforeAll(useCpu);
  const variants: Array<[string, Partial<BrpConfig>, number, number, number]> = [
    ['EVDM δ4 eh, 8→16', { delta: 4, activation: 'silu' }, 8, 16, 4],
    ['no eh (affine GN), relu, down 16→16', { delta: 4, temporalEnhancement: false, resample: 'down' }, 16, 16, 8],
    [
      'EVDM-L: Split + SO(4), δ8, up 16→8',
      { delta: 8, channelSplit: true, shortcutGroups: 4, resample: 'up', activation: 'silu' },
      16,
      8,
      4,
    ],
    ["enhancementWidth 'C', Split expand 8→16", { enhancementWidth: 'C', channelSplit: true, activation: 'silu' }, 8, 16, 4],
  ];
  for (const [label, opts, cin, cout, hw] of variants) {
    it(`${label}: d/dx and d/d(a few weights)`, () => {
      const blk = new BottleneckResidualPathway({ name: 'g', inChannels: cin, outChannels: cout, tembChannels: 8, ...opts });
      const store = randomStore(blk.paramSpecs(), 21);
      const x = tf.randomNormal([1, hw, hw, cin], 0, 1, 'float32', 22) as tf.Tensor4D;
      const temb = tf.randomNormal([1, 8], 0, 1, 'float32', 23) as tf.Tensor2D;
      const names = [
        'g/proc0/bottleneck/kernel',
        'g/proc0/norm_in/enhance/kernel',
        'g/proc1/path3x3/kernel',
        'g/proc0/norm_b/gamma',
        'g/shortcut/kernel',
      ].filter((n) => store.specs.some((s) => s.name === n));
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

describe('BRP config validation', () => {
  const base = { name: 'v', inChannels: 16, outChannels: 32, tembChannels: 8 };
  it('throws clear errors at construction', () => {
    expect(() => new BottleneckResidualPathway({ ...base, delta: 3 })).toThrow(
      /delta must divide outChannels: 3 does not divide 32/,
    );
    expect(() => new BottleneckResidualPathway({ ...base, delta: 0 })).toThrow(/delta must be a positive integer, got 0/);
    expect(() => new BottleneckResidualPathway({ ...base, shortcutGroups: 3 })).toThrow(
      /shortcutGroups must divide inChannels: 3 does not divide 16/,
    );
    expect(() => new BottleneckResidualPathway({ ...base, inChannels: -16 })).toThrow(
      /inChannels must be a positive integer, got -16/,
    );
    expect(() => new BottleneckResidualPathway({ ...base, outChannels: 31, delta: 1 })).toThrow(/even outChannels/);
    expect(() => new BottleneckResidualPathway({ ...base, inChannels: 15, channelSplit: true })).toThrow(
      /channelSplit: .*must be even/,
    );
    expect(() => new BottleneckResidualPathway({ ...base, outChannels: 36, delta: 12, enhancementWidth: 'C' })).toThrow(
      /must be even/,
    );
    expect(() => new BottleneckResidualPathway({ ...base, enhancementWidth: '3C' as never })).toThrow(
      /enhancementWidth must be one of/,
    );
    expect(() => new BottleneckResidualPathway({ ...base, temporalEnhancement: 'yes' as never })).toThrow(
      /temporalEnhancement must be a boolean/,
    );
  });
});

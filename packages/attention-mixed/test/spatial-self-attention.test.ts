import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { groupNorm, mcvdGroupCount, ParamStore, Rng, sumFlops } from '@evdm/core';
import { gradCheck, leakedTensors, maxAbsDiff, useCpu } from '../../../test-utils/tf';
import { SpatialSelfAttention } from '../src/spatial-self-attention';
import type { SpatialSelfAttentionConfig } from '../src/attention-config';

const randn = (shape: number[], seed: number, std = 1) =>
  tf.tensor(
    new Rng(seed).normalArray(shape.reduce((a, b) => a * b, 1)).map((x) => x * std),
    shape,
  );

/** A store whose trainable weights are all random (the MCVD init zeroes the output projection). */
function randomStore(blk: SpatialSelfAttention, seed: number): ParamStore {
  const store = new ParamStore(blk.paramSpecs(), new Rng(seed));
  const map: tf.NamedTensorMap = {};
  let s = seed * 100;
  for (const spec of blk.paramSpecs()) {
    if (spec.trainable === false) continue;
    map[spec.name] = spec.name.endsWith('gamma') ? tf.add(1, randn(spec.shape, ++s, 0.2)) : randn(spec.shape, ++s, 0.4);
  }
  store.load(map, { strict: false });
  tf.dispose(Object.values(map));
  return store;
}

/** Independent per-head reference built from einsum and channel slices (no reshape/transpose tricks). */
function reference(blk: SpatialSelfAttention, read: (n: string) => tf.Tensor, x: tf.Tensor4D, favor: boolean): tf.Tensor {
  return tf.tidy(() => {
    const [b, h, w, c] = x.shape;
    const l = h * w;
    const n = blk.name;
    const d = blk.headDim;
    const g = groupNorm({
      x,
      groups: mcvdGroupCount(c),
      eps: 1e-6,
      gamma: read(`${n}/norm/gamma`) as tf.Tensor1D,
      beta: read(`${n}/norm/beta`) as tf.Tensor1D,
    });
    const px = tf.reshape(g, [b, l, c]);
    const lin = (t: tf.Tensor, p: string) =>
      tf.add(tf.einsum('blc,co->blo', t, read(`${n}/${p}/kernel`)), read(`${n}/${p}/bias`));
    const [q, k, v] = ['q', 'k', 'v'].map((p) => lin(px, p));
    const heads: tf.Tensor[] = [];
    for (let j = 0; j < blk.heads; j++) {
      const [qj, kj, vj] = [q, k, v].map((t) => tf.slice(t, [0, 0, j * d], [b, l, d]));
      let attn: tf.Tensor;
      if (!favor) {
        attn = tf.softmax(tf.div(tf.einsum('bld,bmd->blm', qj, kj), Math.sqrt(d)));
      } else {
        const W = read(blk.projectionName);
        const phi = (t: tf.Tensor) => {
          const ts = tf.mul(t, d ** -0.25);
          return tf.div(
            tf.exp(tf.sub(tf.einsum('bld,fd->blf', ts, W), tf.div(tf.sum(tf.square(ts), -1, true), 2))),
            Math.sqrt(W.shape[0]),
          );
        };
        const kernel = tf.einsum('blf,bmf->blm', phi(qj), phi(kj));
        attn = tf.div(kernel, tf.sum(kernel, -1, true));
      }
      heads.push(tf.einsum('blm,bmd->bld', attn, vj));
    }
    const out = lin(tf.concat(heads, 2), 'out');
    return tf.div(tf.add(x, tf.reshape(out, x.shape)), Math.SQRT2);
  });
}

const cfg = (over: Partial<SpatialSelfAttentionConfig> = {}): SpatialSelfAttentionConfig => ({
  name: 'attn',
  channels: 16,
  headChannels: 8,
  ...over,
});

describe('SpatialSelfAttention', () => {
  beforeAll(useCpu);

  it('has MCVD parameters (names, TF layouts, count 2C + 4(C²+C)) and init', () => {
    const blk = new SpatialSelfAttention(cfg({ mode: 'gate' }));
    const specs = blk.paramSpecs();
    expect(specs.map((s) => `${s.name}:${s.shape}`)).toEqual([
      'attn/norm/gamma:16',
      'attn/norm/beta:16',
      'attn/q/kernel:16,16',
      'attn/q/bias:16',
      'attn/k/kernel:16,16',
      'attn/k/bias:16',
      'attn/v/kernel:16,16',
      'attn/v/bias:16',
      'attn/out/kernel:16,16',
      'attn/out/bias:16',
      'attn/favor/projection:4,8',
    ]);
    expect(blk.paramCount()).toBe(2 * 16 + 4 * (16 * 16 + 16));
    expect(blk.bufferCount()).toBe(4 * 8);
    expect(specs.at(-1)!.trainable).toBe(false);
    expect(new SpatialSelfAttention(cfg()).paramSpecs().some((s) => s.name.includes('favor'))).toBe(false);
    // MCVD init: q limit sqrt(3·0.1/16), output projection ~1e-10 so the block starts as x/√2
    const store = new ParamStore(specs, new Rng(0));
    const qk = store.read('attn/q/kernel').dataSync();
    expect(Math.max(...Array.from(qk, Math.abs))).toBeLessThanOrEqual(Math.sqrt(0.3 / 16));
    expect(Math.max(...Array.from(qk, Math.abs))).toBeGreaterThan(0.8 * Math.sqrt(0.3 / 16));
    const x = randn([1, 4, 4, 16], 1) as tf.Tensor4D;
    const y = blk.apply(store.read, x);
    expect(maxAbsDiff(y.dataSync(), tf.mul(x, Math.SQRT1_2).dataSync())).toBeLessThan(1e-4);
    store.dispose();
  });

  it('favor with Performer parity (eps 1e-4): value differs from the unbiased default by a bias', () => {
    const a = new SpatialSelfAttention(cfg({ mode: 'favor' }));
    const b = new SpatialSelfAttention(cfg({ mode: 'favor', stabilize: 'performer', favorEpsilon: 1e-4 }));
    const store = randomStore(a, 13);
    const x = randn([1, 4, 4, 16], 14) as tf.Tensor4D;
    const d = maxAbsDiff(a.apply(store.read, x).dataSync(), b.apply(store.read, x).dataSync());
    expect(d).toBeGreaterThan(0);
    store.dispose();
  });

  for (const mode of ['softmax', 'favor'] as const) {
    it(`${mode}: matches an independent per-head einsum reference (2 heads, 3x4 tokens)`, () => {
      const blk = new SpatialSelfAttention(cfg({ mode, favorEpsilon: 0 }));
      const store = randomStore(blk, 3);
      const x = randn([2, 3, 4, 16], 4) as tf.Tensor4D;
      const y = blk.apply(store.read, x);
      const r = reference(blk, store.read, x, mode === 'favor');
      expect(y.shape).toEqual([2, 3, 4, 16]);
      const err = maxAbsDiff(y.dataSync(), r.dataSync());
      console.log(`SpatialSelfAttention ${mode} vs einsum reference: max abs diff ${err.toExponential(2)}`);
      expect(err).toBeLessThan(2e-5);
      tf.dispose([x, y, r]);
      store.dispose();
    });

    it(`${mode}: gradients in x and the weights match finite differences`, () => {
      const blk = new SpatialSelfAttention(cfg({ channels: 8, headChannels: 4, mode }));
      const store = randomStore(blk, 5);
      const names = ['attn/q/kernel', 'attn/k/kernel', 'attn/v/bias', 'attn/out/kernel', 'attn/norm/gamma'];
      const x = randn([1, 2, 3, 8], 6);
      const f = (xi: tf.Tensor, ...ws: tf.Tensor[]) =>
        blk.apply((n) => (names.includes(n) ? ws[names.indexOf(n)] : store.read(n)), xi as tf.Tensor4D);
      const err = gradCheck(f, [x, ...names.map((n) => tf.clone(store.read(n)))], { eps: 1e-2, probes: 4 });
      console.log(`SpatialSelfAttention ${mode} gradient check (x + 5 weights): worst relative error ${err.toExponential(2)}`);
      expect(err).toBeLessThan(2e-2);
      store.dispose();
    });
  }

  it('gate (Eq. 14): FAVOR+ iff L > λ·d, visible through usesFavor and describe', () => {
    const blk = new SpatialSelfAttention({ name: 'kth.l2', channels: 192, headChannels: 96, mode: 'gate' });
    expect(blk.usesFavor(32, 32)).toBe(true);
    expect(blk.usesFavor(16, 16)).toBe(true);
    expect(blk.usesFavor(8, 8)).toBe(false);
    expect(blk.usesFavor(8, 24)).toBe(false); // L = 192 = λd: not strictly greater
    expect(blk.describe(8, 8)).toBe('kth.l2: 8x8 L=64, 2 head(s) of d=96 -> softmax; gate: L=64 <= λ·d=2·96=192');
    expect(blk.describe(16, 16)).toMatch(/-> FAVOR\+ \(m=48\); gate: L=256 > λ·d=2·96=192/);
    const forced = new SpatialSelfAttention({ name: 'a', channels: 192, headChannels: 96, mode: 'favor' });
    expect(forced.usesFavor(8, 8)).toBe(true);
    expect(forced.describe(8, 8)).toMatch(/forced; gate would pick softmax/);
    expect(new SpatialSelfAttention({ name: 'a', channels: 192, headChannels: 96 }).usesFavor(64, 64)).toBe(false);
    expect(
      new SpatialSelfAttention({ name: 'a', channels: 192, headChannels: 96, mode: 'gate', lambda: 20 }).usesFavor(32, 32),
    ).toBe(false);
  });

  it('gate per paper preset (d = C0): SMMNIST 64, KTH 96, BAIR 192, UCF 288 at 32/16/8', () => {
    const table = (
      [
        ['smmnist', 64],
        ['kth', 96],
        ['bair', 192],
        ['ucf', 288],
      ] as const
    ).map(([p, c0]) => [
      p,
      ...[1, 2, 3].map((lvl) =>
        new SpatialSelfAttention({ name: p, channels: c0 * (lvl + 1), headChannels: c0, mode: 'gate' }).usesFavor(
          64 >> lvl,
          64 >> lvl,
        ),
      ),
    ]);
    expect(table).toEqual([
      ['smmnist', true, true, false],
      ['kth', true, true, false],
      ['bair', true, false, false],
      ['ucf', true, false, false],
    ]);
  });

  it('in gate mode runs the algorithm the gate picks (output equals the forced mode)', () => {
    const mk = (mode: 'gate' | 'favor' | 'softmax') => new SpatialSelfAttention(cfg({ mode, lambda: 2 }));
    const store = randomStore(mk('gate'), 7); // same names/values serve all three modes
    // λ·d = 16: L = 20 > 16 runs FAVOR+, L = 16 and L = 8 run softmax
    for (const [hw, twin] of [
      [[4, 5], 'favor'],
      [[4, 4], 'softmax'],
      [[2, 4], 'softmax'],
    ] as const) {
      const x = randn([1, hw[0], hw[1], 16], 8) as tf.Tensor4D;
      const y = mk('gate').apply(store.read, x);
      const z = mk(twin).apply(store.read, x);
      expect(maxAbsDiff(y.dataSync(), z.dataSync())).toBe(0);
      tf.dispose([x, y, z]);
    }
    store.dispose();
  });

  it('redraw policies are deterministic and the projection is saved with the weights', async () => {
    const x = randn([1, 4, 4, 16], 9) as tf.Tensor4D;
    const fixed = new SpatialSelfAttention(cfg({ mode: 'favor' }));
    const s1 = randomStore(fixed, 11);
    const y0 = fixed.apply(s1.read, x).dataSync();
    // a rebuilt block + store with the same seeds gives identical outputs
    const s2 = randomStore(new SpatialSelfAttention(cfg({ mode: 'favor' })), 11);
    expect(maxAbsDiff(new SpatialSelfAttention(cfg({ mode: 'favor' })).apply(s2.read, x).dataSync(), y0)).toBe(0);
    // different block names draw different projections
    const other = new SpatialSelfAttention(cfg({ name: 'attn2', mode: 'favor' }));
    expect(Array.from(other.projectionAt(0))).not.toEqual(Array.from(fixed.projectionAt(0)));

    const everyN = new SpatialSelfAttention(cfg({ mode: 'favor', redraw: { policy: 'every-n', n: 10 } }));
    const run = (step: number, training = true) => everyN.apply(s1.read, x, { training, step }).dataSync();
    expect(maxAbsDiff(run(0), y0)).toBe(0); // epoch 0 is the initial buffer
    expect(maxAbsDiff(run(9), y0)).toBe(0);
    const y10 = run(10);
    expect(maxAbsDiff(y10, y0)).toBeGreaterThan(1e-4);
    expect(maxAbsDiff(run(19), y10)).toBe(0);
    expect(maxAbsDiff(run(25, false), y0)).toBe(0); // inference: stored buffer
    // store the epoch-1 projection, save, reload into a fresh store: inference now reproduces it
    everyN.syncProjection(s1.read, { step: 12 });
    expect(maxAbsDiff(run(0, false), y10)).toBe(0);
    const { data, specs } = await s1.encode();
    const s3 = new ParamStore(everyN.paramSpecs(), new Rng(99));
    s3.decodeAndLoad(data, specs);
    expect(maxAbsDiff(everyN.apply(s3.read, x).dataSync(), y10)).toBe(0);

    const perCall = new SpatialSelfAttention(cfg({ mode: 'favor', redraw: { policy: 'per-call' } }));
    const a = perCall.apply(s1.read, x, { step: 3 }).dataSync();
    expect(maxAbsDiff(perCall.apply(s1.read, x, { step: 3 }).dataSync(), a)).toBe(0);
    expect(maxAbsDiff(perCall.apply(s1.read, x, { step: 4 }).dataSync(), a)).toBeGreaterThan(1e-4);
    expect(maxAbsDiff(perCall.apply(s1.read, x, { step: 3, seed: 1 }).dataSync(), a)).toBeGreaterThan(1e-4);
    expect(() => perCall.apply(s1.read, x)).toThrow(/redraw policy 'per-call' needs ctx.step/);
    [s1, s2, s3].forEach((s) => s.dispose());
    x.dispose();
  });

  it('does not leak tensors (every mode, redraws, backward)', () => {
    const x = randn([1, 4, 4, 16], 12) as tf.Tensor4D;
    for (const c of [
      cfg(),
      cfg({ mode: 'favor' }),
      cfg({ mode: 'gate' }),
      cfg({ mode: 'favor', redraw: { policy: 'per-call' } }),
    ]) {
      const blk = new SpatialSelfAttention(c);
      const store = new ParamStore(blk.paramSpecs(), new Rng(1));
      let step = 0;
      expect(leakedTensors(() => blk.apply(store.read, x, { step: step++ }).dispose(), 5)).toBe(0);
      const vars = store.trainableVariables();
      expect(
        leakedTensors(() => {
          const { value, grads } = tf.variableGrads(
            () => tf.sum(blk.apply(store.read, x, { step: step++, training: true })) as tf.Scalar,
            vars,
          );
          tf.dispose([value, ...Object.values(grads)]);
        }),
      ).toBe(0);
      store.dispose();
    }
    x.dispose();
  });

  it('rejects bad configs and inputs with clear errors', () => {
    expect(() => new SpatialSelfAttention(cfg({ channels: 20, headChannels: 8 }))).toThrow(
      /headChannels 8 does not divide channels 20/,
    );
    expect(() => new SpatialSelfAttention(cfg({ lambda: 0 }))).toThrow(/lambda must be a finite number > 0, got 0/);
    expect(() => new SpatialSelfAttention(cfg({ lambda: -2 }))).toThrow(/lambda/);
    expect(() => new SpatialSelfAttention(cfg({ features: 0 }))).toThrow(/features must be a positive integer/);
    expect(() => new SpatialSelfAttention(cfg({ mode: 'linear' as never }))).toThrow(/mode must be/);
    expect(() => new SpatialSelfAttention(cfg({ redraw: { policy: 'every-n', n: 0 } }))).toThrow(
      /redraw.n must be a positive integer/,
    );
    expect(() => new SpatialSelfAttention(cfg({ eps: 0 }))).toThrow(/eps \(GroupNorm\) must be > 0/);
    expect(() => new SpatialSelfAttention(cfg({ name: '' }))).toThrow(/name/);
    expect(() => new SpatialSelfAttention(cfg({ stabilize: true as never }))).toThrow(/stabilize must be/);
    expect(() => new SpatialSelfAttention(cfg({ favorEpsilon: -1 }))).toThrow(/favorEpsilon/);
    // MCVD: fewer channels than headChannels means one head of width C
    expect(new SpatialSelfAttention(cfg({ channels: 4, headChannels: 8 })).heads).toBe(1);
    const blk = new SpatialSelfAttention(cfg());
    const store = new ParamStore(blk.paramSpecs(), 0);
    expect(() => blk.apply(store.read, tf.zeros([1, 2, 2, 8]) as tf.Tensor4D)).toThrow(
      /x has 8 channels, the block was built for 16/,
    );
    expect(() => blk.apply(store.read, tf.zeros([2, 2, 16]) as unknown as tf.Tensor4D)).toThrow(/NHWC/);
    store.dispose();
  });

  it('toConfig round-trips', () => {
    const blk = new SpatialSelfAttention(cfg({ mode: 'gate', features: 'd-log-d', redraw: { policy: 'every-n', n: 1000 } }));
    const again = new SpatialSelfAttention(JSON.parse(JSON.stringify(blk.toConfig())));
    expect(again.config).toEqual(blk.config);
    expect(blk.features).toBe(Math.round(8 * Math.log(8)));
    expect(sumFlops(blk.flops(1, 8, 8))).toBeGreaterThan(0);
  });
});

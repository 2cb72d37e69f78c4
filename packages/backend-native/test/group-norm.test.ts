import * as tf from '@tensorflow/tfjs-core';
import { groupNorm, groupNormComposed, setGroupNormImplementation, type GroupNormArgs } from '@evdm/core';
import { afterAll, describe, expect, it } from 'vitest';
import { fusedGroupNorm, registerNativeKernels, unregisterNativeKernels } from '../src/index';
import { available, gradsOf, HOSTS, nativeVsReference, randomData, requireAddon, TOL } from './helpers';

requireAddon();

interface GnCase {
  shape: number[];
  groups: number;
  gamma?: boolean;
  beta?: boolean;
  scale?: boolean;
  shift?: boolean;
  silu?: boolean;
  relu?: boolean;
  /** scale and shift packed in one [B, 2C] modulation */
  modulation?: boolean;
  /** channelStart: the candidate normalises channels [start, C) only; the reference slices its full output */
  start?: number;
}
const cases: GnCase[] = [
  { shape: [2, 5, 7, 12], groups: 3, scale: true, shift: true, silu: true }, // MCVD adaptive norm
  { shape: [3, 4, 4, 16], groups: 4, gamma: true, beta: true }, // attention / head: affine
  { shape: [2, 6, 5, 8], groups: 2, scale: true, shift: true }, // BRP (Eq. 8-9)
  { shape: [1, 3, 3, 6], groups: 6, gamma: true, beta: true, scale: true, shift: true, silu: true }, // everything
  { shape: [2, 7, 9, 10], groups: 1 },
  { shape: [2, 7, 9, 10], groups: 5, silu: true, gamma: true },
  { shape: [2, 3, 4, 5, 8], groups: 4, scale: true, shift: true, silu: true }, // 5-D: joint stats over frames
  { shape: [1, 33, 17, 96], groups: 24, beta: true, shift: true }, // B=1, one thread
  { shape: [1, 41, 23, 96], groups: 24, scale: true, shift: true, silu: true }, // B=1 over the split size: spatial split over threads
  { shape: [8, 16, 16, 64], groups: 16, scale: true, shift: true, silu: true },
  { shape: [2, 6, 5, 8], groups: 2, scale: true, shift: true, relu: true }, // BRP input norm + ReLU
  { shape: [2, 3, 4, 5, 8], groups: 4, gamma: true, beta: true, relu: true },
  { shape: [2, 5, 7, 12], groups: 3, modulation: true, silu: true }, // MCVD adaptive norm, packed
  { shape: [2, 6, 5, 12], groups: 3, modulation: true, relu: true }, // BRP input norm, packed
  { shape: [3, 4, 4, 16], groups: 4, gamma: true, beta: true, modulation: true },
  { shape: [1, 41, 23, 96], groups: 24, modulation: true, silu: true }, // threaded spatial split, packed
  // channel windows (the Split reduce case's tail): x and the coefficients read in place
  { shape: [2, 6, 5, 16], groups: 4, modulation: true, relu: true, start: 8 },
  { shape: [1, 41, 23, 96], groups: 24, modulation: true, relu: true, start: 48 }, // threaded, B=1
  { shape: [2, 5, 7, 12], groups: 3, gamma: true, beta: true, scale: true, shift: true, silu: true, start: 4 },
  { shape: [8, 16, 16, 48], groups: 12, modulation: true, relu: true, start: 24 },
  { shape: [2, 3, 4, 5, 8], groups: 4, gamma: true, beta: true, start: 6 }, // 5-D, one group left
];
const label = (c: GnCase) =>
  `[${c.shape}] g=${c.groups} ${['gamma', 'beta', 'scale', 'shift', 'modulation', 'silu', 'relu'].filter((k) => c[k as keyof GnCase]).join('+') || 'plain'}${c.start ? ` channels [${c.start}, C)` : ''}`;

function shapesOf(c: GnCase): number[][] {
  const C = c.shape[c.shape.length - 1];
  const B = c.shape[0];
  const s: number[][] = [c.shape];
  if (c.gamma) s.push([C]);
  if (c.beta) s.push([C]);
  if (c.scale) s.push([B, C]);
  if (c.shift) s.push([B, C]);
  if (c.modulation) s.push([B, 2 * C]);
  return s;
}

/**
 * fn(x, ...optional) for the given implementation; x is scaled and offset so the statistics matter.
 * `unpack`: a modulation is passed as separate scale and shift halves (tf.split), and a channel
 * window is the slice of the full norm: the reference form.
 */
function gnFn(c: GnCase, impl: (a: GroupNormArgs) => tf.Tensor, unpack = false) {
  return (...ts: tf.Tensor[]) => {
    let i = 1;
    const args: GroupNormArgs = {
      x: tf.add(tf.mul(ts[0], 2.5), 0.7),
      groups: c.groups,
      eps: 1e-6,
      activation: c.silu ? 'silu' : c.relu ? 'relu' : 'none',
    };
    if (c.gamma) args.gamma = ts[i++] as tf.Tensor1D;
    if (c.beta) args.beta = ts[i++] as tf.Tensor1D;
    if (c.scale) args.scale = tf.mul(ts[i++], 0.3) as tf.Tensor2D;
    if (c.shift) args.shift = ts[i++] as tf.Tensor2D;
    if (c.modulation) {
      const m = tf.mul(ts[i++], 0.3) as tf.Tensor2D;
      if (unpack) [args.scale, args.shift] = tf.split(m, 2, 1) as [tf.Tensor2D, tf.Tensor2D];
      else args.modulation = m;
    }
    if (!c.start) return impl(args);
    if (!unpack) return impl({ ...args, channelStart: c.start });
    const y = impl(args);
    const C = c.shape[c.shape.length - 1];
    return tf.slice(y, [...c.shape.slice(0, -1).map(() => 0), c.start], [...c.shape.slice(0, -1), C - c.start]);
  };
}

describe.skipIf(!available)('native fused GroupNorm vs the composed tfjs reference', () => {
  afterAll(() => setGroupNormImplementation(null));
  for (const host of HOSTS) {
    for (const c of cases) {
      it(`${host}: ${label(c)} forward and gradients in every input`, async () => {
        // reference: groupNormComposed on cpu (native off); candidate: fusedGroupNorm with native on
        const ref = gnFn(c, groupNormComposed, true);
        const nat = gnFn(c, fusedGroupNorm);
        const shapes = shapesOf(c);
        const both =
          (f: typeof ref) =>
          (...ts: tf.Tensor[]) => [f(...ts), ...gradsOf(f)(...ts)];
        const { runOn, relErr } = await import('./helpers');
        const want = await runOn('cpu', false, shapes, both(ref));
        const got = await runOn(host, true, shapes, both(nat));
        expect(got.length).toBe(shapes.length + 1);
        got.forEach((g, k) => expect(relErr(g, want[k]), k === 0 ? 'y' : `grad ${k - 1}`).toBeLessThan(TOL));
      });
    }
    it(`${host}: through groupNorm() with setGroupNormImplementation, no tensor leaks`, async () => {
      await tf.setBackend(host);
      registerNativeKernels(host);
      setGroupNormImplementation(fusedGroupNorm);
      try {
        const x = tf.tensor(randomData([2, 4, 4, 8], 3), [2, 4, 4, 8]);
        const s = tf.tensor(randomData([2, 8], 4), [2, 8]) as tf.Tensor2D;
        const step = () => {
          const g = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
            tf.sum(
              groupNorm({ x: a, groups: 2, eps: 1e-5, scale: b as tf.Tensor2D, shift: b as tf.Tensor2D, activation: 'silu' }),
            ),
          )([x, s]);
          tf.dispose(g);
        };
        step();
        const before = tf.memory().numTensors;
        for (let i = 0; i < 3; i++) step();
        expect(tf.memory().numTensors).toBe(before);
        tf.dispose([x, s]);
      } finally {
        setGroupNormImplementation(null);
        unregisterNativeKernels();
      }
    });
  }
  it('the composed path takes a packed modulation as the same function of its halves (no native kernels)', async () => {
    unregisterNativeKernels();
    const { runOn, relErr } = await import('./helpers');
    for (const c of cases.filter((k) => k.modulation)) {
      const both =
        (f: ReturnType<typeof gnFn>) =>
        (...ts: tf.Tensor[]) => [f(...ts), ...gradsOf(f)(...ts)];
      const want = await runOn('cpu', false, shapesOf(c), both(gnFn(c, groupNormComposed, true)));
      const got = await runOn('cpu', false, shapesOf(c), both(gnFn(c, groupNormComposed)));
      got.forEach((g, k) => expect(relErr(g, want[k]), `${label(c)} ${k === 0 ? 'y' : `grad ${k - 1}`}`).toBeLessThan(1e-6));
    }
  });
  it('called directly with a channel window that is not whole groups, the kernels throw naming the kernel and shapes', async () => {
    await tf.setBackend('cpu');
    registerNativeKernels('cpu');
    try {
      const x = tf.zeros([1, 2, 2, 8]);
      for (const [kernel, inputs] of [
        ['EvdmGroupNorm', { x }],
        ['EvdmGroupNormGrad', { x, dy: tf.zeros([1, 2, 2, 5]) }],
      ] as const) {
        for (const start of [3, 8, -4])
          expect(() =>
            tf.engine().runKernel(kernel, inputs as unknown as tf.NamedTensorMap, {
              groups: 4,
              eps: 1e-5,
              activation: 0,
              channelStart: start,
            }),
          ).toThrow(
            new RegExp(
              `${kernel}: channelStart ${start} must be a whole number of groups \\(2 channels each\\) below x's 8 channels \\(x \\[1,2,2,8\\], groups 4\\)`,
            ),
          );
      }
      x.dispose();
    } finally {
      unregisterNativeKernels();
    }
  });
  it('falls back to the composed reference when the native kernel is not registered (e.g. after unregister)', async () => {
    unregisterNativeKernels();
    const c = cases[0];
    expect(await nativeVsReference('cpu', shapesOf(c), gnFn(c, fusedGroupNorm))).toBeLessThan(TOL);
  });
});

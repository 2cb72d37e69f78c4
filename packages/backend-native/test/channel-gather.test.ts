import * as tf from '@tensorflow/tfjs-core';
import { channelGather, channelGatherComposed, channelGatherKernelAvailable, type ChannelGatherArgs } from '@evdm/core';
import { afterAll, describe, expect, it } from 'vitest';
import { gradCheck, leakedTensors } from '../../../test-utils/tf';
import { gatherCases, gatherRef, scatterRef, seeded, type GatherCase } from '../../core/test/channel-gather-ref';
import { unregisterNativeKernels } from '../src/index';
import { available, HOSTS, relErr, requireAddon, useHost as on, TOL } from './helpers';

requireAddon();

function inputsOf(c: GatherCase, seed = 1): tf.Tensor4D[] {
  const [b, h, w] = c.bhw;
  const xs = c.channels.map((ch, i) => tf.tensor4d(seeded(b * h * w * ch, seed + i), [b, h, w, ch]));
  if (c.addend) xs.push(tf.tensor4d(seeded(b * h * w * c.perm.length, seed + 99), [b, h, w, c.perm.length]));
  return xs;
}

function argsOf(c: GatherCase, ts: tf.Tensor[]): ChannelGatherArgs {
  const n = c.channels.length;
  return {
    inputs: ts.slice(0, n) as tf.Tensor4D[],
    perm: c.perm,
    addPerm: c.addPerm,
    addend: c.addend ? (ts[n] as tf.Tensor4D) : undefined,
    scale: c.scale,
  };
}

/** Output and every input's gradient of sum(op(...) · dy). */
function run(c: GatherCase, op: (a: ChannelGatherArgs) => tf.Tensor4D): Float32Array[] {
  const xs = inputsOf(c);
  const y = op(argsOf(c, xs));
  const dy = tf.tensor4d(seeded(y.size, 7), y.shape as [number, number, number, number]);
  const grads = tf.grads((...ts: tf.Tensor[]) => tf.sum(tf.mul(op(argsOf(c, ts)), dy)))(xs);
  const out = [y, ...grads].map((t) => t.dataSync().slice() as Float32Array);
  tf.dispose([...xs, y, dy, ...grads]);
  return out;
}

function reference(c: GatherCase): Float64Array[] {
  const xs = inputsOf(c);
  const n = c.channels.length;
  const rows = c.bhw[0] * c.bhw[1] * c.bhw[2];
  const vals = xs.map((x) => x.dataSync() as Float32Array);
  const fwd = gatherRef(vals.slice(0, n), c.channels, rows, c.perm, c.addend ? vals[n] : null, c.scale, c.addPerm);
  const dy = seeded(fwd.length, 7);
  tf.dispose(xs);
  return [fwd, ...scatterRef(dy, c.channels, rows, c.perm, c.addend, c.scale, c.addPerm)];
}

describe.skipIf(!available)('native EvdmChannelGather vs the composed tfjs path vs a plain-JS reference', () => {
  afterAll(() => unregisterNativeKernels());

  for (const host of HOSTS) {
    for (const c of gatherCases()) {
      it(`${host}: ${c.label} [${c.bhw}] channels ${c.channels}: forward and every gradient`, async () => {
        await on(host, false);
        const want = reference(c);
        expect(channelGatherKernelAvailable()).toBe(false);
        const composed = run(c, channelGather);
        await on(host, true);
        expect(channelGatherKernelAvailable()).toBe(true);
        const native = run(c, channelGather);
        const forced = run(c, channelGatherComposed);
        expect(native.length).toBe(want.length);
        want.forEach((w, i) => {
          expect(relErr(native[i], w), `native output ${i}`).toBeLessThan(TOL);
          expect(relErr(composed[i], w), `composed output ${i}`).toBeLessThan(TOL);
          expect(relErr(native[i], forced[i]), `native vs composed ${i}`).toBeLessThan(TOL);
        });
      });
    }
  }

  it('the native kernels run (profiled kernel names) and their gradients match finite differences', async () => {
    await on('cpu', true);
    for (const c of gatherCases().slice(0, 12)) {
      const xs = inputsOf(c, 3);
      const prof = await tf.profile(() =>
        tf.tidy(() => tf.grads((...ts: tf.Tensor[]) => tf.sum(channelGather(argsOf(c, ts))))(xs)),
      );
      const names = prof.kernels.map((k) => k.name);
      expect(names).toContain('EvdmChannelGather');
      expect(names).toContain('EvdmChannelGatherGrad');
      expect(gradCheck((...ts: tf.Tensor[]) => channelGather(argsOf(c, ts)), xs, { eps: 1e-2, probes: 8 })).toBeLessThan(2e-3);
      tf.dispose(xs);
    }
  });

  it('a large multithreaded case (rows split over the threads) matches the composed path', async () => {
    const c: GatherCase = {
      bhw: [3, 33, 65],
      channels: [24, 24, 96],
      perm: Array.from({ length: 96 }, (_, k) => (k % 2) * 48 + Math.floor(k / 2)),
      addend: true,
      scale: 0.7,
      label: 'big',
    };
    await on('cpu', true);
    const native = run(c, channelGather);
    const composed = run(c, channelGatherComposed);
    composed.forEach((w, i) => expect(relErr(native[i], w)).toBeLessThan(TOL));
  });

  for (const host of HOSTS) {
    it(`${host}: no tensor leaks with the native kernels`, async () => {
      await on(host, true);
      const c = gatherCases()[0];
      const xs = inputsOf(c);
      const step = () => {
        tf.dispose(tf.grads((...ts: tf.Tensor[]) => tf.sum(channelGather(argsOf(c, ts))))(xs));
        channelGather(argsOf(c, xs)).dispose();
      };
      expect(leakedTensors(step)).toBe(0);
      tf.dispose(xs);
    });
  }

  it('called directly with bad inputs, the kernels throw naming the kernel and shapes', async () => {
    await on('cpu', true);
    const a = tf.zeros([2, 3, 3, 4]);
    const b = tf.zeros([2, 3, 4, 2]);
    const run1 = (inputs: Record<string, tf.Tensor>, perm: number[], addPerm: number[] = []) =>
      tf.engine().runKernel('EvdmChannelGather', inputs, {
        perm,
        addPerm,
        scale: 1,
        count: Object.keys(inputs).length,
      } as unknown as tf.NamedAttrMap);
    expect(() => run1({ x0: a, x1: b }, [0])).toThrow(
      /EvdmChannelGather needs float32 NHWC inputs sharing \[B, H, W\]; input 1 is float32 \[2,3,4,2\]/,
    );
    expect(() => run1({ x0: a }, [0, 9])).toThrow(/channelGather: perm\[1\] = 9 is out of range or read twice \(4 channels\)/);
    expect(() => run1({ x0: a }, [1, 1])).toThrow(/out of range or read twice/);
    expect(() => run1({ x0: a }, [0, 1], [2, 0])).toThrow(/channelGather: addPerm\[1\] = 0 is out of range or read twice/);
    expect(() => run1({ x0: a }, [0, 1], [2])).toThrow(/addPerm must have as many entries as perm/);
    tf.dispose([a, b]);
  });
});

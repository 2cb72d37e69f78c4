// Shared suite of the one-call backward kernels of @evdm/core's layer ops (conv2dSame + EvdmConv2DGrad,
// linear + EvdmDenseGrad): on both hosts, the op with the kernel vs the op without it (its tf.fused
// path on pure TF.js kernels) for output and every gradient; that the backward pass is one call of the
// kernel and none of the kernels it replaces; finite differences; bad input; no leaks.
import * as tf from '@tensorflow/tfjs-core';
import { registerWasmTrainingKernels } from '@evdm/backend';
import { expect, it } from 'vitest';
import { directionalGradCheck, leakedTensors } from '../../../test-utils/tf';
import { HOSTS, relErr, TOL, useHost as on } from './helpers';

export interface OneCallGradSpec {
  kernel: string;
  /** Kernels the one call replaces (never run with it registered). */
  replaced: string[];
  available: () => boolean;
  /** Sizes per case and a label for each. */
  cases: number[][];
  label: (c: number[]) => string;
  /** The op's inputs for a case (seeded), and the op. */
  inputs: (c: number[]) => tf.Tensor[];
  op: (...xs: tf.Tensor[]) => tf.Tensor;
  /** Names of the output and the gradients, in input order. */
  names: string[];
  /** Cases (indices) of the one-call, finite-difference and leak checks. */
  probe: { oneCall: number; fd: number; leaks: number };
  /** Kernel attributes, and bad inputs to the kernel with the error each must give. */
  attrs?: Record<string, unknown>;
  badInputs: () => [Record<string, tf.Tensor>, RegExp][];
}

/** Seeded normal tensors (seeds 1, 2, ...): one per [shape, standard deviation]. */
export const normals = (specs: [number[], number][]): tf.Tensor[] =>
  specs.map(([shape, std], i) => tf.randomNormal(shape, 0, std, 'float32', i + 1));

/** Output and every input's gradient of sum(op · dy). */
function outputAndGrads(spec: OneCallGradSpec, c: number[]): Float32Array[] {
  const xs = spec.inputs(c);
  const y = spec.op(...xs);
  const dy = tf.randomNormal(y.shape, 0, 1, 'float32', 4);
  const grads = tf.grads((...a: tf.Tensor[]) => tf.sum(tf.mul(spec.op(...a), dy)))(xs);
  const out = [y, ...grads].map((t) => t.dataSync().slice() as Float32Array);
  tf.dispose([...xs, y, dy, ...grads]);
  return out;
}

const lossGrads = (spec: OneCallGradSpec, xs: tf.Tensor[]) => tf.grads((...a: tf.Tensor[]) => tf.sum(spec.op(...a)))(xs);

/** Registers the suite's tests for every host (call inside a describe). */
export function oneCallGradTests(spec: OneCallGradSpec): void {
  for (const host of HOSTS) {
    for (const c of spec.cases) {
      it(`${host}: ${spec.label(c)}: output and every gradient`, async () => {
        await on(host, false);
        // the pure TF.js reference (on wasm, with evdm's wasm training kernels: the stock backend has no conv gradients)
        if (host === 'wasm') registerWasmTrainingKernels();
        expect(spec.available()).toBe(false);
        const want = outputAndGrads(spec, c);
        await on(host, true);
        expect(spec.available()).toBe(true);
        const got = outputAndGrads(spec, c);
        spec.names.forEach((name, i) => {
          const e = relErr(got[i], want[i]);
          expect(e, `${name}: rel L2 ${e}`).toBeLessThan(TOL);
        });
      });
    }

    it(`${host}: the backward pass is one ${spec.kernel} call (none of ${spec.replaced.join(', ')}, no bias Sum)`, async () => {
      await on(host, true);
      const xs = spec.inputs(spec.cases[spec.probe.oneCall]);
      const info = await tf.profile(() => tf.dispose(lossGrads(spec, xs)));
      const names = info.kernels.map((k) => k.name);
      expect(names.filter((n) => n === spec.kernel)).toHaveLength(1);
      for (const r of spec.replaced) expect(names).not.toContain(r);
      // the loss's own Sum is the only one
      expect(names.filter((n) => n === 'Sum')).toHaveLength(1);
      tf.dispose(xs);
    });

    it(`${host}: native gradients match finite differences`, async () => {
      await on(host, true);
      const xs = spec.inputs(spec.cases[spec.probe.fd]);
      expect(directionalGradCheck(spec.op, xs, { eps: 1e-2 })).toBeLessThan(1e-2);
      tf.dispose(xs);
    });

    it(`${host}: bad input to the kernel is a clear error naming it and the shapes`, async () => {
      await on(host, true);
      const bad = spec.badInputs();
      for (const [ins, message] of bad)
        expect(() => tf.engine().runKernel(spec.kernel, ins, spec.attrs as tf.NamedAttrMap)).toThrow(message);
      tf.dispose(bad.flatMap(([ins]) => Object.values(ins)));
    });

    it(`${host}: no tensor leaks, forward or backward`, async () => {
      await on(host, true);
      const xs = spec.inputs(spec.cases[spec.probe.leaks]);
      expect(leakedTensors(() => tf.tidy(() => spec.op(...xs)).dispose())).toBe(0);
      expect(leakedTensors(() => tf.dispose(lossGrads(spec, xs)))).toBe(0);
      tf.dispose(xs);
    });
  }
}

import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { flat, loadGolden, regenerate } from '../../../test-utils/golden';
import { maxAbsDiff, useCpu } from '../../../test-utils/tf';
import { favorAttention, featureMap } from '../src/favor-attention';
import { softmaxAttention } from '../src/softmax-attention';

const gold = loadGolden('favor.json');

describe('favor.json golden (numpy float64 reference, L=64, d=16, m=256, stored W)', () => {
  beforeAll(useCpu);
  const W = tf.tensor2d(flat(gold.W), [256, 16]);

  for (const c of gold.cases) {
    describe(c.name, () => {
      const [L, d] = [c.L as number, c.d as number];
      const q = tf.tensor3d(flat(c.Q), [1, L, d]);
      const k = tf.tensor3d(flat(c.K), [1, L, d]);
      const v = tf.tensor3d(flat(c.V), [1, L, d]);

      it('inputs regenerate exactly from the xorshift32 recipes', () => {
        expect(regenerate(c.Q_generation)).toEqual(flat(c.Q));
        expect(regenerate(c.K_generation)).toEqual(flat(c.K));
        expect(regenerate(c.V_generation)).toEqual(flat(c.V));
      });

      it('exact softmax attention matches to 1e-6', () => {
        const out = softmaxAttention(q, k, v);
        expect(maxAbsDiff(out.dataSync(), flat(c.exact_attention_output))).toBeLessThan(1e-6);
        out.dispose();
      });

      it('plain FAVOR+ (no stabiliser, no epsilon) matches to 1e-6', () => {
        const out = favorAttention(q, k, v, W, { stabilize: false, epsilon: 0 });
        expect(maxAbsDiff(out.dataSync(), flat(c.favor_plain_output))).toBeLessThan(1e-6);
        out.dispose();
      });

      it('stabilised FAVOR+ with epsilon 0 equals the plain output to 1e-6', () => {
        const out = favorAttention(q, k, v, W, { stabilize: true, epsilon: 0 });
        expect(maxAbsDiff(out.dataSync(), flat(c.favor_plain_output))).toBeLessThan(1e-6);
        out.dispose();
      });

      it("'exponent' stabiliser with epsilon 0 equals the plain output to 1e-6", () => {
        const out = favorAttention(q, k, v, W, { stabilize: 'exponent', epsilon: 0 });
        expect(maxAbsDiff(out.dataSync(), flat(c.favor_plain_output))).toBeLessThan(1e-6);
        out.dispose();
      });

      it('stabilised FAVOR+ with epsilon 1e-4 matches the Performer-code output to 1e-6', () => {
        const out = favorAttention(q, k, v, W, { stabilize: true, epsilon: 1e-4 });
        expect(maxAbsDiff(out.dataSync(), flat(c['favor_performer_code_eps1e-4_output']))).toBeLessThan(1e-6);
        out.dispose();
      });

      it('feature maps and the normaliser D match (relative 1e-6)', () => {
        const pq = featureMap(q, W, 'none', 'query');
        const pk = featureMap(k, W, 'none', 'key');
        const rel = (a: ArrayLike<number>, b: number[]) => Math.max(...b.map((x, i) => Math.abs(a[i] - x) / Math.abs(x)));
        expect(rel(pq.dataSync().slice(0, 256), c.phi_Q_plain_first_row)).toBeLessThan(1e-6);
        expect(rel(pk.dataSync().slice(0, 256), c.phi_K_plain_first_row)).toBeLessThan(1e-6);
        const D = tf.matMul(pq, tf.reshape(tf.sum(pk, 1), [1, 256, 1]));
        expect(rel(D.dataSync(), c.favor_plain_normalizer_D)).toBeLessThan(1e-6);
        tf.dispose([pq, pk, D]);
      });

      it('reproduces the stored approximation error of plain FAVOR+ vs exact', () => {
        const out = favorAttention(q, k, v, W, { stabilize: false });
        const a = out.dataSync();
        const e = flat(c.exact_attention_output);
        const meanRel = e.reduce((s, x, i) => s + Math.abs(a[i] - x) / Math.abs(x), 0) / e.length;
        expect(Math.abs(meanRel - c.errors_plain_vs_exact.mean_elementwise_relative_error)).toBeLessThan(1e-5);
        out.dispose();
      });
    });
  }
});

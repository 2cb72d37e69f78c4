// evdm's MCVD network with imported MCVD weights computes what MCVD's PyTorch code computed on the
// same inputs (fixtures made by tools/make_mcvd_fixtures.py from the original repository).
import { describe, expect, it, beforeAll } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { ParamStore } from '@evdm/core';
import { useCpu } from '../../../test-utils/tf';
import { importMcvd, type WeightChoice } from '../src/interop/import-mcvd';
import { FIXTURES, errors, fixtureIo, fixturePath, nhwc } from './mcvd-fixtures.helpers';

beforeAll(async () => {
  await useCpu();
});

function forward(name: string, weights: WeightChoice, condKey: string) {
  const imp = importMcvd(fixturePath(name, 'pt'), fixturePath(name, 'yml'), weights);
  const io = fixtureIo(name);
  const store = new ParamStore(imp.network.paramSpecs().map((s) => ({ ...s, init: { kind: 'zeros' as const } })), 0);
  const tensors = Object.fromEntries(imp.params.map((p) => [p.name, tf.tensor(p.data, p.shape)]));
  store.load(tensors);
  tf.dispose(Object.values(tensors));
  const labels = Array.from(io.get('labels').data);
  const T = 1000;
  const x = nhwc(io.get('x'));
  const cond = nhwc(io.get(condKey));
  const out = imp.network.apply(store.read, x, labels.map((l) => T - 1 - l), cond);
  const got = tf.transpose(out, [0, 3, 1, 2]);
  const res = { imp, got: got.dataSync().slice() };
  tf.dispose([x, cond, out, got]);
  store.dispose();
  return res;
}

describe('MCVD forward pass', () => {
  for (const name of FIXTURES) {
    it(`${name}: EMA weights match MCVD`, () => {
      const { imp, got } = forward(name, 'ema', 'cond');
      const e = errors(got, fixtureIo(name).get('eps_ema').data);
      console.log(`${name}: ${imp.mapped} keys, ${imp.paramCount} params, max ${e.max.toExponential(2)}, rel ${e.rel.toExponential(2)}`);
      expect(e.rel).toBeLessThan(1e-5);
    });
  }
});

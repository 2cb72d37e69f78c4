// evdm's MCVD network with imported MCVD weights computes what MCVD's PyTorch code computed on the
// same inputs, and evdm's DDPM / DDIM samplers reproduce MCVD's 10-step runs given MCVD's noise
// (fixtures made by tools/make_mcvd_fixtures.py from the original repository; see fixtures/mcvd/README.md).
import { describe, expect, it, beforeAll } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { ParamStore } from '@evdm/core';
import { ddimSample, ddpmSample, NoiseSchedule, type Denoiser } from '@evdm/diffusion';
import { useCpu } from '../../../test-utils/tf';
import { importMcvd, type ImportedWeights, type WeightChoice } from '../src/interop/import-mcvd';
import { FIXTURES, errors, fixtureIo, fixturePath, nhwc } from './mcvd-fixtures.helpers';

beforeAll(async () => {
  await useCpu();
});

const T = 1000;
const toNchw = (t: tf.Tensor4D) => tf.tidy(() => tf.transpose(t, [0, 3, 1, 2]).dataSync().slice());

function withNetwork<R>(name: string, weights: WeightChoice, fn: (imp: ImportedWeights, denoiser: Denoiser) => R): R {
  const imp = importMcvd(fixturePath(name, 'pt'), fixturePath(name, 'yml'), weights);
  const store = new ParamStore(
    imp.network.paramSpecs().map((s) => ({ ...s, init: { kind: 'zeros' as const } })),
    0,
  );
  try {
    const tensors = Object.fromEntries(imp.params.map((p) => [p.name, tf.tensor(p.data, p.shape)]));
    store.load(tensors);
    tf.dispose(Object.values(tensors));
    return fn(imp, (xt, t, cond) => imp.network.apply(store.read, xt, t, cond ?? null));
  } finally {
    store.dispose();
  }
}

function forwardError(name: string, weights: WeightChoice, condKey: string, expectedKey: string) {
  const io = fixtureIo(name);
  return withNetwork(name, weights, (imp, denoiser) => {
    // MCVD feeds its labels (0 = noisiest); the denoiser takes standard t = T-1-label
    const t = Array.from(io.get('labels').data).map((l) => T - 1 - l);
    const x = nhwc(io.get('x'));
    const cond = nhwc(io.get(condKey));
    const out = denoiser(x, t, cond);
    const got = toNchw(out);
    tf.dispose([x, cond, out]);
    return { imp, ...errors(got, io.get(expectedKey).data) };
  });
}

describe('MCVD forward pass', () => {
  for (const name of FIXTURES) {
    it(`${name}: EMA weights match MCVD`, () => {
      const e = forwardError(name, 'ema', 'cond', 'eps_ema');
      console.log(
        `${name}: ${e.imp.mapped} keys mapped, ${e.imp.paramCount} params; forward max ${e.max.toExponential(2)} rel ${e.rel.toExponential(2)}`,
      );
      expect(e.rel).toBeLessThan(1e-5);
    });
    it(`${name}: model (non-EMA) weights match MCVD`, () => {
      const e = forwardError(name, 'model', 'cond', 'eps_model');
      expect(e.rel).toBeLessThan(1e-5);
      // and they are a different function from the EMA weights, so the choice matters
      expect(errors(fixtureIo(name).get('eps_model').data, fixtureIo(name).get('eps_ema').data).rel).toBeGreaterThan(1e-3);
    });
    it(`${name}: masked (p_mask) conditioning matches MCVD`, () => {
      const e = forwardError(name, 'ema', 'cond_masked', 'eps_masked');
      console.log(`${name}: masked max ${e.max.toExponential(2)} rel ${e.rel.toExponential(2)}`);
      expect(e.rel).toBeLessThan(1e-5);
    });
  }
});

describe('MCVD 10-step sampling with MCVD noise', () => {
  for (const name of FIXTURES) {
    it(`${name}: DDPM and DDIM match MCVD's samplers`, () => {
      const io = fixtureIo(name);
      withNetwork(name, 'ema', (imp, denoiser) => {
        const schedule = new NoiseSchedule(imp.config.schedule);
        const s = imp.config.sampling;
        expect(s.steps).toBe(10);
        const xT = nhwc(io.get('x_T'));
        const cond = nhwc(io.get('cond'));
        const noise = io.get('ddpm_noise');
        const per = noise.data.length / noise.shape[0];
        const z = Array.from({ length: noise.shape[0] }, (_, k) =>
          nhwc({ shape: noise.shape.slice(1), data: noise.data.subarray(k * per, (k + 1) * per) }),
        );
        const common = {
          schedule,
          denoiser,
          xT,
          cond,
          steps: s.steps,
          spacing: 'mcvd' as const,
          clipX0: s.clipX0,
          finalDenoise: s.finalDenoise,
        };
        const ddpm = ddpmSample({ ...common, stepNoise: (k) => z[k] });
        const ddim = ddimSample({ ...common, eta: 0 });
        const e1 = errors(toNchw(ddpm), io.get('ddpm_out').data);
        const e2 = errors(toNchw(ddim), io.get('ddim_out').data);
        console.log(
          `${name}: DDPM max ${e1.max.toExponential(2)} rel ${e1.rel.toExponential(2)}; DDIM max ${e2.max.toExponential(2)} rel ${e2.rel.toExponential(2)}`,
        );
        tf.dispose([xT, cond, ddpm, ddim, ...z]);
        expect(e1.rel).toBeLessThan(1e-4);
        expect(e2.rel).toBeLessThan(1e-4);
      });
    });
  }
});

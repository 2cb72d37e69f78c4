// Plain-node CommonJS check of the built package.
const tf = require('@tensorflow/tfjs-core');
require('@tensorflow/tfjs-backend-cpu');
require('@tensorflow/tfjs-layers');
const { NoiseSchedule, ddimSample, samplingPlan, stackFrames, unstackFrames } = require('@evdm/diffusion');

(async () => {
  await tf.setBackend('cpu');
  const schedule = NoiseSchedule.cosine(100);
  const plan = samplingPlan(schedule, { steps: 10, spacing: 'leading' });
  if (plan[0].t !== 90 || plan[9].t !== 0 || plan[9].alphaBarPrev !== 1) throw new Error('plan');
  const xT = tf.tensor4d([0.5, -1, 2, 0.25], [1, 1, 1, 4]);
  // toy model eps = sqrt(1 - abar) x (exact for x0 ~ N(0, I)): each DDIM step multiplies x by
  // sqrt(abar_prev·abar) + sqrt((1 - abar_prev)(1 - abar)) = cos of the angle between the two noise levels
  const toy = (x, t) => tf.mul(x, Math.sqrt(1 - schedule.alphasCumprod[t[0]]));
  const out = ddimSample({ schedule, denoiser: toy, xT, steps: 10, spacing: 'leading', clipX0: false });
  const want = plan.reduce(
    (f, p) => f * (Math.sqrt(p.alphaBarPrev * p.alphaBar) + Math.sqrt((1 - p.alphaBarPrev) * (1 - p.alphaBar))),
    1,
  );
  const got = out.dataSync();
  [0.5, -1, 2, 0.25].forEach((v, i) => {
    if (Math.abs(got[i] - want * v) > 1e-5) throw new Error(`ddim toy ${got[i]} vs ${want * v}`);
  });
  const x = tf.randomNormal([1, 3, 2, 2, 2]);
  const back = unstackFrames(stackFrames(x), 3);
  if (tf.max(tf.abs(tf.sub(back, x))).dataSync()[0] !== 0) throw new Error('stack round trip');
  console.log('diffusion cjs ok');
})().catch((e) => {
  console.error(e);
  process.exit(1);
});

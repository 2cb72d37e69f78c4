// Plain-node CommonJS check of the built evdm package.
const tf = require('@tensorflow/tfjs-core');
const { ParamStore, Rng } = require('@evdm/core');
const { DenoisingUNet, initBackend, reproduceTable8, writeGif, Trainer, SyntheticClipSource, sampleVideo } = require('evdm');

(async () => {
  await initBackend({ log: () => {} });
  const rows = reproduceTable8();
  if (rows.length !== 9 || rows[0].params !== 62831141) throw new Error('table 8');
  const net = new DenoisingUNet({
    arch: 'mcvd',
    baseChannels: 8,
    channelMult: [1, 2],
    imageSize: 16,
    attnResolutions: [8],
    imageChannels: 1,
    pastFrames: 1,
    currentFrames: 1,
  });
  const p = new ParamStore(net.paramSpecs(), new Rng(0));
  const g = tf.variableGrads(
    () => tf.mean(tf.square(net.apply(p.read, tf.ones([1, 16, 16, 1]), [10], tf.ones([1, 16, 16, 1]), { training: true }))),
    p.trainableVariables(),
  );
  if (!Number.isFinite(g.value.dataSync()[0])) throw new Error('training pass');
  writeGif('/tmp/evdm-smoke-cjs.gif', [new Uint8Array(4)], { width: 2, height: 2, channels: 1 });
  // one Trainer step, then an interpolation sample with a closed-form denoiser (x0 = mean of past and future)
  const tr = new Trainer({
    network: {
      arch: 'mcvd',
      baseChannels: 8,
      channelMult: [1, 2],
      imageSize: 16,
      attnResolutions: [8],
      pastFrames: 1,
      currentFrames: 1,
    },
    train: { steps: 1, batchSize: 1 },
    data: new SyntheticClipSource({ batchSize: 1, imageSize: 16, past: 1, current: 1 }),
  });
  if (!Number.isFinite((await tr.trainStep()).loss)) throw new Error('Trainer.trainStep');
  const sch = tr.schedule;
  const mid = (xt, t, cond) =>
    tf.tidy(() =>
      tf.div(tf.sub(xt, tf.mul(tf.mean(cond, 3, true), sch.sqrtAlphasCumprod[t[0]])), sch.sqrtOneMinusAlphasCumprod[t[0]]),
    );
  const past = tf.fill([1, 1, 4, 4, 1], -0.4);
  const future = tf.fill([1, 1, 4, 4, 1], 0.2);
  const v = sampleVideo({
    mode: 'interpolate',
    denoiser: mid,
    schedule: sch,
    layout: { pastFrames: 1, currentFrames: 1, futureFrames: 1, imageSize: 4, imageChannels: 1 },
    past,
    future,
    sampler: { sampler: 'ddim', steps: 5 },
  });
  if (!v.dataSync().every((x) => Math.abs(x + 0.1) < 1e-4)) throw new Error('sampleVideo interpolation');
  tr.dispose();
  console.log('evdm cjs ok');
})().catch((e) => {
  console.error(e);
  process.exit(1);
});

// An Rng / NoiseSchedule made by the CommonJS build, or by a second installed copy of @evdm/core, is
// accepted by the ESM samplers and loss (instanceof across builds and copies; issue 19). Plain node.
import { createRequire } from 'node:module';
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { Rng, isRng } from '@evdm/core';
import { NoiseSchedule, ddimSample, ddpmSample, maskedConditioningLoss } from '@evdm/diffusion';

const require = createRequire(import.meta.url);
await tf.setBackend('cpu');
const check = (ok, what) => {
  if (!ok) throw new Error(what);
};

// a second copy of @evdm/core's build, loaded from another directory (as with two installed versions)
const coreEntry = require.resolve('@evdm/core');
const coreDir = dirname(dirname(coreEntry));
const tmp = mkdtempSync(join(tmpdir(), 'evdm-copy-'));
try {
  mkdirSync(join(tmp, 'node_modules', '@evdm', 'core'), { recursive: true });
  cpSync(join(coreDir, 'dist'), join(tmp, 'node_modules', '@evdm', 'core', 'dist'), { recursive: true });
  cpSync(join(coreDir, 'package.json'), join(tmp, 'node_modules', '@evdm', 'core', 'package.json'));
  symlinkSync(join(coreDir, 'node_modules', '@tensorflow'), join(tmp, 'node_modules', '@tensorflow'));
  const copy = await import(join(tmp, 'node_modules', '@evdm', 'core', 'dist', 'index.js'));
  const cjsCore = require('@evdm/core');
  const cjsDiffusion = require('@evdm/diffusion');

  check(cjsCore.Rng !== Rng && copy.Rng !== Rng, 'the CJS build and the copy must be distinct classes for this check');
  for (const [what, R] of [
    ['CJS build', cjsCore.Rng],
    ['second copy', copy.Rng],
  ]) {
    const r = new R(7);
    check(r instanceof Rng && isRng(r), `${what}: an Rng is not recognised as an Rng`);
    check(new Rng(7) instanceof R, `${what}: instanceof fails the other way round`);
  }
  check(!({} instanceof Rng) && !isRng({ seed31() {} }) && !(null instanceof Rng), 'non-Rng objects must not pass');
  class Sub extends Rng {}
  check(new Sub(1) instanceof Sub && !(new Rng(1) instanceof Sub), 'subclasses keep the prototype check');

  const schedule = NoiseSchedule.linear(20);
  const cjsSchedule = cjsDiffusion.NoiseSchedule.linear(20);
  check(cjsSchedule instanceof NoiseSchedule, 'a CJS NoiseSchedule is not a NoiseSchedule for the ESM build');
  const denoiser = (x) => tf.mul(x, 0.1);
  const shape = [1, 2, 2, 1];
  const run = (seed, s = schedule) => ddimSample({ schedule: s, denoiser, shape, steps: 5, eta: 1, seed }).dataSync();
  const ref = run(new Rng(3));
  for (const [what, seed, s] of [
    ['CJS Rng', new cjsCore.Rng(3), schedule],
    ['copied Rng', new copy.Rng(3), schedule],
    ['CJS schedule', new Rng(3), cjsSchedule],
  ]) {
    const got = run(seed, s);
    check(
      got.every((v, i) => v === ref[i]),
      `ddimSample with a ${what} differs from the same seed in ESM`,
    );
  }
  ddpmSample({ schedule: cjsSchedule, denoiser, shape, seed: new copy.Rng(1) }).dispose();
  const current = tf.randomNormal([2, 1, 2, 2, 1], 0, 1, 'float32', 1);
  const { loss } = maskedConditioningLoss({
    schedule: cjsSchedule,
    denoiser: (xt) => tf.zerosLike(xt),
    rng: new cjsCore.Rng(1),
    current,
  });
  check(Number.isFinite(loss.dataSync()[0]), 'loss with a CJS Rng');
  console.log('mixed builds and copies ok');
} finally {
  rmSync(tmp, { recursive: true, force: true });
}

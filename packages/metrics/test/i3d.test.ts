import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { maxAbsDiff, useCpu } from '../../../test-utils/tf';
import { I3D, i3dConfig, i3dParamSpecs, i3dTrunkShape, i3dUnitNames } from '../src/i3d-model';
import { preprocessForI3D } from '../src/i3d-preprocess';
import { loadI3D, saveI3D } from '../src/i3d-weights';

// a tiny I3D from the same code: 1/8 of the channels, 32x32 inputs, 8 frames, 16-d output
const TINY = { width: 1 / 8, numClasses: 16, logitsPool: [1, 1, 1] as [number, number, number] };
const dir = mkdtempSync(join(tmpdir(), 'evdm-i3d-'));

beforeAll(useCpu);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('I3D architecture', () => {
  it('TF SAME strides: 16x224x224 leaves the 2x7x7 map the [2,7,7] logits pool expects', () => {
    expect(i3dTrunkShape(16, 224, 224)).toEqual([2, 7, 7]);
    expect(i3dTrunkShape(9, 224, 224)).toEqual([2, 7, 7]);
    expect(i3dTrunkShape(8, 224, 224)).toEqual([1, 7, 7]);
    expect(i3dTrunkShape(8, 32, 32)).toEqual([1, 1, 1]);
  });

  it('has the TF-Hub units and channel widths of the Kinetics network', () => {
    const c = i3dConfig();
    const names = i3dUnitNames(c);
    expect(names.length).toBe(3 + 9 * 6);
    expect(names.slice(0, 4)).toEqual(['Conv3d_1a_7x7', 'Conv3d_2b_1x1', 'Conv3d_2c_3x3', 'Mixed_3b/Branch_0/Conv3d_0a_1x1']);
    const shapes = Object.fromEntries(i3dParamSpecs(c).map((s) => [s.name, s.shape]));
    expect(shapes['Conv3d_1a_7x7/conv_3d/w']).toEqual([7, 7, 7, 3, 64]);
    // Mixed_4b takes 480 = 128+192+96+64 channels from Mixed_3c; Mixed_5b takes 832 from Mixed_4f
    expect(shapes['Mixed_4b/Branch_0/Conv3d_0a_1x1/conv_3d/w']).toEqual([1, 1, 1, 480, 192]);
    expect(shapes['Mixed_5b/Branch_2/Conv3d_0b_3x3/conv_3d/w']).toEqual([3, 3, 3, 32, 128]);
    expect(shapes['Logits/Conv3d_0c_1x1/conv_3d/w']).toEqual([1, 1, 1, 1024, 400]);
    expect(shapes['Logits/Conv3d_0c_1x1/conv_3d/b']).toEqual([400]);
  });

  it('rejects bad configs and inputs with clear errors', () => {
    expect(() => i3dConfig({ width: 0 })).toThrow(/width must be in \(0, 1\]/);
    expect(() => i3dConfig({ logitsPool: [2, 7] as never })).toThrow(/logitsPool must be 3 positive integers/);
    const net = I3D.random(TINY, 1);
    expect(() => net.features(tf.zeros([1, 8, 32, 32]))).toThrow(/expected videos \[B,T,H,W,C\]/);
    expect(() => net.features(tf.zeros([1, 8, 32, 32, 1]))).toThrow(/expected 3 channels, got 1/);
    const real = I3D.random({ width: 1 / 64 }, 1);
    expect(() => real.checkInput([1, 16, 64, 64, 3])).toThrow(/leaves a 2x2x2 feature map, smaller than the logits pool 2x7x7/);
    net.dispose();
    real.dispose();
  });
});

describe('random tiny I3D', () => {
  it('gives [B, D] features, deterministic per seed, each video independent of its batch', () => {
    const net = I3D.random(TINY, 7);
    const again = I3D.random(TINY, 7);
    const x = tf.randomUniform([3, 8, 32, 32, 3], -1, 1, 'float32', 5);
    const f = net.features(x);
    expect(f.shape).toEqual([3, 16]);
    const fd = f.dataSync();
    expect(fd.some((v) => v !== 0)).toBe(true);
    const g = again.features(x);
    expect(Array.from(g.dataSync())).toEqual(Array.from(fd));
    const one = tf.slice(x, [1, 0, 0, 0, 0], [1, -1, -1, -1, -1]);
    const f1 = net.features(one);
    expect(maxAbsDiff(f1.dataSync(), fd.slice(16, 32))).toBeLessThan(1e-5);
    tf.dispose([x, f, g, one, f1]);
    net.dispose();
    again.dispose();
  });

  it('leaves no tensors behind', () => {
    const net = I3D.random(TINY, 1);
    const x = tf.randomUniform([2, 8, 32, 32, 3], -1, 1);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) net.features(x).dispose();
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
    net.dispose();
  });

  it('with all conv weights zero the features are exactly the logits bias', () => {
    const c = i3dConfig(TINY);
    const map: tf.NamedTensorMap = {};
    for (const s of i3dParamSpecs(c)) {
      const n = s.shape.reduce((a, b) => a * b, 1);
      map[s.name] = s.name.endsWith('conv_3d/b')
        ? tf.tensor(
            Float32Array.from({ length: n }, (_, i) => i - 3),
            s.shape,
          )
        : s.name.endsWith('moving_variance')
          ? tf.ones(s.shape)
          : tf.zeros(s.shape);
    }
    const net = I3D.fromTensors(TINY, map);
    const f = net.features(tf.randomUniform([2, 8, 32, 32, 3], -1, 1));
    expect(Array.from(f.dataSync())).toEqual([
      ...Array.from({ length: 16 }, (_, i) => i - 3),
      ...Array.from({ length: 16 }, (_, i) => i - 3),
    ]);
    tf.dispose([f, ...Object.values(map)]);
    net.dispose();
  });
});

describe('I3D weights on disk', () => {
  it('save → load round-trips bit-exactly (model.json + weights.bin)', async () => {
    const net = I3D.random(TINY, 3);
    const out = join(dir, 'tiny');
    await saveI3D(net, out, 'random test network');
    const json = JSON.parse(readFileSync(join(out, 'model.json'), 'utf8'));
    expect(json.format).toBe('evdm-i3d');
    expect(json.config.numClasses).toBe(16);
    expect(json.weightsManifest[0].paths).toEqual(['weights.bin']);
    const back = loadI3D(out);
    const x = tf.randomUniform([2, 8, 32, 32, 3], -1, 1, 'float32', 9);
    const a = net.features(x);
    const b = back.features(x);
    expect(Array.from(b.dataSync())).toEqual(Array.from(a.dataSync()));
    tf.dispose([x, a, b]);
    net.dispose();
    back.dispose();
  });

  it('fails with instructions when the weights are missing, and names broken files', async () => {
    expect(() => loadI3D(join(dir, 'nothing-here'))).toThrow(/No I3D weights at .*nothing-here.*convert_i3d_torchscript\.py/);
    expect(() => loadI3D(undefined)).toThrow(/No I3D weights given.*i3d_torchscript\.pt/);
    const net = I3D.random(TINY, 3);
    const out = join(dir, 'broken');
    await saveI3D(net, out);
    net.dispose();
    const bin = readFileSync(join(out, 'weights.bin'));
    writeFileSync(join(out, 'weights.bin'), bin.subarray(0, bin.length - 8));
    expect(() => loadI3D(out)).toThrow(/shards hold \d+ bytes but the manifest describes \d+/);
    const json = JSON.parse(readFileSync(join(out, 'model.json'), 'utf8'));
    json.config.numClasses = 17;
    writeFileSync(join(out, 'weights.bin'), bin);
    writeFileSync(join(out, 'model.json'), JSON.stringify(json));
    expect(() => loadI3D(out)).toThrow(
      /do not fit the config.*Logits\/Conv3d_0c_1x1\/conv_3d\/w" have shape \[1,1,1,\d+,16\], expected \[1,1,1,\d+,17\]/,
    );
  });
});

describe('preprocessForI3D', () => {
  it('maps [0,1] to [-1,1], repeats gray to RGB, resizes 64 → 224 in every mode', () => {
    const v = tf.fill([1, 2, 64, 64, 1], 0.25);
    for (const resize of ['fvd', 'stylegan-v', 'mcvd'] as const) {
      const p = preprocessForI3D(v, { resize });
      expect(p.shape).toEqual([1, 2, 224, 224, 3]);
      expect(maxAbsDiff(p.dataSync(), new Float32Array(p.size).fill(-0.5))).toBeLessThan(1e-6);
      p.dispose();
    }
    v.dispose();
  });

  it('mcvd: shorter side to the size, centre crop; fvd: stretch; the half-pixel modes agree on a square input', () => {
    // a horizontal ramp 32x48: after the MCVD resize (48 → 72) and crop, the columns are the centre ones
    const ramp = tf.tidy(() => tf.tile(tf.reshape(tf.linspace(0, 1, 48), [1, 1, 1, 48, 1]), [1, 1, 32, 1, 1]));
    const m = preprocessForI3D(ramp, { resize: 'mcvd', size: 48 });
    const s = preprocessForI3D(ramp, { resize: 'stylegan-v', size: 48 });
    expect(m.shape).toEqual([1, 1, 48, 48, 3]);
    // the centre crop keeps the middle of the ramp, the stretch keeps its ends
    const md = m.dataSync();
    const sd = s.dataSync();
    expect(md[0]).toBeGreaterThan(-0.9);
    expect(sd[0]).toBeCloseTo(-1, 5);
    const sq = tf.randomUniform([1, 1, 20, 20, 3], 0, 1, 'float32', 4);
    const a = preprocessForI3D(sq, { resize: 'mcvd', size: 30 });
    const b = preprocessForI3D(sq, { resize: 'stylegan-v', size: 30 });
    const c = preprocessForI3D(sq, { resize: 'fvd', size: 30 });
    expect(maxAbsDiff(a.dataSync(), b.dataSync())).toBe(0);
    expect(maxAbsDiff(a.dataSync(), c.dataSync())).toBeGreaterThan(1e-3); // TF1 legacy sampling differs
    expect(() => preprocessForI3D(sq, { resize: 'nearest' as never })).toThrow(/unknown resize mode "nearest"/);
    tf.dispose([ramp, m, s, sq, a, b, c]);
  });
});

// The MCVD YAML translator: every field of MCVD's shipped configs is known; unsupported values and
// unknown fields are errors naming the field.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { parse, stringify } from 'yaml';
import { parseMcvdYaml, translateMcvdConfig } from '../src/interop/mcvd-config';
import { fixturePath } from './mcvd-fixtures.helpers';
import type { FixtureJson } from '../../../test-utils/golden';

const kth = () => parse(readFileSync(fixturePath('kth', 'yml'), 'utf8'));

describe('MCVD config translation', () => {
  it('translates the shrunk KTH config', () => {
    const c = parseMcvdYaml(readFileSync(fixturePath('kth', 'yml'), 'utf8'));
    expect(c.network).toMatchObject({
      arch: 'mcvd',
      baseChannels: 4,
      channelMult: [1, 2, 3, 4],
      numResBlocks: 2,
      imageSize: 16,
      imageChannels: 1,
    });
    expect(c.network).toMatchObject({
      pastFrames: 10,
      currentFrames: 5,
      futureFrames: 0,
      headChannels: 4,
      spade: null,
      timestepConvention: 'mcvd',
    });
    // attention at 8 and 16 px; the listed 32 is not a level of a 16 px network and MCVD ignores it
    expect(c.network.attnResolutions).toEqual([8, 16]);
    expect(c.schedule).toEqual({ kind: 'linear', T: 1000, betaStart: 0.0001, betaEnd: 0.02 });
    expect(c.sampling).toEqual({ sampler: 'ddpm', steps: 10, finalDenoise: 'mcvd', clipX0: true, framesToPredict: 20 });
  });
  it('SPADE: conditioning through the norms, spade_dim hidden channels', () => {
    const c = parseMcvdYaml(readFileSync(fixturePath('smmnist-spade', 'yml'), 'utf8'));
    expect(c.network.spade).toEqual({ hiddenChannels: 8 });
  });
  it('n_head_channels -1 (one head per layer) and DDIM', () => {
    const d = kth();
    d.model.n_head_channels = -1;
    d.model.version = 'DDIM';
    const c = translateMcvdConfig(d);
    expect(c.network.headChannels).toBe(16);
    expect(c.sampling.sampler).toBe('ddim');
  });
  it("knows the image configs' extra data / training / sampling fields", () => {
    const d = kth();
    Object.assign(d.data, { color_jitter: 0.0, num_digits: 2, step_length: 0.1, category: 'tower', test_subset: -1 });
    d.training.anneal_power = 2;
    d.sampling.init_prev_t = -1.0;
    expect(() => translateMcvdConfig(d)).not.toThrow();
  });
  it('names unknown sections and fields', () => {
    const d = kth();
    d.extras = { a: 1 };
    expect(() => translateMcvdConfig(d, 'x.yml')).toThrow(/x\.yml: unknown section "extras"/);
    const e = kth();
    e.data.fps = 30;
    expect(() => translateMcvdConfig(e)).toThrow(/unknown field "data\.fps"/);
  });
  it('names unsupported values', () => {
    const cases: Array<[(d: FixtureJson) => void, RegExp]> = [
      [(d) => (d.model.version = 'SMLD'), /model\.version = "SMLD"/],
      [(d) => (d.model.gamma = true), /model\.gamma = true is not supported/],
      [(d) => (d.model.cond_emb = true), /model\.cond_emb = true is not supported/],
      [(d) => (d.model.noise_in_cond = true), /model\.noise_in_cond = true/],
      [(d) => (d.model.sigma_dist = 'cosine'), /model\.sigma_dist = "cosine"/],
      [(d) => (d.model.arch = 'unetmorepseudo3d'), /model\.arch = "unetmorepseudo3d" \(MCVD's 3-D U-Net\)/],
      [(d) => (d.model.ngf = 'wide'), /model\.ngf must be a number/],
      [(d) => (d.data.image_size = 12), /imageSize 12 must be divisible/],
    ];
    for (const [edit, re] of cases) {
      const d = kth();
      edit(d);
      expect(() => parseMcvdYaml(stringify(d))).toThrow(re);
    }
  });
});

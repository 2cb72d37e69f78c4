// The MCVD baseline must be MCVD: exact parameter counts per module and in total for every preset of
// mcvd-numbers.json (measured by running the MCVD PyTorch code), GFLOPs within 0.1% of convention F.
import { describe, expect, it } from 'vitest';
import { loadReference, type FixtureJson } from '../../../test-utils/golden';
import { DenoisingUNet } from '../src/models/unet';
import { profileNetwork } from '../src/profile/profiler';

const numbers = loadReference('mcvd-numbers.json');

function configOf(preset: FixtureJson) {
  const c = preset.config;
  return {
    arch: 'mcvd' as const,
    baseChannels: c.ngf,
    channelMult: c.ch_mult,
    numResBlocks: c.num_res_blocks,
    attnResolutions: c.attn_resolutions,
    imageChannels: c.channels,
    pastFrames: c.num_frames_cond,
    currentFrames: c.num_frames,
    futureFrames: c.num_frames_future ?? 0,
    headChannels: c.n_head_channels,
    spade: c.spade ? { hiddenChannels: c.spade_dim } : null,
  };
}

const fConvention = (conv: Record<string, number>) => Object.entries(conv).find(([k]) => k.startsWith('F'))![1];

describe('MCVD baseline vs the measured PyTorch model', () => {
  for (const [name, preset] of Object.entries<FixtureJson>(numbers.presets)) {
    it(`${name}: total and per-module parameters are exact`, () => {
      const net = new DenoisingUNet(configOf(preset));
      expect(net.paramCount()).toBe(preset.params.total);
      const ours = net.modules.map((m) => m.specs.reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1), 0));
      expect(ours).toEqual(preset.per_module.map((m: { params: number }) => m.params));
    });

    it(`${name}: forward GFLOPs at batch 64 within 0.1% of the fvcore count (convention F)`, () => {
      const net = new DenoisingUNet(configOf(preset));
      const ref = fConvention(preset.flops_batch64.conventions_gflops);
      const ours = profileNetwork(net, 64).flops / 1e9;
      expect(Math.abs(ours - ref) / ref).toBeLessThan(1e-3);
    });
  }

  it('kth: per-level Table 1 split matches the measured conv/attention split', () => {
    const net = new DenoisingUNet(configOf(numbers.presets.kth_paper));
    const prof = profileNetwork(net, 64);
    const conv = [334.328, 483.524, 274.073, 139.655];
    const attn = [0, 106.491, 23.627, 10.501];
    prof.levels.forEach((l, i) => {
      expect(Math.abs(l.blockFlops / 1e9 - conv[i])).toBeLessThan(0.01 * Math.max(1, conv[i]) * 0.1);
      expect(Math.abs(l.attentionFlops / 1e9 - attn[i])).toBeLessThan(0.01 * Math.max(1, attn[i]) * 0.1);
    });
    expect(prof.levels.map((l) => l.blockParams)).toEqual([2585088, 8230848, 16862208, 31135488]);
  });
});

import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { paramCount, sumFlops } from '@evdm/core';
import '../../../test-utils/tf';

describe('a new block variant is one file plus one registry entry (examples/time-conv-block.ts, layers-brp README)', () => {
  it('the example runs: a U-Net of the new block predicts eps of the right shape, params and FLOPs add up', async () => {
    const ex = await import('../examples/time-conv-block');
    const { net, eps } = ex;
    expect(eps.shape).toEqual([2, 16, 16, 1]);
    expect(eps.dataSync().every(Number.isFinite)).toBe(true);
    const blocks = net.modules.filter((m) => m.group === 'block');
    expect(blocks.length).toBeGreaterThan(0);
    // every block module is the new variant, with its three parameter groups
    for (const m of blocks)
      expect(m.specs.map((s) => s.name.slice(m.name.length))).toEqual([
        '/temb/kernel',
        '/temb/bias',
        '/conv/kernel',
        '/conv/bias',
        '/skip/kernel',
        '/skip/bias',
      ]);
    expect(net.paramCount()).toBe(paramCount(net.paramSpecs()));
    const down = new ex.TimeConvBlock({ name: 'b', inChannels: 8, outChannels: 16, tembChannels: 32, resample: 'down' });
    expect(sumFlops(down.flops(1, 16, 16), 'conv')).toBe(8 * 8 * 16 * 8 * 9 + 8 * 8 * 16 * 8);
    eps.dispose();
  });

  it('an unknown arch names the registered ones', async () => {
    const { resolveNetworkConfig } = await import('../src/models/network-config');
    expect(() => resolveNetworkConfig({ arch: 'nope' as 'mcvd' })).toThrow(/arch must be "mcvd" or "evdm"/);
  });

  it('the layers-brp README shows this example verbatim', () => {
    const readme = readFileSync(new URL('../../layers-brp/README.md', import.meta.url), 'utf8');
    const src = readFileSync(new URL('../examples/time-conv-block.ts', import.meta.url), 'utf8');
    const body = src.slice(src.indexOf('/** h = Conv3x3'));
    expect(readme).toContain(body.trim());
  });
});

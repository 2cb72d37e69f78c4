// The BRP block with its channel ops fused into the native EvdmChannelGather kernels vs the old
// composed ops (slice / concat / channel shuffle / add / multiply), on both hosts.
import * as tf from '@tensorflow/tfjs-core';
import { BottleneckResidualPathway } from '@evdm/layers-brp';
import { afterAll, describe, expect, it } from 'vitest';
import { FUSION_CASES, fusedStepLeaks, randomStore, runBlock } from '../../layers-brp/test/brp-fusion-cases';
import { registerNativeKernels, unregisterNativeKernels } from '../src/index';
import { available, HOSTS, relErr, requireAddon, TOL } from './helpers';

requireAddon();

describe.skipIf(!available)('BRP fused (native channel gather) vs composed channel ops', () => {
  afterAll(() => unregisterNativeKernels());

  for (const host of HOSTS) {
    for (const c of FUSION_CASES) {
      it(`${host}: ${c.label}: forward and every gradient`, async () => {
        await tf.setBackend(host);
        await tf.ready();
        unregisterNativeKernels();
        registerNativeKernels(host);
        const store = randomStore(new BottleneckResidualPathway(c.cfg).paramSpecs(), 5);
        const prof = await tf.profile(() => {
          runBlock(c, 'fused', store);
        });
        expect(prof.kernels.some((k) => k.name === 'EvdmChannelGather')).toBe(true);
        expect(prof.kernels.some((k) => k.name === 'EvdmChannelGatherGrad')).toBe(true);
        const fused = runBlock(c, 'fused', store);
        const composed = runBlock(c, 'composed', store);
        composed.forEach((want, i) => expect(relErr(fused[i], want), `output ${i}`).toBeLessThan(TOL));
        tf.dispose(store.variableList());
      });
    }
  }

  it('no tensor leaks on the cpu host with the native kernels', async () => {
    await tf.setBackend('cpu');
    unregisterNativeKernels();
    registerNativeKernels('cpu');
    expect(fusedStepLeaks(FUSION_CASES[0])).toBe(0);
  });
});

// A new residual-block variant: this one file plus one registry entry.
// Runs as written in test/block-variant.test.ts (npx vitest run packages/evdm/test/block-variant.test.ts).
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import {
  conv,
  conv2dMacs,
  convSpecs,
  dense,
  denseSpecs,
  groupNorm,
  groupNormFlops,
  mcvdGroupCount,
  ParamStore,
  silu,
  type BlockContext,
  type FlopEntry,
  type ParamReader,
  type ParamSpec,
  type ResidualBlock,
} from '@evdm/core';
import { firDownsample, firUpsample } from '@evdm/layers-brp';
import { DenoisingUNet, registerResidualBlock, type ResidualBlockSite } from 'evdm';

/** h = Conv3x3(FIR(SiLU(GN(x)))) + Dense(SiLU(temb)); out = Conv1x1(FIR(x)) + h. */
export class TimeConvBlock implements ResidualBlock {
  constructor(readonly site: ResidualBlockSite) {}

  get name(): string {
    return this.site.name;
  }

  paramSpecs(): ParamSpec[] {
    const { name, inChannels: cin, outChannels: cout, tembChannels: t } = this.site;
    return [
      ...denseSpecs(`${name}/temb`, t, cout),
      ...convSpecs(`${name}/conv`, 3, cin, cout),
      ...convSpecs(`${name}/skip`, 1, cin, cout),
    ];
  }

  apply(read: ParamReader, x: tf.Tensor4D, ctx: BlockContext): tf.Tensor4D {
    const { name, inChannels: cin, resample } = this.site;
    const fir = resample === 'up' ? firUpsample : resample === 'down' ? firDownsample : (v: tf.Tensor4D) => v;
    return tf.tidy(() => {
      const h = fir(groupNorm({ x, groups: mcvdGroupCount(cin), eps: 1e-5, activation: 'silu' }) as tf.Tensor4D);
      const timeBias = tf.reshape(dense(read, `${name}/temb`, silu(ctx.temb)), [x.shape[0], 1, 1, -1]);
      return tf.add(conv(read, `${name}/skip`, fir(x)), tf.add(conv(read, `${name}/conv`, h), timeBias));
    });
  }

  flops(batch: number, height: number, width: number): FlopEntry[] {
    const { name, inChannels: cin, outChannels: cout, resample } = this.site;
    const f = resample === 'up' ? 2 : resample === 'down' ? 0.5 : 1;
    const [ho, wo] = [height * f, width * f];
    return [
      { name: `${name}/norm`, kind: 'norm', flops: groupNormFlops(batch * height * width * cin, false) },
      { name: `${name}/conv`, kind: 'conv', flops: conv2dMacs(batch, ho, wo, cin, cout, 3) },
      { name: `${name}/skip`, kind: 'conv', flops: conv2dMacs(batch, ho, wo, cin, cout, 1) },
    ];
  }
}

// The one registry entry (in the repo: a line in packages/evdm/src/models/residual-blocks.ts).
registerResidualBlock('time-conv', (site) => new TimeConvBlock(site));

// Any network config (or preset) can now name it.
export const net = new DenoisingUNet({
  arch: 'time-conv',
  baseChannels: 8,
  channelMult: [1, 2],
  imageSize: 16,
  attnResolutions: [8],
  pastFrames: 2,
  currentFrames: 1,
});
const store = new ParamStore(net.paramSpecs(), 0);
export const eps = net.apply(store.read, tf.randomNormal([2, 16, 16, 1]), [10, 500], tf.randomNormal([2, 16, 16, 2]));
console.log(eps.shape, net.paramCount(), 'params');

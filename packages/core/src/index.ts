export { Rng, isRng } from './rng';
export { hasBrand, brandedInstanceOf } from './brand';
export type { RngState } from './rng';
export {
  groupNorm,
  groupNormComposed,
  mcvdGroupCount,
  setGroupNormImplementation,
  getGroupNormImplementation,
  validateGroupNorm,
} from './group-norm';
export type { GroupNormArgs, GroupNormImplementation } from './group-norm';
export { varianceScalingUniform, fans } from './init';
export { ParamStore, paramCount, initialValues } from './params';
export type { Initializer, ParamSpec, ParamReader, ParamModule } from './params';
export type { Block, BlockContext, ResidualBlock } from './block';
export { convSpecs, denseSpecs, affineNormSpecs, conv, dense, affineNorm, silu } from './builders';
export { fail, failWith, checkPositiveInt, checkName, checkRate, checkOneOf, checkDivides } from './config-checks';
export type { Fail } from './config-checks';
export { parseConfigJson } from './config-idiom';
export type { Configurable } from './config-idiom';
export { conv2dMacs, groupNormFlops, sumFlops } from './flops';
export type { FlopEntry, FlopKind } from './flops';
export {
  channelGather,
  channelGatherComposed,
  channelGatherKernelAvailable,
  validateChannelGather,
  inversePerm,
  CHANNEL_GATHER,
  CHANNEL_GATHER_GRAD,
} from './channel-gather';
export type { ChannelGatherArgs, ChannelGatherAttrs, ChannelGatherGradAttrs } from './channel-gather';
export {
  seededDropout,
  seededDropoutComposed,
  seededDropoutKernelAvailable,
  seededDropoutAttrs,
  dropoutMask,
  dropoutHash,
  dropoutKeys,
  SEEDED_DROPOUT,
} from './seeded-dropout';
export type { SeededDropoutAttrs } from './seeded-dropout';
export { conv2dSame, conv2dGradKernelAvailable, CONV2D_GRAD } from './conv2d';
export type { Conv2DGradAttrs } from './conv2d';
export { linear, denseGradKernelAvailable, DENSE_GRAD } from './linear';
export { FAVOR_ATTENTION, FAVOR_ATTENTION_GRAD, FAVOR_STABILIZERS } from './favor-kernel';
export type { FavorKernelAttrs } from './favor-kernel';

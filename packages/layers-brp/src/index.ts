/**
 * @evdm/layers-brp: MCVD's residual block and the EVDM Bottleneck Residual Pathway family as
 * pure tfjs-core functions of named weights (module contract of @evdm/core).
 */
export { McvdResBlock, MCVD_RESBLOCK_EPS } from './mcvd-resblock';
export type { McvdResBlockConfig, ResolvedMcvdResBlockConfig } from './mcvd-resblock';
export { BottleneckResidualPathway, BRP_EPS, SPLIT_SHUFFLE_GROUPS } from './brp';
export type { BrpConfig, ResolvedBrpConfig, BrpProcedurePlan } from './brp';
export { spadeNorm, spadeSpecs, spadeFlops, SPADE_EPS } from './spade';
export type { SpadeConfig } from './spade';
export {
  groupedConv1x1,
  channelShuffle,
  channelShufflePerm,
  blockDiagonalKernel,
  setGroupedConvMethod,
  getGroupedConvMethod,
  GROUPED_CONV_METHODS,
} from './grouped-conv';
export type { GroupedConvMethod } from './grouped-conv';
export { nativeGroupedConv2d, nativeGroupedConvAvailable, type GroupedConvGeometry } from './native-grouped-conv';
export { firDownsample, firUpsample } from './fir';
export { channelSplitPlan } from './channel-split';
export { groupNormTail } from './group-norm-tail';
export type { ChannelSplitPlan } from './channel-split';
export { ResidualBlockBase } from './residual-block';
export type { Resample, ResidualBlockConfig, ResidualBlockFields } from './residual-block';
export type { BlockContext } from '@evdm/core';
export { setBrpChannelOps, getBrpChannelOps, BRP_CHANNEL_OPS, splitOutputPerm } from './brp-channel-ops';
export type { BrpChannelOps } from './brp-channel-ops';

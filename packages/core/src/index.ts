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
export { conv2dMacs, groupNormFlops, sumFlops } from './flops';
export type { FlopEntry, FlopKind } from './flops';

export { ModuleLayer } from './layers-adapter';
export type { ModuleLayerArgs } from './layers-adapter';

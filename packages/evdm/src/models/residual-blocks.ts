/**
 * Which residual block a U-Net uses, by `NetworkConfig.arch`: one factory per architecture. A new
 * block variant is one file (a class that `implements ResidualBlock` of `@evdm/core`) plus one
 * entry here (or a `registerResidualBlock` call from user code); the U-Net, FLOP profiler, trainer
 * and checkpoints need no change.
 */
import type { ResidualBlock } from '@evdm/core';
import { BottleneckResidualPathway, McvdResBlock, type ResidualBlockConfig } from '@evdm/layers-brp';
import { condChannels, type NetworkConfig } from './network-config';

/** Where a block sits in the U-Net (name, widths, T, resampling): everything its factory gets besides the network config. */
export type ResidualBlockSite = ResidualBlockConfig;

export type ResidualBlockFactory = (site: ResidualBlockSite, cfg: NetworkConfig) => ResidualBlock;

const FACTORIES = new Map<string, ResidualBlockFactory>([
  [
    'mcvd',
    (site, cfg) =>
      new McvdResBlock({
        ...site,
        dropout: cfg.dropout,
        spade: cfg.spade ? { condChannels: condChannels(cfg), hiddenChannels: cfg.spade.hiddenChannels } : undefined,
      }),
  ],
  [
    'evdm',
    (site, cfg) => {
      const b = cfg.brp!;
      return new BottleneckResidualPathway({
        ...site,
        delta: b.delta,
        temporalEnhancement: b.temporalEnhancement,
        channelSplit: b.channelSplit,
        shortcutGroups: b.shortcutGroups,
        enhancementWidth: b.enhancementWidth,
        activation: b.activation,
        dropout: cfg.dropout,
      });
    },
  ],
]);

/** Makes `arch` a valid `NetworkConfig.arch` whose U-Nets build their residual blocks with `factory`. */
export function registerResidualBlock(arch: string, factory: ResidualBlockFactory): void {
  if (typeof arch !== 'string' || arch.length === 0)
    throw new Error(`registerResidualBlock: arch must be a non-empty string, got ${String(arch)}`);
  if (typeof factory !== 'function') throw new Error(`registerResidualBlock(${arch}): factory must be a function`);
  if (arch === 'mcvd' || arch === 'evdm') throw new Error(`registerResidualBlock: "${arch}" is built in and cannot be replaced`);
  FACTORIES.set(arch, factory);
}

/** The architectures a network config may name. */
export function residualBlockArchs(): string[] {
  return [...FACTORIES.keys()];
}

export function makeResidualBlock(site: ResidualBlockSite, cfg: NetworkConfig): ResidualBlock {
  const factory = FACTORIES.get(cfg.arch);
  if (!factory) throw new Error(`no residual block registered for arch "${cfg.arch}" (have ${residualBlockArchs().join(', ')})`);
  return factory(site, cfg);
}

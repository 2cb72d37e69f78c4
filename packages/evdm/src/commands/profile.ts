import type { Command } from 'commander';
import { DenoisingUNet } from '../models/unet';
import { profileNetwork } from '../profile/profiler';
import { networkFromJson, readJsonConfigFile } from '../train/run-config';

export function registerProfile(program: Command): void {
  program
    .command('profile')
    .description('build a network from a config file and print its parameters and forward GFLOPs')
    .requiredOption('--config <file>', 'network config JSON (full config or {"preset": {"model", "dataset"}} + overrides)')
    .option('--batch <n>', 'batch size for the FLOP count', '64')
    .option('--json', 'print JSON')
    .action((opts: { config: string; batch: string; json?: boolean }) => {
      const batch = Number(opts.batch);
      if (!Number.isInteger(batch) || batch < 1) throw new Error(`--batch must be a positive integer, got "${opts.batch}"`);
      // the same file format as a run config's "network" section: a full config or a preset + overrides
      const net = new DenoisingUNet(networkFromJson(readJsonConfigFile(opts.config), `config file ${opts.config}`));
      const prof = profileNetwork(net, batch);
      if (opts.json) {
        process.stdout.write(
          JSON.stringify(
            {
              config: net.config,
              batch,
              params: prof.params,
              gflops: prof.flops / 1e9,
              levels: prof.levels.map((l) => ({
                level: l.level,
                conv_params: l.blockParams,
                attention_params: l.attentionParams,
                conv_gflops: l.blockFlops / 1e9,
                attention_gflops: l.attentionFlops / 1e9,
              })),
              groups: Object.fromEntries(Object.entries(prof.byGroup).map(([k, v]) => [k, { params: v.params, gflops: v.flops / 1e9 }])),
              kinds: Object.fromEntries(Object.entries(prof.byKind).map(([k, v]) => [k, v / 1e9])),
            },
            null,
            2,
          ) + '\n',
        );
        return;
      }
      console.log(`network: ${net.config.arch}, C0 ${net.config.baseChannels}, ${net.config.imageChannels} ch, frames ${net.config.pastFrames} past / ${net.config.currentFrames} current / ${net.config.futureFrames} future`);
      console.log(`params: ${prof.params.toLocaleString('en-US')} (${(prof.params / 1e6).toFixed(3)} M)`);
      console.log(`forward GFLOPs at batch ${batch}: ${(prof.flops / 1e9).toFixed(3)} (fvcore convention: MACs)`);
      console.log('level  conv params  attn params  conv GFLOPs  attn GFLOPs');
      for (const l of prof.levels) {
        console.log(
          `${String(l.level).padStart(5)}  ${(l.blockParams / 1e6).toFixed(3).padStart(11)}  ${(l.attentionParams / 1e6).toFixed(3).padStart(11)}  ${(l.blockFlops / 1e9).toFixed(3).padStart(11)}  ${(l.attentionFlops / 1e9).toFixed(3).padStart(11)}`,
        );
      }
      for (const [k, v] of Object.entries(prof.byGroup)) console.log(`${k.padEnd(9)} params ${v.params.toLocaleString('en-US')}, GFLOPs ${(v.flops / 1e9).toFixed(3)}`);
    });
}

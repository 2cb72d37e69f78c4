import type { Command } from 'commander';
import { DenoisingUNet } from '../models/unet';
import { ParamStore, Rng } from '@evdm/core';
import { measureExecutedFlops, type ExecutedFlops } from '../profile/executed-flops';
import { profileNetwork } from '../profile/profiler';
import { initBackend } from '../runtime/backend';
import { networkFromJson, readJsonConfigFile } from '../train/run-config';
import { intFlag } from './flags';

export function registerProfile(program: Command): void {
  program
    .command('profile')
    .description('build a network from a config file and print its parameters and forward GFLOPs')
    .requiredOption('--config <file>', 'network config JSON (full config or {"preset": {"model", "dataset"}} + overrides)')
    .option('--batch <n>', 'batch size for the FLOP count', '64')
    .option('--json', 'print JSON')
    .option(
      '--measured',
      'also run one forward pass at batch 1 under tf.profile and count the conv/matmul MACs that execute (scaled to --batch)',
    )
    .action(async (opts: { config: string; batch: string; json?: boolean; measured?: boolean }) => {
      const batch = intFlag('batch', opts.batch, 1);
      // the same file format as a run config's "network" section: a full config or a preset + overrides
      const net = new DenoisingUNet(networkFromJson(readJsonConfigFile(opts.config), `config file ${opts.config}`));
      const prof = profileNetwork(net, batch);
      let executed: ExecutedFlops | null = null;
      if (opts.measured) {
        await initBackend({ log: opts.json ? () => {} : undefined });
        const params = new ParamStore(net.paramSpecs(), new Rng(0));
        try {
          executed = await measureExecutedFlops(net, params, { batch: 1 });
        } finally {
          params.dispose();
        }
      }
      const analyticMacs = (prof.byKind.conv ?? 0) + (prof.byKind.attention ?? 0) + (prof.byKind.linear ?? 0);
      const measured = executed && {
        method: 'tf.profile kernel records of one forward pass at batch 1, scaled linearly to the batch',
        conv_gflops: (executed.conv * batch) / 1e9,
        matmul_gflops: (executed.matmul * batch) / 1e9,
        depthwise_gflops: (executed.depthwise * batch) / 1e9,
        analytic_conv_attention_linear_gflops: analyticMacs / 1e9,
        diff_pct: (100 * ((executed.conv + executed.matmul) * batch - analyticMacs)) / analyticMacs,
      };
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
              groups: Object.fromEntries(
                Object.entries(prof.byGroup).map(([k, v]) => [k, { params: v.params, gflops: v.flops / 1e9 }]),
              ),
              kinds: Object.fromEntries(Object.entries(prof.byKind).map(([k, v]) => [k, v / 1e9])),
              ...(measured ? { measured } : {}),
            },
            null,
            2,
          ) + '\n',
        );
        return;
      }
      console.log(
        `network: ${net.config.arch}, C0 ${net.config.baseChannels}, ${net.config.imageChannels} ch, frames ${net.config.pastFrames} past / ${net.config.currentFrames} current / ${net.config.futureFrames} future`,
      );
      console.log(`params: ${prof.params.toLocaleString('en-US')} (${(prof.params / 1e6).toFixed(3)} M)`);
      console.log(`forward GFLOPs at batch ${batch}: ${(prof.flops / 1e9).toFixed(3)} (fvcore convention: MACs)`);
      console.log('level  conv params  attn params  conv GFLOPs  attn GFLOPs');
      for (const l of prof.levels) {
        console.log(
          `${String(l.level).padStart(5)}  ${(l.blockParams / 1e6).toFixed(3).padStart(11)}  ${(l.attentionParams / 1e6).toFixed(3).padStart(11)}  ${(l.blockFlops / 1e9).toFixed(3).padStart(11)}  ${(l.attentionFlops / 1e9).toFixed(3).padStart(11)}`,
        );
      }
      for (const [k, v] of Object.entries(prof.byGroup))
        console.log(`${k.padEnd(9)} params ${v.params.toLocaleString('en-US')}, GFLOPs ${(v.flops / 1e9).toFixed(3)}`);
      console.log("GFLOPs reported above are analytic: each layer counts its own MACs in the paper's fvcore convention.");
      if (measured) {
        console.log(
          `measured (${measured.method}): conv ${measured.conv_gflops.toFixed(3)} + matmul ${measured.matmul_gflops.toFixed(3)} GFLOPs vs analytic conv+attention+linear ${measured.analytic_conv_attention_linear_gflops.toFixed(3)} (${measured.diff_pct >= 0 ? '+' : ''}${measured.diff_pct.toFixed(2)}%: the per-block time-embedding Linears run but fvcore does not count them)`,
        );
      }
    });
}

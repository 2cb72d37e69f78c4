import type { Command } from 'commander';
import { initBackend, nativePoolStats } from '../runtime/backend';
import { parseBenchModel, SAMPLE_WARMUP, TRAIN_WARMUP, timeSamplingSteps, timeTrainingSteps } from '../bench/training-step';
import { DenoisingUNet } from '../models/unet';
import { modelConfig } from '../models/presets';
import { intFlag } from './flags';

const BACKENDS = ['cpu', 'wasm', 'native', 'native-cpu'] as const;

export function registerBench(program: Command): void {
  const bench = program.command('bench').description('benchmarks (timings, not tests)');
  bench
    .command('step')
    .description(
      'time one training step (forward + backward + Adam) of a preset network on a backend, or with --sample one sampling step (one forward pass)',
    )
    .option(
      '--model <name>',
      'mcvd-kth | evdm-kth | evdm-l-kth (any preset dataset suffix: -smmnist, -bair, -ucf101)',
      'mcvd-kth',
    )
    .option(
      '--backend <name>',
      'cpu | wasm | native (wasm host + @evdm/backend-native oneDNN kernels) | native-cpu (cpu host + the same kernels; no 4 GB heap limit)',
      'wasm',
    )
    .option('--batch <n>', 'batch size (default 8; 1 with --sample, the batch of the Table 9 sampling latency)')
    .option('--sample', 'time one DDPM sampling step (one network forward pass, eval mode, no tape) instead of a training step')
    .option('--runs <n>', 'timed steps after the warm-up steps', '5')
    .option(
      '--warmup <n>',
      'untimed steps first (default 2 training steps: the second still allocates the optimizer buffers the updates alternate between; 1 sampling step)',
    )
    .option(
      '--rematerialize',
      'gradient checkpointing: recompute block activations in the backward pass (what fits batch-8 KTH steps in the wasm heap)',
    )
    .option(
      '--json',
      'print {"model", "backend", "batch", "median_ms", "runs", "warmup", "mode", "params", "max_rss_mb", "native_pool"} (runs = every timed step in ms; warmup = untimed steps before them; max_rss_mb = peak RSS of this process; native_pool = what the native worker pool did, or null)',
    )
    .action(
      async (opts: {
        model: string;
        backend: string;
        batch?: string;
        runs: string;
        warmup?: string;
        json?: boolean;
        rematerialize?: boolean;
        sample?: boolean;
      }) => {
        const { model, dataset } = parseBenchModel(opts.model);
        if (!(BACKENDS as readonly string[]).includes(opts.backend))
          throw new Error(`--backend must be one of ${BACKENDS.join(', ')}, got "${opts.backend}"`);
        const batch = intFlag('batch', opts.batch ?? (opts.sample ? '1' : '8'), 1);
        const runs = intFlag('runs', opts.runs, 1);
        const warmup = intFlag('warmup', opts.warmup, 0, opts.sample ? SAMPLE_WARMUP : TRAIN_WARMUP);
        const native = opts.backend.startsWith('native');
        const host =
          opts.backend === 'native' ? 'wasm' : opts.backend === 'native-cpu' ? 'cpu' : (opts.backend as 'cpu' | 'wasm');
        const runtime = await initBackend({ backend: host, native, log: opts.json ? () => {} : undefined });
        if (native && !runtime.native.active) throw new Error(`--backend ${opts.backend}: ${runtime.native.reason}`);
        const log = (line: string) => {
          if (!opts.json) console.log(line);
        };
        const mode = opts.sample ? 'sample' : 'train';
        log(
          `timing ${mode === 'sample' ? 'sampling' : 'training'} steps of ${model}-${dataset}, batch ${batch}, on ${opts.backend}${opts.rematerialize && !opts.sample ? ' with gradient checkpointing' : ''}: ${warmup} warm-up step${warmup === 1 ? '' : 's'} + ${runs} timed steps`,
        );
        const onRun = (i: number, ms: number) => log(`  step ${i}/${runs}: ${ms.toFixed(0)} ms`);
        const result = opts.sample
          ? await timeSamplingSteps({ model, dataset, batch, runs, warmup, backend: opts.backend, onRun })
          : await timeTrainingSteps({
              model,
              dataset,
              batch,
              runs,
              warmup,
              backend: opts.backend,
              rematerialize: opts.rematerialize,
              onRun,
            });
        // peak resident set of this process (set-up + warm-up + timed steps), for the memory comparison
        const maxRssMb = Math.round(process.resourceUsage().maxRSS / 102.4) / 10;
        if (opts.json) {
          const params = new DenoisingUNet(modelConfig(model, dataset)).paramCount();
          const round = (v: number) => Math.round(v * 10) / 10;
          process.stdout.write(
            JSON.stringify({
              ...result,
              median_ms: round(result.median_ms),
              runs: result.runs.map(round),
              mode,
              params,
              max_rss_mb: maxRssMb,
              native_pool: nativePoolStats(),
            }) + '\n',
          );
          return;
        }
        log(
          `median ${result.median_ms.toFixed(0)} ms per step (${((batch * 1000) / result.median_ms).toFixed(2)} samples/s), peak RSS ${maxRssMb.toFixed(0)} MB`,
        );
      },
    );
}

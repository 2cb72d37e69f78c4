import type { Command } from 'commander';
import { initBackend } from '../runtime/backend';
import { runImportMcvd, runImportSafetensors, runImportTfjs, type ImportSummary } from '../interop/run-import';

function report(s: ImportSummary, json: boolean | undefined): void {
  if (json) {
    process.stdout.write(JSON.stringify(s) + '\n');
    return;
  }
  console.log(
    `imported ${s.source} (${s.weights} weights): ${s.keysMapped} tensors, ${s.params} parameters in ${s.seconds.toFixed(1)} s`,
  );
  console.log(`checkpoint ${s.checkpoint}`);
  console.log(`sample it: evdm sample --checkpoint ${s.out} --out <dir> ...`);
}

export function registerImport(program: Command): void {
  const imp = program
    .command('import')
    .description('convert other formats into an evdm checkpoint directory (nothing is written on failure)');
  imp
    .command('mcvd')
    .description('an MCVD (voletiv/mcvd-pytorch) torch.save checkpoint and its YAML config')
    .requiredOption('--checkpoint <file.pt>', 'torch.save file [model, optimizer, epoch, step, ema] (torch >= 1.6 zip format)')
    .requiredOption('--config <file.yml>', "the run's MCVD config (configs/*.yml)")
    .requiredOption('--out <dir>', 'new directory for the evdm checkpoint (must not exist)')
    .option('--weights <which>', 'ema (what MCVD samples with) or model', 'ema')
    .option('--json', 'print a JSON summary')
    .action(async (o: { checkpoint: string; config: string; out: string; weights: string; json?: boolean }) => {
      if (o.weights !== 'ema' && o.weights !== 'model') throw new Error(`--weights must be ema or model, got "${o.weights}"`);
      await initBackend({ backend: 'cpu', native: false, log: () => {} }); // tensors are only encoded here
      report(await runImportMcvd(o), o.json);
    });
  imp
    .command('safetensors')
    .description('a safetensors file written by evdm export (or MCVD state_dict names with --config)')
    .requiredOption('--file <file.safetensors>', 'the weights')
    .requiredOption('--out <dir>', 'new directory for the evdm checkpoint (must not exist)')
    .option('--config <file.yml>', 'MCVD YAML config, for files with MCVD parameter names')
    .option('--json', 'print a JSON summary')
    .action(async (o: { file: string; out: string; config?: string; json?: boolean }) => {
      await initBackend({ backend: 'cpu', native: false, log: () => {} }); // tensors are only encoded here
      report(await runImportSafetensors(o), o.json);
    });
  imp
    .command('tfjs')
    .description('a TF.js weights directory written by evdm export --format tfjs')
    .requiredOption('--dir <dir>', 'directory holding model.json and its weight shards')
    .requiredOption('--out <dir>', 'new directory for the evdm checkpoint (must not exist)')
    .option('--json', 'print a JSON summary')
    .action(async (o: { dir: string; out: string; json?: boolean }) => {
      await initBackend({ backend: 'cpu', native: false, log: () => {} }); // tensors are only encoded here
      report(await runImportTfjs(o), o.json);
    });
}

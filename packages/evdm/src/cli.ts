#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { registerBench } from './commands/bench';
import { registerEval } from './commands/eval';
import { registerExport } from './commands/export';
import { registerImport } from './commands/import';
import { polishHelp } from './commands/help';
import { registerMain } from './commands/main';
import { registerMetrics } from './commands/metrics';
import { registerProfile } from './commands/profile';
import { registerReproduce } from './commands/reproduce';
import { registerSample } from './commands/sample';
import { registerTrain } from './commands/train';
import { VERSION } from './version';

const program = new Command();
program
  .name('evdm')
  .description('Efficiency-optimized Video Diffusion Models on TensorFlow.js')
  .version(VERSION)
  .showHelpAfterError('(run with --help for usage)')
  .exitOverride()
  // lets `reproduce budget` own the options after its name (reproduce has options of the same names)
  .enablePositionalOptions();

registerMain(program);
registerReproduce(program);
registerProfile(program);
registerMetrics(program);
registerTrain(program);
registerSample(program);
registerEval(program);
registerBench(program);
registerImport(program);
registerExport(program);
polishHelp(program);

program.parseAsync(process.argv).catch((err: unknown) => {
  if (err instanceof CommanderError) {
    process.exit(err.exitCode);
  }
  const msg = err instanceof Error ? err.message : String(err);
  console.error(`evdm: error: ${msg}`);
  if (process.env.EVDM_DEBUG) console.error(err);
  process.exit(1);
});

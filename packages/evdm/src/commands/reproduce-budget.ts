import type { Command } from 'commander';
import { intFlag, positiveNumberFlag } from './flags';
import { parseModelList } from '../eval/budget/config';
import { runBudgetStudy } from '../eval/budget/study';
import { budgetRows } from '../eval/budget/results';
import { budgetMarkdown, writeBudgetReport } from '../eval/budget/report';
import { onStopSignals, SIGNAL_EXIT_CODE } from '../train/signals';

interface BudgetFlags {
  out?: string;
  models?: string;
  minutes?: string;
  evalEvery?: string;
  smoke?: boolean;
  paperScale?: boolean;
  resume?: boolean;
  i3d?: string;
  clips?: string;
  trajectories?: string;
  steps?: string;
  seed?: string;
  ema?: boolean;
  backend?: string;
  json?: boolean;
}

/** `evdm reproduce budget`: MCVD vs EVDM vs EVDM-L on the same training wall-clock budget. */
export function registerReproduceBudget(reproduce: Command): void {
  reproduce
    .command('budget')
    .description(
      'fidelity per compute: train MCVD, EVDM and EVDM-L for the same wall-clock budget each on SM-MNIST and score them at regular points (JSON, Markdown table, SVG plots, GIFs)',
    )
    .option(
      '--out <dir>',
      'output directory (one evdm train run directory per model, budget.json, budget.md, plots)',
      'out/budget',
    )
    .option('--models <list>', 'comma-separated subset of mcvd,evdm,evdm-l', 'mcvd,evdm,evdm-l')
    .option('--minutes <m>', 'training wall-clock minutes per model, evaluation not counted (default 45)')
    .option('--eval-every <m>', 'evaluate every this many training minutes and at the end (default 15)')
    .option('--smoke', 'tiny networks, seconds per model: the whole path, numbers meaningless')
    .option(
      '--paper-scale',
      "the paper's SM-MNIST setting (64 px, 2 digits, 5 -> 5 frames, C0 64): for a GPU and a long --minutes",
    )
    .option('--resume', 'continue the interrupted study in --out (each model from its newest checkpoint)')
    .option('--i3d <dir>', 'converted I3D weights: FVD at every point (absent otherwise)')
    .option('--clips <n>', 'test clips (default 32; paper scale 256)')
    .option('--trajectories <n>', 'samples per test clip, best of N (default 4; paper scale 10)')
    .option('--steps <n>', 'DDPM sampling steps of the evaluation (default 100)')
    .option('--seed <n>', 'training and sampling seed', '0')
    .option('--ema', 'score the EMA weights (default: the live weights, as evdm main)')
    .option('--backend <name>', 'tfjs backend (default: EVDM_BACKEND or auto)')
    .option('--json', 'print a JSON array: one object per model and evaluated checkpoint')
    .action(async (f: BudgetFlags) => {
      if (f.smoke && f.paperScale) throw new Error('give --smoke or --paper-scale, not both');
      const models = parseModelList(f.models ?? 'mcvd,evdm,evdm-l');
      const minutes = positiveNumberFlag('minutes', f.minutes);
      const evalEvery = positiveNumberFlag('eval-every', f.evalEvery);
      const log = (l: string) => process.stderr.write(l + '\n');
      const stop = onStopSignals((sig) =>
        log(`evdm reproduce budget: ${sig}: finishing the step, writing a checkpoint and stopping (${sig} again aborts at once)`),
      );
      try {
        const out = f.out ?? 'out/budget';
        const r = await runBudgetStudy({
          out,
          models,
          minutes,
          evalEvery,
          scale: f.smoke ? 'smoke' : f.paperScale ? 'paper' : 'default',
          resume: f.resume === true,
          seed: intFlag('seed', f.seed, 0, 0),
          clips: intFlag('clips', f.clips, 1),
          trajectories: intFlag('trajectories', f.trajectories, 1),
          sampleSteps: intFlag('steps', f.steps, 1),
          i3d: f.i3d,
          ema: f.ema === true,
          backend: f.backend,
          log,
          shouldStop: () => stop.signal !== null,
        });
        const files = writeBudgetReport(out, r);
        if (stop.signal) process.exitCode = SIGNAL_EXIT_CODE[stop.signal];
        if (f.json) {
          process.stdout.write(JSON.stringify(budgetRows(r), null, 2) + '\n');
          return;
        }
        console.log(budgetMarkdown(r));
        console.log(
          `wrote ${out}/budget.json, ${files.join(', ')}${
            r.models.some((m) => m.gif)
              ? `, ${r.models
                  .filter((m) => m.gif)
                  .map((m) => m.gif)
                  .join(', ')}`
              : ''
          }`,
        );
      } finally {
        stop.dispose();
      }
    });
}

import { Help, type Command, type Option } from 'commander';

/** One runnable example per command (path of command names below `evdm`). */
export const EXAMPLES: Record<string, string> = {
  main: 'evdm main --minutes 5 --out out/main',
  reproduce: 'evdm reproduce table2 --json',
  'reproduce budget': 'evdm reproduce budget --minutes 45 --eval-every 15 --out out/budget',
  profile: 'evdm profile --config run.json --batch 64 --measured',
  metrics: 'evdm metrics --real out/sample/real --fake out/sample/fake --json',
  train: 'evdm train --config run.json --out runs/kth-evdm --max-minutes 60',
  sample: 'evdm sample --checkpoint runs/kth-evdm --mode predict --horizon 30 --out out/sample',
  eval: 'evdm eval --checkpoint runs/kth-evdm --dataset kth --data-path data/KTH64_h5 --trajectories 10',
  bench: 'evdm bench step --model evdm-l-kth --backend native --batch 8',
  'bench step': 'evdm bench step --model evdm-l-kth --backend native --batch 8',
};

/** Defaults that live outside the flag declaration (run config fields, behaviour when absent). */
const IMPLICIT: Record<string, string> = {
  'train --config': 'required unless --resume',
  'train --resume': 'none: a new run',
  'train --checkpoint-every': 'train.checkpointEvery of the run config, 1000',
  'train --sample-every': 'train.sampleEvery of the run config, 0',
  'train --log-every': 'train.logEvery of the run config, 10',
  'train --max-minutes': 'none: no time limit',
  'eval --i3d': 'none: no FVD',
  'reproduce --i3d': 'none: no FVD',
  'reproduce --seed': 'the protocol seed, 0',
  'reproduce budget --minutes': '45 (smoke 0.04)',
  'reproduce budget --eval-every': '15, at most --minutes (smoke 0.02)',
  'reproduce budget --i3d': 'none: FVD marked absent',
  'reproduce budget --clips': '32; paper scale 256; smoke 2',
  'reproduce budget --trajectories': '4; paper scale 10; smoke 2',
  'reproduce budget --steps': '100; smoke 2',
  'reproduce budget --backend': 'EVDM_BACKEND or auto',
  'profile --config': 'required',
  'metrics --real': 'required',
  'metrics --fake': 'required',
  'sample --checkpoint': 'required',
  'eval --checkpoint': 'required',
};

/** What a flag defaults to when its declaration has no default value to show. */
function implicitDefault(option: Option, where: string): string {
  const known = IMPLICIT[`${where} ${option.long}`];
  if (known) return `(default: ${known})`;
  if (option.mandatory) return '(required)';
  if (option.negate) return `(default: off, i.e. --${option.attributeName().replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)})`;
  if (option.isBoolean()) return '(default: off)';
  const over = /overrides ([\w.]+)/.exec(option.description);
  if (over) return `(default: ${over[1]} of the run config)`;
  return '(default: none)';
}

class EvdmHelp extends Help {
  constructor(private readonly where: string) {
    super();
  }

  override optionDescription(option: Option): string {
    const text = super.optionDescription(option);
    if (option.long === '--help' || option.long === '--version' || /\bdefault\b/i.test(text)) return text;
    return `${text} ${implicitDefault(option, this.where)}`;
  }
}

function path(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/**
 * Every subcommand's `--help` lists each flag with its default (declared, implied, or "required")
 * and ends with an example. Call once after all commands are registered.
 */
export function polishHelp(program: Command): void {
  const visit = (cmd: Command) => {
    cmd.createHelp = () => Object.assign(new EvdmHelp(path(cmd)), cmd.configureHelp());
    const example = EXAMPLES[path(cmd)];
    if (example) cmd.addHelpText('after', `\nExample:\n  $ ${example}`);
    cmd.commands.forEach(visit);
  };
  program.commands.forEach(visit);
}

// Every subcommand's --help lists each flag with a default (declared, implied or "required") and ends
// with one example whose flags the command accepts (issue 19).
import { describe, expect, it } from 'vitest';
import { Command } from 'commander';
import { registerBench } from '../src/commands/bench';
import { registerEval } from '../src/commands/eval';
import { polishHelp } from '../src/commands/help';
import { registerMain } from '../src/commands/main';
import { registerMetrics } from '../src/commands/metrics';
import { registerProfile } from '../src/commands/profile';
import { registerReproduce } from '../src/commands/reproduce';
import { registerSample } from '../src/commands/sample';
import { registerTrain } from '../src/commands/train';

function program(): Command {
  const p = new Command().name('evdm');
  for (const r of [
    registerMain,
    registerReproduce,
    registerProfile,
    registerMetrics,
    registerTrain,
    registerSample,
    registerEval,
    registerBench,
  ])
    r(p);
  polishHelp(p);
  return p;
}

function leaves(c: Command, path: string[] = []): Array<[string, Command]> {
  return c.commands.flatMap((s) => [[[...path, s.name()].join(' '), s] as [string, Command], ...leaves(s, [...path, s.name()])]);
}

describe('evdm <command> --help', () => {
  const all = leaves(program());

  it('covers every subcommand', () => {
    expect(all.map(([n]) => n)).toEqual([
      'main',
      'reproduce',
      'reproduce budget',
      'profile',
      'metrics',
      'train',
      'sample',
      'eval',
      'bench',
      'bench step',
    ]);
  });

  for (const [name, cmd] of all) {
    it(`${name}: every flag shows its default and one runnable example follows`, () => {
      let text = '';
      cmd.configureOutput({ writeOut: (s) => (text += s), writeErr: (s) => (text += s) });
      cmd.outputHelp();
      // each option's block (its first line up to the next option) mentions a default or that it is required
      const blocks = text
        .split('Options:')[1]!
        .split(/\n(?=\s{2}-)/)
        .map((b) => b.replace(/\s+/g, ' ').trim())
        .filter((b) => b.startsWith('-'));
      expect(blocks.length).toBeGreaterThan(0);
      for (const b of blocks) {
        if (/^-h, --help/.test(b)) continue;
        expect(b, b).toMatch(/\(default[:)\s]|default:|\(required\)|; default/);
      }
      const example = /Example:\n\s+\$ (evdm .+)\n?/.exec(text)?.[1];
      expect(example, text).toBeDefined();
      expect(example!.startsWith(`evdm ${name}`)).toBe(true);
      const known = new Set(cmd.options.flatMap((o) => [o.long, o.short]).filter(Boolean));
      const leaf = name === 'bench' ? cmd.commands.find((c) => c.name() === 'step')! : cmd;
      const flags = example!.split(/\s+/).filter((w) => w.startsWith('--'));
      for (const f of flags)
        expect(new Set(leaf.options.flatMap((o) => [o.long, o.short])).has(f) || known.has(f), `${f} in "${example}"`).toBe(true);
    });
  }
});

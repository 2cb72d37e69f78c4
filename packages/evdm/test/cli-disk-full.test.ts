// Issue 20: a really full disk (a small tmpfs; needs root to mount). `evdm train` names the file and
// the step, says which checkpoint is the last complete one and leaves no partial files;
// `evdm sample` leaves no 0-byte grid.png and exits 1 naming the file. Skips (with the reason) where
// mounting is not permitted; in CI (root on this kind of machine) it must run.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { mountTmpfs, run, tinyRun, tmp, writeConfig } from './cli-run-safety.helpers';

function dirBytes(dir: string): number {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true }))
    n += e.isDirectory() ? dirBytes(join(dir, e.name)) : statSync(join(dir, e.name)).size;
  return n;
}
/** Every file under `dir` (relative paths) with its size. */
function listing(dir: string, pre = ''): Array<[string, number]> {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? listing(join(dir, e.name), `${pre}${e.name}/`)
      : [[`${pre}${e.name}`, statSync(join(dir, e.name)).size] as [string, number]],
  );
}

function tmpfsOrSkip(size: string, skip: (note: string) => void) {
  const m = mountTmpfs(size);
  if ('error' in m) {
    if (process.env.CI) throw new Error(`CI runs as root and must test a full disk for real: ${m.error}`);
    skip(`not permitted to mount a tmpfs here: ${m.error}`);
    throw new Error('unreachable');
  }
  return m;
}

describe('full disk (tmpfs)', { timeout: 180_000 }, () => {
  it('train: ENOSPC at a checkpoint names file and step and the last complete checkpoint, removes the partial files', (ctx) => {
    const work = tmp();
    try {
      const cfg = writeConfig(work, tinyRun({ steps: 4, checkpointEvery: 1 }));
      // measure one run directory with one checkpoint, then give the disk room for ~1.6 of them
      const probe = join(work, 'probe');
      mkdirSync(join(work, 'p'));
      expect(
        run('train', '--config', writeConfig(join(work, 'p'), tinyRun({ steps: 1 })), '--out', probe, '--backend', 'cpu').status,
      ).toBe(0);
      const ckBytes = dirBytes(join(probe, 'checkpoints', 'step-1'));
      const size = Math.ceil((ckBytes * 1.6 + 64 * 1024) / 4096) * 4096;
      const fs = tmpfsOrSkip(String(size), (n) => ctx.skip(n));
      try {
        const out = join(fs.dir, 'run');
        const r = run('train', '--config', cfg, '--out', out, '--backend', 'cpu');
        expect(r.status, r.stderr).toBe(1);
        expect(r.stderr).toMatch(
          new RegExp(
            `evdm: error: cannot write the checkpoint of step 2: \\S+: no space left on device \\(ENOSPC\\); removed the partial files; the last complete checkpoint is ${join(out, 'checkpoints', 'step-1')}`,
          ),
        );
        expect(r.stderr).not.toMatch(/at .*\.js:\d+/); // no stack trace
        const files = listing(out);
        // the disk state after it (printed for the closing note)
        console.log(
          `${r.stderr.trim().split('\n').at(-1)}\ntmpfs ${size} B, checkpoint ${ckBytes} B; after ENOSPC:\n${files.map(([f, n]) => `  ${f} ${n}`).join('\n')}`,
        );
        expect(files.filter(([f]) => /(^|\/)\.(tmp-step|latest\.json)/.test(f))).toEqual([]);
        expect(files.filter(([f]) => f.startsWith('checkpoints/step-')).map(([f]) => f.split('/')[1])).toEqual(
          expect.arrayContaining(['step-1']),
        );
        expect(files.some(([f]) => f.startsWith('checkpoints/step-2'))).toBe(false);
        expect(JSON.parse(readFileSync(join(out, 'checkpoints', 'latest.json'), 'utf8')).dir).toBe('step-1');
        // the last complete checkpoint is usable: sampling from it works (output off the full disk)
        const s = run(
          'sample',
          '--checkpoint',
          out,
          '--out',
          join(work, 's'),
          '--sampler',
          'ddim',
          '--steps',
          '2',
          '--clips',
          '1',
          '--backend',
          'cpu',
        );
        expect(s.status, s.stderr).toBe(0);
        expect(JSON.parse(s.stdout).step).toBe(1);
      } finally {
        fs.unmount();
      }
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });

  it('sample and eval on a full disk: exit 1 naming the file and ENOSPC, no 0-byte or temporary files', (ctx) => {
    const work = tmp();
    try {
      const out = join(work, 'run');
      expect(run('train', '--config', writeConfig(work, tinyRun({ steps: 1 })), '--out', out, '--backend', 'cpu').status).toBe(0);
      const fs = tmpfsOrSkip('64k', (n) => ctx.skip(n));
      try {
        // fill the disk completely
        spawnSync('dd', ['if=/dev/zero', `of=${join(fs.dir, 'filler')}`, 'bs=4k'], { encoding: 'utf8' });
        writeFileSync(join(fs.dir, 'keep.txt'), ''); // an inode is still free: only data blocks are full
        for (const cmd of ['sample', 'eval']) {
          const dest = join(fs.dir, cmd);
          const r = run(
            cmd,
            '--checkpoint',
            out,
            '--out',
            dest,
            '--sampler',
            'ddim',
            '--steps',
            '2',
            '--clips',
            '1',
            '--backend',
            'cpu',
          );
          expect(r.status, r.stderr).toBe(1);
          expect(r.stderr).toMatch(
            new RegExp(`evdm: error: cannot write PNG ${join(dest, 'grid.png')}: no space left on device \\(ENOSPC\\)`),
          );
          const files = listing(dest);
          expect(files, cmd).toEqual([]); // nothing written: no 0-byte grid.png, no temporary file
        }
      } finally {
        fs.unmount();
      }
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});

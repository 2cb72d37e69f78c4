// Issue 20 closing note: SIGINT and SIGTERM at random moments of `evdm train` (built CLI, tiny run,
// checkpoint every 5 steps so signals also land near periodic checkpoints). For each trial: exit code,
// the last step the process completed (train.jsonl, logEvery 1), the checkpoint it wrote (verified:
// sha256 + finite weights), steps lost = completed - checkpointed, and whether `--resume` continues.
// Usage: node packages/evdm/test/stress/signal-stress.mjs [trials-per-signal=10] [seed=1] [max-delay-ms=12000]
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const cli = join(here, '..', '..', 'dist', 'cli.js');
const { readCheckpoint } = await import(join(here, '..', '..', 'dist', 'index.js'));
const trials = Number(process.argv[2] ?? 10);
let seed = Number(process.argv[3] ?? 1);
const maxDelay = Number(process.argv[4] ?? 12000);
const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
const env = { ...process.env, EVDM_LOG: 'quiet' };
const cfg = {
  network: {
    preset: { model: 'evdm-l', dataset: 'smmnist' },
    baseChannels: 16,
    channelMult: [1, 2],
    imageSize: 16,
    attnResolutions: [8],
    headChannels: 16,
    pastFrames: 1,
    currentFrames: 1,
  },
  data: { source: 'synthetic', seed: 1 },
  train: { steps: 100000, batchSize: 1, warmup: 1, checkpointEvery: 5, sampleEvery: 0, logEvery: 1 },
};

function trial(signal) {
  const dir = mkdtempSync(join(tmpdir(), 'evdm-sigstress-'));
  const out = join(dir, 'run');
  writeFileSync(join(dir, 'run.json'), JSON.stringify(cfg));
  const delayMs = Math.round(rand() * maxDelay);
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [cli, 'train', '--config', join(dir, 'run.json'), '--out', out, '--backend', 'cpu'], {
      env,
    });
    let stderr = '';
    let sent = false;
    let stepAtSignal = null;
    p.stderr.on('data', (d) => {
      stderr += d;
      if (!sent && /step 1\/100000/.test(stderr)) {
        sent = true;
        setTimeout(() => {
          stepAtSignal = Math.max(...[...stderr.matchAll(/step (\d+)\/100000/g)].map((m) => Number(m[1])));
          p.kill(signal);
        }, delayMs);
      }
    });
    p.on('close', (code, sig) => {
      const m = new RegExp(`stopped by ${signal} at step (\\d+); checkpoint (\\S+?);`).exec(stderr);
      const jsonl = existsSync(join(out, 'train.jsonl'))
        ? readFileSync(join(out, 'train.jsonl'), 'utf8')
            .trim()
            .split('\n')
            .map((l) => JSON.parse(l).step)
        : [];
      const completed = jsonl.length ? jsonl[jsonl.length - 1] : 0;
      let checkpoint = null;
      let verified = false;
      if (m) {
        checkpoint = Number(m[1]);
        try {
          verified = readCheckpoint(m[2], { decode: false }).meta.step === checkpoint;
        } catch (e) {
          verified = `FAILED: ${e.message}`;
        }
      }
      let resumed = null;
      if (checkpoint !== null) {
        const r = spawnSync(
          process.execPath,
          [cli, 'train', '--resume', out, '--steps', String(checkpoint + 1), '--backend', 'cpu'],
          { env, encoding: 'utf8' },
        );
        resumed = r.status === 0 && r.stderr.includes(`steps ${checkpoint} -> ${checkpoint + 1}`);
      }
      rmSync(dir, { recursive: true, force: true });
      resolve({
        signal,
        delayMs,
        stepAtSignal,
        code,
        killedBy: sig,
        completed,
        checkpoint,
        lost: checkpoint === null ? completed : completed - checkpoint,
        verified,
        resumed,
      });
    });
  });
}

const rows = [];
for (let i = 0; i < trials; i++)
  for (const s of ['SIGINT', 'SIGTERM']) {
    const r = await trial(s);
    rows.push(r);
    console.log(JSON.stringify(r));
  }
for (const s of ['SIGINT', 'SIGTERM']) {
  const rs = rows.filter((r) => r.signal === s);
  const codes = [...new Set(rs.map((r) => r.code))].join(',');
  console.log(
    `${s}: ${rs.length} trials, exit codes {${codes}}, steps lost total ${rs.reduce((a, r) => a + r.lost, 0)} (max ${Math.max(...rs.map((r) => r.lost))}), checkpoints verified ${rs.filter((r) => r.verified === true).length}/${rs.length}, resumed ${rs.filter((r) => r.resumed === true).length}/${rs.length}, signal at step ${Math.min(...rs.map((r) => r.stepAtSignal))}..${Math.max(...rs.map((r) => r.stepAtSignal))}`,
  );
}

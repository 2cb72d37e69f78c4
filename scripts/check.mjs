// The project's full check: build + typecheck (turbo), lint (typescript-eslint), formatting (Prettier), unit tests
// (vitest), smoke tests on the built packages (plain node). Ends with one summary line "tests: N passed, N failed".
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const bin = (name) => join(root, 'node_modules', '.bin', name);
const run = (cmd, args) => spawnSync(cmd, args, { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] }).status ?? 1;

// a failure before the tests still ends with the summary line CI reads
const stopBeforeTests = (why) => {
  console.log(why);
  console.log('tests: 0 passed, 1 failed');
  process.exit(1);
};
if (run(bin('turbo'), ['run', 'build', 'typecheck', '--output-logs=errors-only']) !== 0)
  stopBeforeTests('build/typecheck failed');
// lint and formatting before the long test run: a finding or a misformatted file fails the check
if (run(bin('eslint'), ['.', '--max-warnings=0']) !== 0) stopBeforeTests('lint failed (npx -y pnpm@10.34.9 run lint)');
if (run(bin('prettier'), ['--check', '.']) !== 0)
  stopBeforeTests('formatting failed (npx -y pnpm@10.34.9 run format, then commit)');
const results = join(root, '.vitest-results.json');
rmSync(results, { force: true });
const unit = run(bin('vitest'), ['run', '--reporter=default', '--reporter=json', `--outputFile.json=${results}`]);
let vPassed = 0;
let vFailed = 0;
if (existsSync(results)) {
  const r = JSON.parse(readFileSync(results, 'utf8'));
  vPassed = r.numPassedTests;
  vFailed = r.numFailedTests + (r.numFailedTestSuites ?? 0);
} else {
  vFailed = 1;
}
if (unit !== 0 && vFailed === 0) vFailed = 1;
const smoke = spawnSync(process.execPath, [join(root, 'scripts', 'smoke.mjs')], { cwd: root, encoding: 'utf8' });
process.stdout.write(smoke.stdout + smoke.stderr);
const m = /smoke: (\d+) passed, (\d+) failed/.exec(smoke.stdout ?? '');
const sPassed = m ? Number(m[1]) : 0;
const sFailed = m ? Number(m[2]) : 1;
console.log(`vitest ${vPassed} passed, ${vFailed} failed; smoke ${sPassed} passed, ${sFailed} failed`);
console.log(`tests: ${vPassed + sPassed} passed, ${vFailed + sFailed} failed`);
process.exit(vFailed + sFailed > 0 || unit !== 0 || smoke.status !== 0 ? 1 : 0);

// Every package tarball carries the MIT LICENSE and the registry metadata a user looks for:
// `npm pack --dry-run` lists the files, package.json has repository (with its directory), homepage,
// bugs and keywords, and each package's LICENSE is the repository's.
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('../..', import.meta.url).pathname;
const license = readFileSync(join(root, 'LICENSE'), 'utf8');
let failed = 0;
for (const dir of readdirSync(join(root, 'packages')).sort()) {
  const cwd = join(root, 'packages', dir);
  const pkg = JSON.parse(readFileSync(join(cwd, 'package.json'), 'utf8'));
  const problems = [];
  if (pkg.license !== 'MIT' || !/^MIT License/.test(license)) problems.push('license is not MIT');
  if (readFileSync(join(cwd, 'LICENSE'), 'utf8') !== license) problems.push('LICENSE differs from the root LICENSE');
  if (pkg.repository?.directory !== `packages/${dir}` || !/^git\+https:\/\//.test(pkg.repository?.url ?? '')) {
    problems.push(`repository must be { url: git+https://..., directory: packages/${dir} }`);
  }
  if (!/^https:\/\//.test(pkg.homepage ?? '')) problems.push('homepage missing');
  if (!/^https:\/\//.test(pkg.bugs?.url ?? '')) problems.push('bugs.url missing');
  if (!Array.isArray(pkg.keywords) || pkg.keywords.length < 3) problems.push('keywords missing');
  const r = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd, encoding: 'utf8' });
  if (r.status !== 0) problems.push(`npm pack failed: ${r.stderr}`);
  else {
    const files = JSON.parse(r.stdout)[0].files.map((f) => f.path);
    for (const want of ['LICENSE', 'README.md', 'package.json'])
      if (!files.includes(want)) problems.push(`tarball lacks ${want}`);
    if (!files.some((f) => f.startsWith('dist/'))) problems.push('tarball lacks dist/');
  }
  if (problems.length) {
    failed++;
    console.log(`FAIL ${pkg.name}: ${problems.join('; ')}`);
  } else
    console.log(`ok   ${pkg.name}: LICENSE in tarball, repository ${pkg.repository.directory}, ${pkg.keywords.length} keywords`);
}
process.exit(failed ? 1 : 0);

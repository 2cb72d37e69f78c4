// What the runtime says when no native addon loads (issue 19): each situation is produced for real on
// disk (a package copy without binaries, an install script that found no headers, a binary whose
// oneDNN shared library is missing) and the reason must name what actually happened.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadFailureReason, resolveAddon } from '../src/addon';

const pkgDir = join(__dirname, '..');
const tmp = mkdtempSync(join(tmpdir(), 'evdm-native-status-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A copy of the package's install-time files (no build/, no prebuilds/). */
function packageCopy(name: string): string {
  const dir = join(tmp, name);
  mkdirSync(dir, { recursive: true });
  for (const f of ['package.json', 'binding.gyp', 'scripts', 'native'])
    cpSync(join(pkgDir, f), join(dir, f), { recursive: true });
  return dir;
}
const hasCc = spawnSync('gcc', ['--version']).status === 0;

describe('native addon load failure reasons', () => {
  it('no prebuild and no install-script record: says the install script did not run and how to run it', () => {
    const dir = packageCopy('never-installed');
    expect(resolveAddon(dir)).toBeNull();
    const reason = loadFailureReason(dir, null);
    expect(reason).toMatch(/install script did not run/);
    expect(reason).toMatch(/onlyBuiltDependencies/);
    expect(reason).toMatch(/build-native\.mjs/);
  });

  it('install script ran without oneDNN headers: says headers were missing (not that the library is)', () => {
    const dir = packageCopy('no-headers');
    const r = spawnSync(process.execPath, ['scripts/build-native.mjs', '--install'], {
      cwd: dir,
      encoding: 'utf8',
      env: { ...process.env, EVDM_DNNL_INCLUDE: join(tmp, 'nowhere'), EVDM_NATIVE_BUILD_STRICT: '' },
    });
    expect(r.status).toBe(0); // never fails the install
    const reason = loadFailureReason(dir, resolveAddon(dir));
    expect(reason).toMatch(/source build did not produce one \(headers-missing: oneDNN headers not found/);
    expect(reason).not.toMatch(/install script did not run/);
  });

  it.runIf(hasCc)('a binary whose oneDNN library is missing: names the library and the Debian package', () => {
    // a real dlopen failure: link a stand-in .node against a oneDNN soname that is then removed (not
    // libdnnl.so.2 itself: the system's copy, where installed, would satisfy it)
    const dir = join(tmp, 'missing-lib');
    const pre = join(dir, 'prebuilds', 'linux-x64');
    mkdirSync(pre, { recursive: true });
    writeFileSync(join(dir, 'package.json'), '{"name":"@evdm/backend-native"}');
    writeFileSync(join(tmp, 'stub.c'), 'int dnnl_stub(void) { return 1; }\n');
    writeFileSync(join(tmp, 'mod.c'), 'int dnnl_stub(void);\nint evdm_probe(void) { return dnnl_stub(); }\n');
    const lib = join(tmp, 'libdnnl.so.9');
    expect(spawnSync('gcc', ['-shared', '-fPIC', '-o', lib, join(tmp, 'stub.c'), '-Wl,-soname,libdnnl.so.9']).status).toBe(0);
    const node = join(pre, '@evdm+backend-native.glibc.node');
    expect(spawnSync('gcc', ['-shared', '-fPIC', '-o', node, join(tmp, 'mod.c'), lib]).status).toBe(0);
    rmSync(lib);
    const found = resolveAddon(dir);
    expect(found).toBe(node);
    let error = '';
    try {
      process.dlopen({ exports: {} } as NodeJS.Module, found!);
    } catch (e) {
      error = (e as Error).message;
    }
    expect(error).toMatch(/libdnnl\.so\.9: cannot open shared object file/);
    const reason = loadFailureReason(dir, found, error);
    expect(reason).toBe(
      'the prebuilt addon needs the oneDNN shared library libdnnl.so.9, which is not installed: install libdnnl (Debian/Ubuntu: apt-get install libdnnl2, or libdnnl-dev)',
    );
  });
});

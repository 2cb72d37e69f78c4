import * as fs from 'node:fs';
import { basename, dirname, join } from 'node:path';

/**
 * The file-system calls of every result and checkpoint write. A seam, so tests can inject ENOSPC or
 * EIO at a chosen file without filling a disk (`fsOps.writeFileSync = ...`, restore afterwards).
 */
export const fsOps = {
  openSync: fs.openSync,
  writeSync: fs.writeSync,
  fsyncSync: fs.fsyncSync,
  closeSync: fs.closeSync,
  renameSync: fs.renameSync,
};

/** A write that failed: names the file (and what it was for) and keeps the system error as cause. */
export class WriteError extends Error {
  constructor(
    readonly file: string,
    readonly code: string | undefined,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'WriteError';
  }
}

/** "no space left on device (ENOSPC)" style text for a system error. */
export function describeFsError(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  if (err?.code === 'ENOSPC') return 'no space left on device (ENOSPC)';
  if (err?.code === 'EDQUOT') return 'disk quota exceeded (EDQUOT)';
  return err?.message ?? String(e);
}

/** Writes `data` to `path` and fsyncs it (the bytes are on disk before any rename that publishes them). */
export function writeFileDurable(path: string, data: string | Uint8Array): void {
  const fd = fsOps.openSync(path, 'w');
  try {
    const buf = typeof data === 'string' ? Buffer.from(data) : data;
    let off = 0;
    while (off < buf.byteLength) off += fsOps.writeSync(fd, buf, off, buf.byteLength - off);
    fsOps.fsyncSync(fd);
  } finally {
    fsOps.closeSync(fd);
  }
}

/** fsync of a directory, so a rename inside it survives a power loss (ignored where unsupported). */
export function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    // some file systems refuse fsync on directories: nothing more we can do
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** The temporary sibling a file is written to before the rename (`.<name>.tmp-<pid>`). */
export function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.tmp-${process.pid}`);
}

/**
 * Replaces `path` atomically: writes a temporary sibling, fsyncs it, renames it over `path` and
 * fsyncs the directory. On failure the temporary file is removed, `path` is untouched (old content or
 * absent, never a 0-byte or partial file) and a `WriteError` names the file and the problem.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array, what = 'file'): void {
  const dir = dirname(path);
  fs.mkdirSync(dir, { recursive: true });
  const tmp = tempPathFor(path);
  try {
    writeFileDurable(tmp, data);
    fsOps.renameSync(tmp, path);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw new WriteError(path, (e as NodeJS.ErrnoException).code, `cannot write ${what} ${path}: ${describeFsError(e)}`, {
      cause: e,
    });
  }
  fsyncDir(dir);
}

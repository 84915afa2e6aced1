/**
 * A running WeReply on SQLite keeps `<file>.pid` beside its database, so that `wereply restore`
 * can refuse to replace a database that a live process has open.
 */
import fs from 'node:fs';

/** The pid file a running WeReply keeps beside its SQLite file (app.ts). */
export function pidFile(sqliteFile: string): string {
  return `${sqliteFile}.pid`;
}

/** The pid of a live WeReply on this file, if any. */
export function runningInstance(sqliteFile: string): number | undefined {
  let pid: number;
  try {
    pid = Number(fs.readFileSync(pidFile(sqliteFile), 'utf8').trim());
  } catch {
    return undefined;
  }
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return undefined;
  try {
    process.kill(pid, 0);
    return pid;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM' ? pid : undefined;
  }
}

/** Written when the server listens; removed when it stops. */
export function writeInstanceFile(sqliteFile: string): void {
  fs.writeFileSync(pidFile(sqliteFile), `${process.pid}\n`);
}

export function removeInstanceFile(sqliteFile: string): void {
  try {
    if (fs.readFileSync(pidFile(sqliteFile), 'utf8').trim() === String(process.pid)) fs.rmSync(pidFile(sqliteFile));
  } catch {
    /* already gone */
  }
}

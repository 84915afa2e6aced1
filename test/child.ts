/**
 * WeReply as a real child process (`node bin/wereply.js …`, the compiled CLI): for tests of what
 * only a process shows — signals, exit codes, several processes on one data folder.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { eventually } from './stack.js';

export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

export interface Child {
  proc: ChildProcess;
  /** Resolves with the exit code (or the signal's name). */
  exited: Promise<number | string>;
  output(): string;
}

/** Runs `wereply <args>`; output goes to `${logDir}/wereply.log` (appended). */
export function runWeReply(args: string[], env: Record<string, string | undefined>, logDir: string): Child {
  const logPath = path.join(logDir, 'wereply.log');
  const start = fs.existsSync(logPath) ? fs.statSync(logPath).size : 0;
  const log = fs.openSync(logPath, 'a');
  const proc = spawn(process.execPath, ['bin/wereply.js', ...args], { env: { ...process.env, LOG_JSON: '1', ...env }, stdio: ['ignore', log, log] });
  fs.closeSync(log);
  const exited = new Promise<number | string>((resolve) => proc.once('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  return { proc, exited, output: () => fs.readFileSync(logPath, 'utf8').slice(start) };
}

/** Starts `wereply start` and waits for /healthz. */
export async function startWeReply(env: Record<string, string | undefined>, port: number, logDir: string): Promise<Child> {
  const child = runWeReply(['start'], { ...env, PORT: String(port) }, logDir);
  let exitedEarly: number | string | undefined;
  void child.exited.then((c) => (exitedEarly = c));
  await eventually(
    async () => {
      if (exitedEarly !== undefined) throw new Error(`WeReply exited with ${exitedEarly}: ${child.output().slice(-2000)}`);
      return (await fetch(`http://127.0.0.1:${port}/healthz`)).ok;
    },
    30_000,
    'WeReply to start',
  );
  return child;
}

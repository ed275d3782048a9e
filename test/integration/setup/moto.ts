/**
 * vitest globalSetup for the integration project: one `moto_server` on a free loopback port for the whole run, with
 * real AWS SDK clients pointed at it. Uses `moto_server` from PATH; without one, installs `moto[server]` into a
 * project-local `.venv/`. Test files reach it through `inject('motoEndpoint')` (see ./moto-client).
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { constants } from 'node:fs';
import { access, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { TestProject } from 'vitest/node';
import { freePort } from '../../support/net';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Base URL of the shared moto server, e.g. http://127.0.0.1:41234 */
    motoEndpoint: string;
    /** Folder the moto-client helper uses as a cross-worker lock, so one test file at a time owns moto's state. */
    motoLockDir: string;
  }
}

const run = promisify(execFile);
const PROJECT_ROOT = resolve(import.meta.dirname, '../../..');
const VENV = join(PROJECT_ROOT, '.venv');
const STARTUP_TIMEOUT_MS = 60_000;

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const lockParent = await mkdtemp(join(tmpdir(), 'qag-moto-lock-'));
  const server = await startMoto();
  project.provide('motoEndpoint', server.url);
  project.provide('motoLockDir', join(lockParent, 'lock'));
  return async () => {
    await server.stop();
    await rm(lockParent, { recursive: true, force: true });
  };
}

interface RunningMoto {
  readonly url: string;
  stop(): Promise<void>;
}

async function startMoto(): Promise<RunningMoto> {
  const failures: string[] = [];
  for (const command of await candidates()) {
    try {
      return await launch(command);
    } catch (error) {
      failures.push(`${command}: ${(error as Error).message}`);
    }
  }
  const installed = await installIntoVenv(failures);
  try {
    return await launch(installed);
  } catch (error) {
    throw new Error(`moto_server from ${VENV} did not start: ${(error as Error).message}`);
  }
}

async function candidates(): Promise<string[]> {
  const found: string[] = [];
  const dirs = [...(process.env.PATH ?? '').split(delimiter).filter(Boolean), join(VENV, 'bin')];
  for (const dir of dirs) {
    const path = join(dir, 'moto_server');
    if (!found.includes(path) && (await isExecutable(path))) found.push(path);
  }
  return found;
}

async function installIntoVenv(earlierFailures: readonly string[]): Promise<string> {
  const python = (await isExecutable('/usr/bin/python3')) ? '/usr/bin/python3' : 'python3';
  const earlier = earlierFailures.length ? ` (tried: ${earlierFailures.join('; ')})` : ' (none on PATH)';
  try {
    await run(python, ['-m', 'venv', VENV], { timeout: 120_000 });
    await run(join(VENV, 'bin', 'pip'), ['install', '--quiet', 'moto[server]'], { timeout: 600_000 });
  } catch (error) {
    const detail =
      (error as { stderr?: string }).stderr?.trim().split('\n').slice(-3).join(' | ') ?? (error as Error).message;
    throw new Error(
      `integration tests need moto_server${earlier}; installing "moto[server]" into ${VENV} failed: ${detail}. ` +
        `Install it yourself (pip install 'moto[server]') and put moto_server on PATH.`,
    );
  }
  return join(VENV, 'bin', 'moto_server');
}

async function launch(command: string): Promise<RunningMoto> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  // Its own process group, so stopping it also stops anything a wrapper script (pyenv shim) started.
  const child = spawn(command, ['-H', '127.0.0.1', '-p', String(port)], {
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const output: string[] = [];
  const keep = (chunk: Buffer) => {
    output.push(chunk.toString());
    if (output.length > 50) output.shift();
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  child.once('error', (error) => output.push(String(error)));

  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`exited with ${child.exitCode ?? child.signalCode}: ${output.join('').trim().slice(-500)}`);
    }
    if (await answers(url)) break;
    if (Date.now() > deadline) {
      await stop(child, exited);
      throw new Error(
        `did not answer on ${url} within ${STARTUP_TIMEOUT_MS / 1000}s: ${output.join('').trim().slice(-500)}`,
      );
    }
    await new Promise((done) => setTimeout(done, 100));
  }
  // Keep reading its output so a full pipe never blocks it.
  return { url, stop: () => stop(child, exited) };
}

async function stop(child: ChildProcess, exited: Promise<number | null>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  try {
    process.kill(-child.pid, 'SIGTERM');
  } catch {
    return;
  }
  const killed = await Promise.race([
    exited.then(() => true),
    new Promise<boolean>((done) => setTimeout(() => done(false), 5_000)),
  ]);
  if (!killed) {
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

async function answers(url: string): Promise<boolean> {
  try {
    const response = await fetch(`${url}/moto-api/`, { signal: AbortSignal.timeout(1_000) });
    await response.body?.cancel();
    return response.ok;
  } catch {
    return false;
  }
}

async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

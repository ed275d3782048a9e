/**
 * Child processes for the benchmark: every measurement runs in a fresh Node process (so its peak RSS is its own), the
 * simulated tenants run in processes of their own (so their memory and CPU are not the checker's), and results come
 * back over IPC.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

export const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface MemorySample {
  /** Resident set size now (VmRSS), bytes. */
  readonly rssBytes: number;
  /** Peak resident set size (VmHWM) since start or since the last {@link resetPeakRss}, bytes. */
  readonly peakRssBytes: number;
  /** getrusage's peak, bytes (Linux derives it from VmHWM, so {@link resetPeakRss} resets it too). */
  readonly maxRssBytes: number;
  /** Live JavaScript heap (after the last GC), bytes. */
  readonly heapUsedBytes: number;
}

export function memory(): MemorySample {
  const status = readFileSync('/proc/self/status', 'utf8');
  const kib = (field: string): number => {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
    if (!match) throw new Error(`/proc/self/status: no ${field} line`);
    return Number(match[1]) * 1024;
  };
  return {
    rssBytes: kib('VmRSS'),
    peakRssBytes: kib('VmHWM'),
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
    heapUsedBytes: process.memoryUsage().heapUsed,
  };
}

/** Resets VmHWM to the current RSS (Linux ≥ 4.0), so a later peak belongs to what ran in between. */
export function resetPeakRss(): void {
  writeFileSync('/proc/self/clear_refs', '5');
}

/** Sends a child's result to the parent and leaves. */
export function reportToParent(result: unknown): void {
  if (!process.send) throw new Error('this script is a benchmark child: run it through `npm run bench`');
  process.send({ type: 'result', result }, () => process.exit(0));
}

/** The input the parent sent with {@link runChild} (kept off argv and disk: it may hold simulated credentials). */
export function inputFromParent<T>(): Promise<T> {
  return new Promise((resolve) => {
    const onMessage = (message: { type?: string; value?: T }) => {
      if (message.type !== 'input') return;
      process.off('message', onMessage);
      resolve(message.value as T);
    };
    process.on('message', onMessage);
  });
}

export function failInChild(error: unknown): never {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
}

function scriptPath(name: string): string {
  return fileURLToPath(new URL(`./${name}`, import.meta.url));
}

const compiled = new Map<string, string>();
let compiledFolder: string | undefined;

/**
 * Compiles the measured children to plain JavaScript (our sources bundled, packages left to node_modules), so they
 * run on bare Node: no TypeScript loader in their memory or start-up, closer to the Lambda.
 */
export async function compileChildren(names: readonly string[]): Promise<void> {
  mkdirSync(join(PROJECT_ROOT, '.tmp'), { recursive: true });
  // Inside the project, so the packages resolve from its node_modules.
  compiledFolder = mkdtempSync(join(PROJECT_ROOT, '.tmp', 'bench-children-'));
  await build({
    absWorkingDir: PROJECT_ROOT,
    entryPoints: names.map((name) => scriptPath(name)),
    outdir: compiledFolder,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    packages: 'external',
    platform: 'node',
    target: 'node24',
    format: 'esm',
    logLevel: 'error',
  });
  for (const name of names) compiled.set(name, join(compiledFolder, name.replace(/\.ts$/, '.mjs')));
}

export function removeCompiledChildren(): void {
  if (compiledFolder) rmSync(compiledFolder, { recursive: true, force: true });
  compiled.clear();
}

/**
 * Forks `test/bench/<name>` — compiled by {@link compileChildren} when it was, else under this process's TypeScript
 * loader (tsx) — and waits for its one result and for its exit. A child that exits without a result fails the
 * benchmark with its stderr.
 */
export function runChild<T>(
  name: string,
  args: readonly string[] = [],
  options: { env?: Record<string, string>; execArgv?: readonly string[]; input?: unknown } = {},
): Promise<T> {
  return new Promise((resolve, reject) => {
    const script = compiled.get(name);
    const child = fork(script ?? scriptPath(name), [...args], {
      cwd: PROJECT_ROOT,
      execArgv: [...(script ? [] : process.execArgv), ...(options.execArgv ?? [])],
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
    });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    let result: { value: T } | undefined;
    child.on('message', (message: { type?: string; result?: T }) => {
      if (message.type === 'result') result = { value: message.result as T };
    });
    child.on('error', reject);
    if (options.input !== undefined) child.send({ type: 'input', value: options.input });
    child.on('exit', (code, signal) => {
      if (result && code === 0) resolve(result.value);
      else
        reject(
          new Error(`bench child ${name} ${args.join(' ')} exited with ${signal ?? code}:\n${stderr.slice(-4000)}`),
        );
    });
  });
}

/** A long-lived child (the simulated tenants) that answers requests over IPC. */
export class ServiceChild<Ready> {
  readonly #child: ChildProcess;
  readonly ready: Promise<Ready>;
  #stderr = '';
  #pending = new Map<number, (value: unknown) => void>();
  #nextId = 1;

  constructor(name: string, args: readonly string[]) {
    this.#child = fork(scriptPath(name), [...args], {
      cwd: PROJECT_ROOT,
      execArgv: [...process.execArgv],
      stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
    });
    this.#child.stderr?.on('data', (chunk: Buffer) => {
      this.#stderr += chunk.toString('utf8');
    });
    this.ready = new Promise((resolve, reject) => {
      this.#child.on('message', (message: { type: string; id?: number; value?: unknown }) => {
        if (message.type === 'ready') resolve(message.value as Ready);
        else if (message.type === 'reply' && message.id !== undefined) {
          this.#pending.get(message.id)?.(message.value);
          this.#pending.delete(message.id);
        }
      });
      this.#child.on('exit', (code) => {
        reject(new Error(`${name} exited with ${code} before it was ready:\n${this.#stderr.slice(-4000)}`));
      });
    });
  }

  ask<T>(command: string): Promise<T> {
    const id = this.#nextId++;
    return new Promise((resolve) => {
      this.#pending.set(id, resolve as (value: unknown) => void);
      this.#child.send({ type: command, id });
    });
  }

  async stop(): Promise<void> {
    if (this.#child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => this.#child.once('exit', () => resolve()));
    this.#child.send({ type: 'close' });
    await exited;
  }
}

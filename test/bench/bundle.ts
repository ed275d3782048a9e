/**
 * The Lambda bundle: built with esbuild as the CDK construct (lib/constructs/checker-function.ts, NodejsFunction) has
 * it built — lambda/handler.ts, bundled, ESM, minified, external source map without sources content, target node24,
 * main fields module,main, `@aws-sdk/*` external (NodejsFunction's default for Node ≥ 18: the runtime provides the
 * SDK), and the construct's own banner, read from the construct so the two cannot drift apart.
 *
 * Module initialisation: a fresh Node process imports the bundle, with the environment the construct gives the
 * function (NODE_OPTIONS=--enable-source-maps, the Powertools variables) and a region, as Lambda sets one. Timed from
 * process start (performance.timeOrigin) to the import resolved; the median of several runs. The AWS SDK clients the
 * handler imports are part of that time (the runtime loads them from its own node_modules); a second timing loads
 * them first to tell the SDK's share from the bundle's own.
 *
 * What-if builds (never shipped) rebuild the same entry with changes added one at a time, to put a measured number on
 * a recommendation: zod imported as a namespace (`import * as z`), so esbuild can drop what is unused; `yaml` left out
 * (the Lambda never reads a policy file); undici left out (as if the transport used Node's built-in fetch). A change
 * the code already has alters nothing and is listed as such.
 *
 * Before and after: `npx tsx test/bench/bundle.ts --before <rev> [--runs N]` builds the handler of the working tree and
 * of a git revision (its lambda/ and lib/ exported into .tmp, built against today's node_modules), times their module
 * initialisation round-robin in fresh processes, and replaces its own section of RESULTS.md ("bundle-compare",
 * results-file.ts), with the machine's load average while it ran.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build, type Plugin } from 'esbuild';
import { METRICS_NAMESPACE, SERVICE_NAME } from '../../lambda/config/telemetry';
import { PROJECT_ROOT } from './proc';
import { writeResultsSection } from './results-file';
import { median } from './stats';

export interface InitTiming {
  /** Process start → bundle imported, per run. */
  readonly sinceStartMs: readonly number[];
  /** The bundle's import alone (after Node's own bootstrap), per run. */
  readonly importMs: readonly number[];
  /** With the AWS SDK clients imported first: their import, and the bundle's own after them. */
  readonly sdkMs: readonly number[];
  readonly ownMs: readonly number[];
  /** CPU time (user + system) of the process from its start to the bundle imported, per run: less moved by load. */
  readonly cpuMs: readonly number[];
}

export interface BundleBuild {
  readonly name: string;
  readonly bytes: number;
  readonly gzipBytes: number;
  readonly sourceMapBytes: number;
  /** Bytes in the output per package (`lambda/<dir>/` for our own code), largest first. */
  readonly contributors: readonly { readonly name: string; readonly bytes: number }[];
  readonly init: InitTiming;
}

export interface BundleResult {
  readonly runs: number;
  readonly shipped: BundleBuild;
  /** Cumulative what-if builds, each with one more change than the one before. */
  readonly whatIf: readonly BundleBuild[];
  /** What-if changes the code already has (they altered nothing), so no build of theirs is shown. */
  readonly alreadyInCode: readonly string[];
  /** Process start → an empty module imported: Node's own start-up, for reference. */
  readonly emptySinceStartMs: readonly number[];
}

const CONSTRUCT_FILE = join(PROJECT_ROOT, 'lib', 'constructs', 'bundled-function.ts');
const SDK_CLIENTS = ['@aws-sdk/client-s3', '@aws-sdk/client-sns', '@aws-sdk/client-secrets-manager'];
const LAMBDA_ENV = {
  NODE_OPTIONS: '--enable-source-maps',
  AWS_REGION: 'eu-west-1',
  POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
  POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
  POWERTOOLS_LOG_LEVEL: 'INFO',
};

function constructBanner(): string {
  const source = readFileSync(CONSTRUCT_FILE, 'utf8');
  const match = /banner:\s*"((?:[^"\\]|\\.)*)"/.exec(source);
  if (!match) throw new Error(`${CONSTRUCT_FILE}: no bundling banner found; update test/bench/bundle.ts`);
  return JSON.parse(`"${match[1]}"`) as string;
}

/**
 * One change a what-if build makes. `plugin` calls `applied` whenever the change actually alters something, so a
 * change the code already has (e.g. zod already imported as a namespace) is reported as such, not measured twice.
 */
interface WhatIfChange {
  readonly name: string;
  readonly plugin: (applied: () => void) => Plugin;
}

/** Our sources with `import { z } from 'zod'` read as `import * as z from 'zod'` (same API, tree-shakable). */
const zodNamespace: WhatIfChange = {
  name: 'zod as namespace import',
  plugin: (applied) => ({
    name: 'what-if-zod-namespace',
    setup(b) {
      b.onLoad({ filter: /[\\/]lambda[\\/].*\.ts$/ }, (args) => {
        const source = readFileSync(args.path, 'utf8');
        const contents = source.replace(/import \{ z \} from 'zod';/g, "import * as z from 'zod';");
        if (contents !== source) applied();
        return { contents, loader: 'ts' };
      });
    },
  }),
};

/** A module that only exists to be imported: enough for module initialisation, never called in these builds. */
function without(name: string, filter: RegExp, contents: string): WhatIfChange {
  return {
    name: `no ${name}`,
    plugin: (applied) => ({
      name: `what-if-without-${name}`,
      setup(b) {
        b.onResolve({ filter }, () => {
          applied();
          return { path: name, namespace: `what-if-stub-${name}` };
        });
        b.onLoad({ filter: /.*/, namespace: `what-if-stub-${name}` }, () => ({ contents, loader: 'js' }));
      },
    }),
  };
}

/** Applied cumulatively: the n-th what-if build has the first n changes. */
const WHAT_IF: readonly WhatIfChange[] = [
  zodNamespace,
  without('yaml', /^yaml$/, 'export function parseDocument() { throw new Error("not in this build"); }'),
  without(
    'undici',
    /^undici$/,
    'export class Agent { compose() { return this; } close() {} } export const interceptors = { retry: () => ({}) }; export function request() { throw new Error("not in this build"); }',
  ),
];

export async function measureBundle(runs: number): Promise<BundleResult> {
  // Inside the project, so `@aws-sdk/*` resolves from node_modules as it does from the Lambda runtime.
  mkdirSync(join(PROJECT_ROOT, '.tmp'), { recursive: true });
  const folder = mkdtempSync(join(PROJECT_ROOT, '.tmp', 'bench-bundle-'));
  try {
    const empty = join(folder, 'empty.mjs');
    writeFileSync(empty, 'export {};\n');
    const builds = [await buildBundle(folder, 'shipped', [])];
    const alreadyInCode: string[] = [];
    for (let n = 1; n <= WHAT_IF.length; n++) {
      const changes = WHAT_IF.slice(0, n);
      const applied = new Set<string>();
      const plugins = changes.map((change) => change.plugin(() => applied.add(change.name)));
      const newest = changes[changes.length - 1] as WhatIfChange;
      // Built to find out whether the newest change alters anything; kept only if it does.
      const candidate = await buildBundle(
        folder,
        changes
          .filter((c) => !alreadyInCode.includes(c.name))
          .map((c) => c.name)
          .join(', '),
        plugins,
      );
      if (applied.has(newest.name)) builds.push(candidate);
      else alreadyInCode.push(newest.name);
    }

    // Round-robin over the builds, so a slow spell of the machine does not land on one build only.
    for (const b of builds) timeImport(folder, b.file); // warms the file cache, as a provisioned function's disk would be
    const emptySinceStartMs: number[] = [];
    for (let i = 0; i < runs; i++) {
      emptySinceStartMs.push(timeImport(folder, empty).sinceStart);
      for (const b of builds) {
        const alone = timeImport(folder, b.file);
        b.init.sinceStartMs.push(alone.sinceStart);
        b.init.importMs.push(alone.importOnly);
        b.init.cpuMs.push(alone.cpu);
        const split = timeImport(folder, b.file, SDK_CLIENTS);
        b.init.sdkMs.push(split.sdk);
        b.init.ownMs.push(split.importOnly);
      }
    }
    const [shipped, ...whatIf] = builds.map(({ file: _file, ...build }) => build);
    if (!shipped) throw new Error('no bundle built');
    return { runs, shipped, whatIf, alreadyInCode, emptySinceStartMs };
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

interface BuiltBundle extends BundleBuild {
  readonly file: string;
  readonly init: { sinceStartMs: number[]; importMs: number[]; sdkMs: number[]; ownMs: number[]; cpuMs: number[] };
}

/** Builds `<sourceRoot>/lambda/handler.ts` (the working tree's unless another source tree is given). */
async function buildBundle(
  folder: string,
  name: string,
  plugins: Plugin[],
  sourceRoot: string = PROJECT_ROOT,
): Promise<BuiltBundle> {
  const outdir = join(folder, name.replace(/[^a-z0-9]+/gi, '-'));
  const outfile = join(outdir, 'index.mjs');
  const result = await build({
    absWorkingDir: PROJECT_ROOT,
    entryPoints: [join(sourceRoot, 'lambda', 'handler.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node24',
    format: 'esm',
    minify: true,
    sourcemap: true,
    sourcesContent: false,
    external: ['@aws-sdk/*'],
    mainFields: ['module', 'main'],
    banner: { js: constructBanner() },
    metafile: true,
    logLevel: 'error',
    plugins,
  });
  const code = readFileSync(outfile);
  const output = Object.entries(result.metafile.outputs).find(([path]) => path.endsWith('index.mjs'))?.[1];
  const byPackage = new Map<string, number>();
  for (const [path, input] of Object.entries(output?.inputs ?? {})) {
    const owner = packageOf(path);
    byPackage.set(owner, (byPackage.get(owner) ?? 0) + input.bytesInOutput);
  }
  return {
    name,
    file: outfile,
    bytes: code.length,
    gzipBytes: gzipSync(code).length,
    sourceMapBytes: statSync(`${outfile}.map`).size,
    contributors: [...byPackage.entries()]
      .map(([owner, bytes]) => ({ name: owner, bytes }))
      .sort((a, b) => b.bytes - a.bytes),
    init: { sinceStartMs: [], importMs: [], sdkMs: [], ownMs: [], cpuMs: [] },
  };
}

/** Imports `file` in a fresh Node process (after `preload`, if any) and reports when it was done. */
function timeImport(
  cwd: string,
  file: string,
  preload: readonly string[] = [],
): { sinceStart: number; importOnly: number; sdk: number; cpu: number } {
  const script = [
    'const t0 = performance.now();',
    `await Promise.all(${JSON.stringify(preload)}.map((m) => import(m)));`,
    'const t1 = performance.now();',
    `await import(${JSON.stringify(pathToFileURL(file).href)});`,
    'const t2 = performance.now();',
    'const { user, system } = process.cpuUsage();',
    'process.stdout.write(JSON.stringify({ sinceStart: t2, importOnly: t2 - t1, sdk: t1 - t0, cpu: (user + system) / 1000 }));',
  ].join('\n');
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd,
    env: { PATH: process.env.PATH ?? '', ...LAMBDA_ENV },
    encoding: 'utf8',
  });
  return JSON.parse(out) as { sinceStart: number; importOnly: number; sdk: number; cpu: number };
}

function packageOf(path: string): string {
  const modules = path.lastIndexOf('node_modules/');
  if (modules >= 0) {
    const rest = path.slice(modules + 'node_modules/'.length).split('/');
    return rest[0]?.startsWith('@') ? `${rest[0]}/${rest[1]}` : (rest[0] ?? path);
  }
  const ours = /^(lambda\/[^/]+)\//.exec(path);
  return ours ? `${ours[1]}/` : path;
}

export interface RevisionComparison {
  readonly runs: number;
  readonly date: string;
  readonly cores: number;
  /** 1-minute load average when the timing started and when it ended. */
  readonly load: { readonly atStart: number; readonly atEnd: number };
  /** The revision first, then the working tree. */
  readonly builds: readonly (BundleBuild & { readonly source: string })[];
  readonly emptySinceStartMs: readonly number[];
  readonly emptyCpuMs: readonly number[];
}

/**
 * The shipped build of `revision` (its lambda/ and lib/, exported with `git archive`) against the working tree's,
 * timed round-robin so a busy spell of the machine lands on both alike.
 */
export async function compareWithRevision(revision: string, runs: number): Promise<RevisionComparison> {
  mkdirSync(join(PROJECT_ROOT, '.tmp'), { recursive: true });
  const folder = mkdtempSync(join(PROJECT_ROOT, '.tmp', 'bench-bundle-compare-'));
  try {
    const commit = git(['rev-parse', '--short', revision]).trim();
    const sourceRoot = join(folder, 'source');
    mkdirSync(sourceRoot);
    const archive = execFileSync('git', ['archive', '--format=tar', commit, 'lambda', 'lib'], {
      cwd: PROJECT_ROOT,
      maxBuffer: 256 * 2 ** 20,
    });
    execFileSync('tar', ['-x', '-C', sourceRoot], { input: archive });
    const head = git(['rev-parse', '--short', 'HEAD']).trim();
    const dirty = git(['status', '--porcelain', '--', 'lambda', 'lib']).trim() !== '';
    const builds = [
      { source: `${commit} (before)`, ...(await buildBundle(folder, 'before', [], sourceRoot)) },
      {
        source: `${head}${dirty ? ' + uncommitted changes' : ''} (after)`,
        ...(await buildBundle(folder, 'after', [])),
      },
    ];
    const empty = join(folder, 'empty.mjs');
    writeFileSync(empty, 'export {};\n');
    for (const b of builds) timeImport(folder, b.file); // warms the file cache
    const atStart = loadavg()[0] ?? 0;
    const emptySinceStartMs: number[] = [];
    const emptyCpuMs: number[] = [];
    for (let i = 0; i < runs; i++) {
      const node = timeImport(folder, empty);
      emptySinceStartMs.push(node.sinceStart);
      emptyCpuMs.push(node.cpu);
      for (const b of builds) {
        const alone = timeImport(folder, b.file);
        b.init.sinceStartMs.push(alone.sinceStart);
        b.init.importMs.push(alone.importOnly);
        b.init.cpuMs.push(alone.cpu);
      }
    }
    const atEnd = loadavg()[0] ?? 0;
    return {
      runs,
      date: new Date().toISOString(),
      cores: cpus().length,
      load: { atStart, atEnd },
      builds: builds.map(({ file: _file, ...build }) => build),
      emptySinceStartMs,
      emptyCpuMs,
    };
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

export function renderRevisionComparison(r: RevisionComparison): string {
  const [before, after] = r.builds;
  if (!before || !after) throw new Error('comparison without two builds');
  const kB = (bytes: number) => `${(bytes / 1000).toFixed(1)} kB`;
  const ms = (values: readonly number[]) => `${median(values).toFixed(1)} ms`;
  const row = (b: RevisionComparison['builds'][number]) =>
    `| ${b.source} | ${b.bytes.toLocaleString('en')} (${kB(b.bytes)}) | ${kB(b.gzipBytes)} | ` +
    `${ms(b.init.cpuMs)} | ${ms(b.init.sinceStartMs)} | ${ms(b.init.importMs)} | ` +
    `${Math.min(...b.init.importMs).toFixed(1)} ms |`;
  const change = (a: number, b: number) => `${b - a >= 0 ? '+' : ''}${(((b - a) / a) * 100).toFixed(1)}%`;
  return [
    '## Lambda bundle: before and after',
    '',
    `\`npx tsx test/bench/bundle.ts --before ${before.source.split(' ')[0]}\` on ${r.date}: lambda/handler.ts built as the`,
    'construct builds it (see "3. Lambda bundle"), once from the revision before and once from the working tree, both',
    `against the same node_modules; each imported by a fresh \`node\` ${r.runs} times, round-robin, after one warm-up.`,
    `Load average (1 min) on ${r.cores} cores: ${r.load.atStart.toFixed(2)} when the timing started,`,
    `${r.load.atEnd.toFixed(2)} when it ended. Wall time includes waiting for a core on a busy machine; CPU time`,
    '(user + system, from process start to the bundle imported, read by the process) is what the start itself costs.',
    `Node's own start-up (an empty module): ${ms(r.emptyCpuMs)} CPU, ${ms(r.emptySinceStartMs)} wall.`,
    '',
    '| build | bytes | gzip | CPU to imported (median) | wall from process start (median) | import only, wall (median) | import only, wall (fastest) |',
    '|---|---|---|---|---|---|---|',
    row(before),
    row(after),
    '',
    `After against before: bundle ${change(before.bytes, after.bytes)}; module init CPU ` +
      `${change(median(before.init.cpuMs), median(after.init.cpuMs))}, wall from process start ` +
      `${change(median(before.init.sinceStartMs), median(after.init.sinceStartMs))}, import only ` +
      `${change(median(before.init.importMs), median(after.init.importMs))}.`,
  ].join('\n');
}

function git(args: readonly string[]): string {
  return execFileSync('git', args, { cwd: PROJECT_ROOT, encoding: 'utf8' });
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const option = (name: string) => {
    const at = args.indexOf(name);
    return at >= 0 ? args[at + 1] : undefined;
  };
  const revision = option('--before');
  if (!revision) {
    process.stderr.write('usage: npx tsx test/bench/bundle.ts --before <git revision> [--runs N]\n');
    process.exit(2);
  }
  const section = renderRevisionComparison(await compareWithRevision(revision, Number(option('--runs') ?? 21)));
  writeResultsSection('bundle-compare', section);
  process.stdout.write(`${section}\n`);
}

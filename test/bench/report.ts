/**
 * test/bench/RESULTS.md from one benchmark run. Every number and every verdict comes from that run's measurements;
 * the targets are the issue's, compared as stated (no rounding in a measurement's favour).
 */
import type { GenerateTenantSpec } from '../sim/server';
import type { BundleBuild, BundleResult } from './bundle';
import type { CheckResult, FindingKey } from './collect-child';
import type { CrawlResult } from './crawl-child';
import type { EvaluateResult } from './evaluate-child';
import type { FleetResult } from './fleet-child';
import { chain, describe, type PlanPair } from './plan';
import type { HostedTenant, HostStats, TenantSizes } from './sim-host';
import { median } from './stats';

export interface Measured<R> {
  readonly result: R;
  /** What the simulator served during the measurement. */
  readonly sim: HostStats;
  readonly clientRequests: number;
  /** Requests the plan model predicts. */
  readonly planRequests: number;
  readonly implementedChain: number;
  readonly dependencyChain: number;
  readonly plan: PlanPair;
}

export interface BenchResults {
  readonly machine: { date: string; nproc: number; cpu: string; memoryBytes: number; node: string };
  readonly latencyMs: number;
  readonly partner: {
    readonly spec: GenerateTenantSpec;
    readonly sizes: TenantSizes;
    readonly expected: HostedTenant['expected'];
    readonly targeted: readonly Measured<CheckResult>[];
    readonly full: Measured<CheckResult>;
    readonly crawl: Measured<CrawlResult>;
  };
  /** The same tenant, its snapshot parsed page by page (as collected) or built in one piece by buildTenant(). */
  readonly evaluation: { readonly pages: readonly EvaluateResult[]; readonly build: readonly EvaluateResult[] };
  readonly bundle: BundleResult;
  readonly fleet: {
    readonly spec: GenerateTenantSpec;
    readonly tenants: number;
    readonly sizes: TenantSizes;
    readonly plan: PlanPair;
    readonly expectedFindings: number;
    readonly runs: readonly { result: FleetResult; sim: HostStats }[];
  };
  readonly totalSeconds: number;
}

const TARGETS = {
  ratioToFloor: 1.5,
  speedupOverCrawl: 10,
  evaluationMs: 300,
  evaluationPeakBytes: 256 * 2 ** 20,
  bundleBytes: 600 * 1000,
  initMs: 150,
};

const seconds = (ms: number): string => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`);
const ms1 = (ms: number): string => `${ms.toFixed(1)} ms`;
const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(0)} MiB`;
const kb = (bytes: number): string => `${(bytes / 1000).toFixed(1)} kB`;
const int = (n: number): string => n.toLocaleString('en-US');
const ratio = (x: number): string => `${x.toFixed(2)}×`;
/** Three decimals where a verdict is decided, so 1.505× never reads as 1.50×. */
const ratio3 = (x: number): string => `${x.toFixed(3)}×`;
const verdict = (met: boolean): string => (met ? '**met**' : '**NOT met**');
/** A verdict on a number, flagged when it lies within 5% of the target: run-to-run noise can flip it. */
const verdictOn = (measured: number, target: number, atMost = true): string =>
  `${verdict(atMost ? measured <= target : measured >= target)}${Math.abs(measured / target - 1) < 0.05 ? ' (borderline: within 5% of the target)' : ''}`;

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  return [
    `| ${header.join(' | ')} |`,
    `|${header.map(() => '---').join('|')}|`,
    ...rows.map((row) => `| ${row.join(' | ')} |`),
  ].join('\n');
}

const findingKey = (f: FindingKey) => `${f.id} ${f.ruleId} ${f.subjectType}:${f.subjectId}`;
function sameFindings(a: readonly FindingKey[], b: readonly FindingKey[]): boolean {
  const left = a.map(findingKey).sort();
  const right = b.map(findingKey).sort();
  return left.length === right.length && left.every((key, i) => key === right[i]);
}
function byRule(findings: readonly { ruleId: string }[]): string {
  const counts = new Map<string, number>();
  for (const f of findings) counts.set(f.ruleId, (counts.get(f.ruleId) ?? 0) + 1);
  return [...counts.entries()].map(([rule, n]) => `${rule} × ${n}`).join(', ') || 'none';
}

/** Columns of the shipped bundle's table and of the what-if builds' table. */
const BUILD_COLUMNS = [
  'build',
  'bytes',
  'gzip',
  'source map',
  'init from process start',
  'import only',
  'of which AWS SDK',
  "bundle's own",
];

export function renderResults(r: BenchResults): string {
  const { partner, evaluation, bundle, fleet } = r;
  const floor = (roundTrips: number) => roundTrips * r.latencyMs;

  const targeted = [...partner.targeted].sort((a, b) => a.result.wallMs - b.result.wallMs)[
    Math.floor(partner.targeted.length / 2)
  ];
  if (!targeted) throw new Error('no targeted run');
  const a = targeted;
  const aWall = a.result.wallMs;
  const aVsDependencies = aWall / floor(a.dependencyChain);
  const aVsImplemented = aWall / floor(a.implementedChain);
  const speedup = partner.crawl.result.wallMs / aWall;
  const everyTargetedAgrees = partner.targeted.every((run) =>
    sameFindings(run.result.findings, partner.full.result.findings),
  );
  const expectedKeys = partner.expected.map((f) => `${f.ruleId} ${f.subjectType}:${f.subjectId}`).sort();
  const targetedKeys = a.result.findings.map((f) => `${f.ruleId} ${f.subjectType}:${f.subjectId}`).sort();
  const matchesConstruction =
    expectedKeys.length === targetedKeys.length && expectedKeys.every((k, i) => k === targetedKeys[i]);

  const evaluationPeak = (e: EvaluateResult) => e.memoryAfterEvaluation.peakRssBytes;
  const medianRun = (runs: readonly EvaluateResult[]): EvaluateResult => {
    const run = [...runs].sort((x, y) => x.coldMs - y.coldMs)[Math.floor(runs.length / 2)];
    if (!run) throw new Error('no evaluation run');
    return run;
  };
  const evaluated = { pages: medianRun(evaluation.pages), build: medianRun(evaluation.build) };
  const coldRuns = (runs: readonly EvaluateResult[]) => runs.map((e) => e.coldMs.toFixed(0)).join(', ');
  const shipped = bundle.shipped;
  const initMedian = median(shipped.init.sinceStartMs);

  const lines: string[] = [];
  const out = (...text: string[]) => lines.push(...text);

  out(
    '# Performance benchmark — results',
    '',
    `Generated by \`npm run bench\` (test/bench/run.ts) on ${r.machine.date}; regenerate rather than edit. Every ratio`,
    'below was measured in this one run. Timings are never asserted by tests.',
    '',
    `Machine: \`nproc\` = ${r.machine.nproc}, CPU ${r.machine.cpu}, memory ${(r.machine.memoryBytes / 2 ** 30).toFixed(1)} GiB, Node ${r.machine.node}.`,
    `Simulated tenants (test/sim) answer every request after ${r.latencyMs} ms of injected latency; they run in processes of`,
    "their own, and each measurement runs in a fresh Node process, so the peak RSS shown is that measurement's alone",
    '(VmHWM; the measured children run compiled on bare Node, and their peak includes Node and the modules imported — the',
    'RSS right after the imports is shown beside it as the baseline).',
    '',
    "**Floors.** A request plan's chain is its longest path of round trips that wait for one another; floor = chain ×",
    `${r.latencyMs} ms. Two chains are given for each plan (test/bench/plan.ts): *as implemented* follows the order the code waits`,
    'in; *data dependencies* lets each request wait only for what it needs (a `next` link, an id, the tenant id). The',
    'second is the true floor for those requests, and the one the targets are judged against first.',
    '',
    `On a small virtual machine like this one (${r.machine.nproc} vCPUs) wall-clock numbers such as module initialisation and`,
    'evaluation move by tens of milliseconds from run to run, so a verdict within 5% of its target is flagged as borderline.',
    '',
    `Total benchmark time: ${r.totalSeconds.toFixed(0)} s.`,
    '',
  );

  out('## Targets', '');
  out(
    table(
      ['Target', 'Measured', 'Verdict'],
      [
        [
          `(a) within ${TARGETS.ratioToFloor}× its floor (data dependencies)`,
          `${seconds(aWall)} vs floor ${seconds(floor(a.dependencyChain))} (${a.dependencyChain} round trips): ${ratio3(aVsDependencies)}`,
          verdictOn(aVsDependencies, TARGETS.ratioToFloor),
        ],
        [
          `(a) within ${TARGETS.ratioToFloor}× its floor (chain as implemented)`,
          `${seconds(aWall)} vs ${seconds(floor(a.implementedChain))} (${a.implementedChain} round trips): ${ratio3(aVsImplemented)}`,
          verdictOn(aVsImplemented, TARGETS.ratioToFloor),
        ],
        [
          `(a) at least ${TARGETS.speedupOverCrawl}× faster than (b)`,
          `(b) ${seconds(partner.crawl.result.wallMs)} / (a) ${seconds(aWall)} = ${ratio(speedup)}`,
          verdictOn(speedup, TARGETS.speedupOverCrawl, false),
        ],
        [
          '(a) identical findings to (c)',
          `${a.result.findings.length} vs ${partner.full.result.findings.length} findings; ids, rule ids and subjects ${everyTargetedAgrees ? 'identical in every run' : 'DIFFER'}`,
          verdict(everyTargetedAgrees),
        ],
        ...(
          [
            ['snapshot parsed page by page', evaluated.pages, evaluation.pages],
            ['snapshot from buildTenant()', evaluated.build, evaluation.build],
          ] as const
        ).flatMap(([how, e, runs]) => [
          [
            `Evaluation of 100k users ≤ ${TARGETS.evaluationMs} ms (${how})`,
            `${ms1(e.coldMs)}: median of ${runs.length} fresh processes (${coldRuns(runs)} ms), first evaluation in each; warm median ${ms1(median(e.warmMs))}`,
            verdictOn(e.coldMs, TARGETS.evaluationMs),
          ],
          [
            `Evaluation peak RSS ≤ ${mib(TARGETS.evaluationPeakBytes)} (${how})`,
            `${mib(evaluationPeak(e))} while evaluating, with the snapshot in memory (${mib(e.memoryBeforeEvaluation.rssBytes)} before evaluating)`,
            verdictOn(evaluationPeak(e), TARGETS.evaluationPeakBytes),
          ],
        ]),
        [
          `Bundle ≤ 600 kB minified (${int(TARGETS.bundleBytes)} bytes)`,
          `${int(shipped.bytes)} bytes (${kb(shipped.bytes)}; gzip ${kb(shipped.gzipBytes)})`,
          verdictOn(shipped.bytes, TARGETS.bundleBytes),
        ],
        [
          `Module initialisation ≤ ${TARGETS.initMs} ms`,
          `${ms1(initMedian)} median from process start (${bundle.runs} runs)`,
          verdictOn(initMedian, TARGETS.initMs),
        ],
      ],
    ),
    '',
  );

  const modelled = [...partner.targeted, partner.crawl, partner.full].every((m) => m.planRequests === m.sim.requests);
  out(
    modelled
      ? 'The plan model behind the floors predicted exactly the requests the simulator served for (a), (b) and (c).'
      : '**Warning: the plan model (test/bench/plan.ts) does not predict the requests the simulator served (see the ' +
          "requests column below); the code's request plan has changed, so the floors above are out of date.**",
    '',
  );

  out(
    `## 1. Partner tenant: ${int(partner.sizes.users)} users, ${int(partner.sizes.groups)} groups, ${int(partner.sizes.apiKeys)} keys`,
    '',
    `Generated tenant (test/sim/generate.ts, seed ${partner.spec.seed}): ${int(partner.spec.users)} users of every status, ${int(partner.spec.groups)} groups,`,
    `${partner.sizes.roles} roles, ${partner.spec.keys} API keys held by ${partner.spec.keyOwners} distinct owners of whom ${partner.spec.ownersLackingPermission} lack the`,
    "permission. The checker authenticates with the caller's API key.",
    '',
    '- **(a)** default check: `collectTenant` (targeted) + `evaluatePolicy` with the shipped default policy, timed from',
    `  the first request to the last finding; ${partner.targeted.length} runs, each in a fresh process; the median is shown.`,
    '- **(b)** full crawl with `@qlik/api` 2.19 (users, groups, roles, keys; every page through `next()`, one list after',
    '  the other, as a script would). Users are listed with the same all-statuses filter the full inventory uses, so both',
    '  read the same users (unfiltered, the simulator lists active users only, as docs/qlik-cloud-api.md allows). No',
    "  evaluation: crawling only. Host config, set with `auth.setDefaultHostConfig`: `{ authType: 'apikey', host:",
    "  'http://127.0.0.1:<port>', apiKey, forceIsWindows: false }` — the library takes the http:// host as is; without",
    '  the last flag it asks `GET /resources/autogenerated/product-info.json` before every request to a host outside',
    "  `*.qlikcloud.com` (the simulator's 404 is not cached), which it never does against a real tenant.",
    "- **(c)** this project's full inventory: `collectTenant` with `mode: 'full'` + `evaluatePolicy`.",
    '',
  );
  const partnerRow = (
    label: string,
    m: Measured<{ wallMs: number; memoryAtStart: { rssBytes: number }; memoryAtEnd: { peakRssBytes: number } }>,
  ) => [
    label,
    `${int(m.clientRequests)} / ${int(m.sim.requests)} / ${int(m.planRequests)}`,
    seconds(m.result.wallMs),
    `${m.implementedChain} → ${seconds(floor(m.implementedChain))}`,
    `${m.dependencyChain} → ${seconds(floor(m.dependencyChain))}`,
    ratio(m.result.wallMs / floor(m.dependencyChain)),
    ratio(m.result.wallMs / floor(m.implementedChain)),
    `${mib(m.result.memoryAtEnd.peakRssBytes)} (${mib(m.result.memoryAtStart.rssBytes)})`,
  ];
  out(
    table(
      [
        '',
        'requests: client / simulator / plan',
        'wall time',
        'chain as implemented → floor',
        'chain, data dependencies → floor',
        'ratio to dependency floor',
        'ratio to implemented chain',
        'peak RSS (after imports)',
      ],
      [
        partnerRow('(a) default check', a),
        partnerRow('(b) @qlik/api crawl', partner.crawl),
        partnerRow('(c) full inventory', partner.full),
      ],
    ),
    '',
    `(a) runs: ${partner.targeted.map((m) => seconds(m.result.wallMs)).join(', ')} (collection ${seconds(a.result.collectMs)}, evaluation ${ms1(a.result.evaluateMs)} in the median run).`,
    `(c): collection ${seconds(partner.full.result.collectMs)}, evaluation ${ms1(partner.full.result.evaluateMs)}.`,
    `(b) per list: ${Object.entries(partner.crawl.result.lists)
      .map(([name, list]) => `${name} ${int(list.items)} items in ${list.pages} pages, ${seconds(list.ms)}`)
      .join('; ')}.`,
    '',
    `**Ratios:** (b)/(a) = ${ratio(speedup)}; (c)/(a) = ${ratio(partner.full.result.wallMs / aWall)}; (b)/(c) = ${ratio(partner.crawl.result.wallMs / partner.full.result.wallMs)}.`,
    '',
    '**Critical paths** (longest chain of each plan):',
    '',
    ...(
      [
        ['(a)', a.plan],
        ['(b)', partner.crawl.plan],
        ['(c)', partner.full.plan],
      ] as const
    ).flatMap(([label, plan]) => [
      `- ${label} as implemented: ${describe(plan.implemented)}`,
      `- ${label} data dependencies: ${describe(plan.dependencies)}`,
    ]),
    '',
    '**Requests by endpoint** (as served by the simulator):',
    '',
  );
  const routes = [...new Set([a, partner.crawl, partner.full].flatMap((m) => Object.keys(m.sim.byPath)))].sort();
  out(
    table(
      ['route', '(a)', '(b)', '(c)'],
      routes.map((route) => [
        `\`${route}\``,
        ...[a, partner.crawl, partner.full].map((m) => String(m.sim.byPath[route] ?? 0)),
      ]),
    ),
    '',
    `**Findings.** (a): ${byRule(a.result.findings)}. (c): ${byRule(partner.full.result.findings)}.`,
    `(a) and (c) ${everyTargetedAgrees ? 'give identical' : 'DO NOT give identical'} findings (finding id, rule id, subject type and id) in ${
      everyTargetedAgrees ? 'every' : 'at least one'
    } run. Against the generator's construction (${partner.expected.length} expected: ${byRule(partner.expected)}): ${
      matchesConstruction ? 'exactly as expected' : 'DIFFERENT'
    }. Snapshot sizes: (a) ${int(a.result.collected.users)} users (${a.result.collected.usersScope}), ${int(a.result.collected.groups)} groups; (c) ${int(
      partner.full.result.collected.users,
    )} users (${partner.full.result.collected.usersScope}), ${int(partner.full.result.collected.groups)} groups.`,
    `Retries / 429s: (a) ${a.result.retries} / ${a.result.rateLimited}, (c) ${partner.full.result.retries} / ${partner.full.result.rateLimited}; product-info requests by (b): ${
      partner.crawl.sim.byPath['GET /resources/autogenerated/product-info.json'] ?? 0
    }.`,
    '',
  );

  const p = evaluated.pages;
  const b = evaluated.build;
  const both = (value: (e: EvaluateResult) => string) => [value(p), value(b)];
  out(
    `## 2. Policy evaluation alone: ${int(p.users)} users, ${int(p.groups)} groups, ${int(p.keys)} keys`,
    '',
    `The tenant at Qlik's limits of test/unit/policy/scale-tenant.ts and the shipped default policy; ${evaluation.pages.length} fresh processes`,
    '(`--expose-gc`) per column, the one with the median first-evaluation time shown. Once the snapshot is in memory it is garbage collected and the peak-RSS mark is reset',
    "(`/proc/self/clear_refs`), so the evaluation's peak is the snapshot held in memory plus what evaluating adds.",
    '*Parsed page by page*: the snapshot read from JSON lines of 100 items, as the collector builds it from 100-item pages.',
    "*buildTenant()*: the unit tests' builder, which round-trips the whole tenant through one JSON string; the heap that",
    'took stays resident after GC, so its RSS is higher than the snapshot needs (compare the JS heap rows).',
    '',
    table(
      ['measure', 'snapshot parsed page by page', 'snapshot from buildTenant()'],
      [
        [
          'evaluatePolicy, first call in the process: median (every run)',
          `${ms1(p.coldMs)} (${coldRuns(evaluation.pages)} ms)`,
          `${ms1(b.coldMs)} (${coldRuns(evaluation.build)} ms)`,
        ],
        [
          'evaluatePolicy, warm repeats: median (all)',
          ...both((e) => `${ms1(median(e.warmMs))} (${e.warmMs.map((v) => v.toFixed(0)).join(', ')})`),
        ],
        ['developerHolders (also run per tenant)', ...both((e) => ms1(e.developerHoldersMs))],
        [
          'findings',
          ...both(
            (e) =>
              `${int(e.findings)}: ${Object.entries(e.findingsByRule)
                .map(([rule, n]) => `${rule} × ${n}`)
                .join(', ')}`,
          ),
        ],
        ['RSS after imports', ...both((e) => mib(e.memoryAtStart.rssBytes))],
        ['RSS with the snapshot in memory, after GC', ...both((e) => mib(e.memoryBeforeEvaluation.rssBytes))],
        ['**peak RSS while evaluating**', ...both((e) => `**${mib(evaluationPeak(e))}**`)],
        [
          'JS heap used: after imports / with the snapshot, after GC / right after evaluating (before GC)',
          ...both((e) =>
            [e.memoryAtStart, e.memoryBeforeEvaluation, e.memoryAfterEvaluation]
              .map((m) => mib(m.heapUsedBytes))
              .join(' / '),
          ),
        ],
        [
          'peak RSS of the whole process (incl. getting the snapshot)',
          ...both((e) => mib(Math.max(e.memoryBeforeEvaluation.peakRssBytes, evaluationPeak(e)))),
        ],
        ['getting the snapshot (not part of the target)', ...both((e) => seconds(e.buildMs))],
      ],
    ),
    '',
    `Findings agree between the two: ${p.findings === b.findings && JSON.stringify(p.findingsByRule) === JSON.stringify(b.findingsByRule) ? 'yes' : 'NO'}.`,
    '',
  );

  const buildRow = (b: BundleBuild) => [
    b.name,
    `${int(b.bytes)} (${kb(b.bytes)})`,
    kb(b.gzipBytes),
    kb(b.sourceMapBytes),
    ms1(median(b.init.sinceStartMs)),
    ms1(median(b.init.importMs)),
    ms1(median(b.init.sdkMs)),
    ms1(median(b.init.ownMs)),
  ];
  out(
    '## 3. Lambda bundle',
    '',
    'lambda/handler.ts bundled with esbuild exactly as lib/constructs/checker-function.ts has CDK bundle it (ESM, minified,',
    "target node24, external source map without sources content, `@aws-sdk/*` external, the construct's banner). Module",
    `initialisation: a fresh \`node\` imports the bundle with NODE_OPTIONS=--enable-source-maps and the function's environment;`,
    `median of ${bundle.runs} runs after one warm-up; Node's own start-up (an empty module) takes ${ms1(median(bundle.emptySinceStartMs))}. The AWS SDK clients the`,
    'handler imports load from node_modules, as the runtime loads its own copy; the last two columns split the import',
    "into the SDK's share and the bundle's own (SDK imported first, then the bundle).",
    '',
    table(BUILD_COLUMNS, [buildRow(shipped)]),
    '',
    `Largest contributors to the shipped bundle: ${shipped.contributors
      .slice(0, 10)
      .map((c) => `${c.name} ${kb(c.bytes)}`)
      .join(', ')}.`,
    '',
    '**What-if builds** (not shipped; same entry and options, changes added one at a time, to measure a recommendation):',
    '',
    bundle.whatIf.length > 0
      ? table(BUILD_COLUMNS, bundle.whatIf.map(buildRow))
      : 'None: the code already has every change below.',
    '',
    "- *zod as namespace import*: every `import { z } from 'zod'` in lambda/ read as `import * as z from 'zod'` (same",
    '  API); esbuild can then leave out what is never used (the locales, JSON-Schema import).',
    '- *no yaml*: `yaml` replaced by a stub; the Lambda takes its policy as JSON from QAG_CONFIG and never parses YAML.',
    "- *no undici*: `undici` replaced by a stub, as if the transport used Node's built-in fetch (which is undici, shipped",
    '  inside Node). Init timing only: those builds cannot run a check.',
    ...(bundle.alreadyInCode.length > 0
      ? [
          `- Already so in the code (the change altered nothing, so no build is shown): ${bundle.alreadyInCode.join('; ')}.`,
        ]
      : []),
    '',
  );

  out(
    `## 4. ${fleet.tenants} tenants of ${int(fleet.sizes.users)} users in one run`,
    '',
    `\`run()\` of lambda/run/run.ts over ${fleet.tenants} simulated tenants (one process, ${fleet.tenants} loopback ports), each ${int(fleet.spec.users)} users, ${fleet.spec.groups} groups,`,
    `${fleet.spec.keys} keys of ${fleet.spec.keyOwners} owners (${fleet.spec.ownersLackingPermission} lacking the permission); default policy; report archive and drift state in a temporary`,
    "folder (the CLI's store); a publisher that sends nothing. Floor = ⌈tenants / concurrency⌉ × per-tenant chain ×",
    `${r.latencyMs} ms. Per-tenant chain as implemented: ${describe(fleet.plan.implemented)}; data dependencies only: ${describe(fleet.plan.dependencies)}.`,
    '',
    table(
      [
        'tenant concurrency',
        'wall time',
        'floor: implemented chain',
        'floor: data dependencies',
        'ratio to dependency floor',
        'ratio to implemented floor',
        'requests (client / simulator)',
        'per tenant p50 / p95',
        'tenants ok',
        'failing findings (expected)',
        'peak RSS (after imports)',
      ],
      fleet.runs.map(({ result, sim }) => {
        const waves = Math.ceil(result.tenants / result.concurrency);
        const implemented = waves * floor(chain(fleet.plan.implemented));
        const dependencies = waves * floor(chain(fleet.plan.dependencies));
        return [
          String(result.concurrency),
          seconds(result.wallMs),
          `${waves} × ${chain(fleet.plan.implemented)} → ${seconds(implemented)}`,
          `${waves} × ${chain(fleet.plan.dependencies)} → ${seconds(dependencies)}`,
          ratio(result.wallMs / dependencies),
          ratio(result.wallMs / implemented),
          `${int(result.requests)} / ${int(sim.requests)}`,
          `${seconds(result.tenantMs.p50)} / ${seconds(result.tenantMs.p95)}`,
          `${result.ok} / ${result.tenants}`,
          `${int(result.failingFindings)} (${int(fleet.expectedFindings)})`,
          `${mib(result.memoryAtEnd.peakRssBytes)} (${mib(result.memoryAtStart.rssBytes)})`,
        ];
      }),
    ),
    '',
    ...fleet.runs.flatMap(({ result }) =>
      result.errors.length > 0 ? [`Errors at concurrency ${result.concurrency}: ${result.errors.join('; ')}`, ''] : [],
    ),
    `The first concurrency is the runtime config's default (\`tenantConcurrency\`); the config allows up to 50.`,
    '',
  );

  const lean = bundle.whatIf[bundle.whatIf.length - 1];
  const waitedA = a.implementedChain - a.dependencyChain;
  const waitedC = partner.full.implementedChain - partner.full.dependencyChain;
  const fleetWaited = chain(fleet.plan.implemented) - chain(fleet.plan.dependencies);
  const groupPages = Math.max(1, Math.ceil(partner.sizes.groups / 100));
  const waits = (label: string, waited: number, of: number) =>
    waited > 0
      ? `${label} waits ${waited} of its ${of} round trips (${seconds(floor(waited))}) longer than its requests need (see its critical paths).`
      : `${label}: its plan is as short as its requests allow.`;
  out(
    '## What the numbers point to',
    '',
    `- ${waits('(a)', waitedA, a.implementedChain)} ${waits('(c)', waitedC, partner.full.implementedChain)} ${waits(
      'Each fleet tenant',
      fleetWaited,
      chain(fleet.plan.implemented),
    )}`,
    groupPages >= a.dependencyChain
      ? `- The default check reads all ${int(partner.sizes.groups)} groups (${groupPages} sequential pages, ${groupPages} of its ${a.sim.requests} requests), and that is its longest chain: its cost still grows with the tenant's group count (at Qlik's maximum of 10,000 groups: 100 pages, ${seconds(floor(100))} at this latency).`
      : `- The default check reads all ${int(partner.sizes.groups)} groups (${groupPages} sequential pages), shorter than its longest chain.`,
    `- Bundle: ${shipped.contributors
      .slice(0, 3)
      .map((c) => `${c.name} ${kb(c.bytes)}`)
      .join(', ')} of ${kb(shipped.bytes)}.${
      lean
        ? ` The what-if builds measure the gains: ${bundle.whatIf
            .map((w) => `${w.name} → ${kb(w.bytes)}, ${ms1(median(w.init.sinceStartMs))}`)
            .join('; ')}.`
        : ''
    }`,
    `- Module initialisation: of ${ms1(initMedian)}, Node itself takes ${ms1(median(bundle.emptySinceStartMs))} and the three AWS SDK clients`,
    `  ${ms1(median(shipped.init.sdkMs))} (imported at module load by lambda/aws/clients.ts); the bundle's own code ${ms1(median(shipped.init.ownMs))}.`,
    '',
  );
  return `${lines.join('\n')}\n`;
}

/**
 * What `watch` does once its options are read: start the receiver and the audit poll (../events/watch.ts), check
 * every tenant at the start and each tenant after its events, through the same run pipeline as `check`, writing the
 * same run folders, archive, drift state and alert previews; stop cleanly when `signal` aborts (Ctrl-C, SIGTERM).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describeTriggers, type TriggerSummary } from '../events/debouncer';
import { startWatch, type Watch } from '../events/watch';
import { LocalWebhookSecrets } from '../events/webhook-secrets';
import type { LoadedPolicy } from '../policy/load';
import { QlikClient } from '../qlik/client';
import type { CheckTrigger, Severity } from '../report/model';
import { renderRunFiles } from '../report/run-files';
import { type RunLog, run, type TenantTarget } from '../run/run';
import { keySegment } from '../store/layout';
import { createRunArchive, createStateStore, FsObjectStore } from '../store/store';
import { escapeUnsafe as terminalLine } from '../util/tenant-text';
import { PreviewPublisher } from './preview-publisher';

export interface WatchSettings {
  readonly targets: readonly TenantTarget[];
  readonly policy: LoadedPolicy;
  readonly failOn: Severity;
  readonly deadlineSeconds: number;
  readonly allowHttpLoopback: boolean;
  readonly outDir: string;
  readonly stateDir: string;
  readonly host: string;
  readonly port: number;
  readonly debounceMs: number;
  readonly pollMs: number;
  readonly quiet: boolean;
  readonly now?: () => Date;
}

export interface WatchIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
}

/** Runs until `signal` aborts; resolves to the exit code (0 after a clean stop). `onStarted` gets the live watch. */
export async function runWatch(
  settings: WatchSettings,
  io: WatchIo,
  signal: AbortSignal,
  onStarted?: (watch: Watch) => void,
): Promise<number> {
  const now = settings.now ?? (() => new Date());
  const progress = settings.quiet ? () => {} : (line: string) => io.stderr(`${terminalLine(line)}\n`);
  const secrets = new LocalWebhookSecrets(settings.stateDir);
  const byName = new Map(settings.targets.map((t) => [t.name, t]));
  const archive = createRunArchive(new FsObjectStore(settings.outDir));
  const state = createStateStore(new FsObjectStore(settings.stateDir));
  const clients = new Map<string, Promise<QlikClient>>();

  const tenants = [];
  for (const target of settings.targets) {
    const record = await secrets.load(target.name);
    if (!record) progress(`${target.name}: no webhook installed (run "webhooks install"); the audit poll covers it`);
    tenants.push({ name: target.name, ...(record ? { webhookSecret: record.secret } : {}) });
  }

  const check = async (names: readonly string[], trigger: CheckTrigger, triggers?: TriggerSummary) => {
    const started = now();
    const runId =
      names.length === 1 && trigger.kind === 'event' ? `${started.toISOString()}-${names[0]}` : started.toISOString();
    const runFolder = join(settings.outDir, 'runs', keySegment(runId));
    await mkdir(runFolder, { recursive: true });
    const publisher = new PreviewPublisher(progress);
    const outcome = await run(
      { now, archive, state, publisher, log: stderrLog(progress) },
      {
        runId,
        tenants: names.flatMap((n) => byName.get(n) ?? []),
        policy: settings.policy,
        tenantConcurrency: 4,
        tenantDeadlineMs: settings.deadlineSeconds * 1000,
        allowHttpLoopback: settings.allowHttpLoopback,
        failOn: settings.failOn,
        trigger,
      },
    );
    for (const file of renderRunFiles(outcome.report, outcome.trends)) {
      await writeFile(join(runFolder, file.name), file.body);
    }
    await writeFile(join(runFolder, 'email.txt'), publisher.emailPreview());
    await writeFile(join(runFolder, 'chat.json'), publisher.chatPreview());
    const failing = outcome.report.tenants.reduce((sum, t) => sum + t.summary.failing, 0);
    // The event type came from a delivery or an audit record: one inert line, like every other line watch prints.
    const line =
      `run ${runId}: ${names.join(', ')} checked${triggers ? ` after ${describeTriggers(triggers)}` : ''}; ` +
      `${failing} failing, ${publisher.messages.length} alert messages; ${runFolder}`;
    io.stdout(`${terminalLine(line)}\n`);
  };

  const auditReader = (name: string): Promise<QlikClient> => {
    let client = clients.get(name);
    if (!client) {
      const target = byName.get(name)!;
      client = target.credentials().then(
        (credentials) =>
          new QlikClient({
            tenantUrl: target.url,
            credentials,
            allowedHosts: target.allowedHosts,
            allowHttpLoopback: settings.allowHttpLoopback,
          }),
      );
      // A credential that could not be read is tried again at the next poll.
      client.catch(() => clients.delete(name));
      clients.set(name, client);
    }
    return client;
  };

  const watch = await startWatch({
    host: settings.host,
    port: settings.port,
    tenants,
    debounceMs: settings.debounceMs,
    pollMs: settings.pollMs,
    check,
    auditReader,
    log: progress,
    now,
  });
  onStarted?.(watch);
  await new Promise<void>((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
  progress('stopping: no new deliveries; waiting for running checks');
  await watch.stop();
  for (const client of clients.values()) await client.then((c) => c.close()).catch(() => undefined);
  progress(`stopped after ${watch.stats.checks} checks`);
  return 0;
}

function stderrLog(write: (line: string) => void): RunLog {
  const line = (level: string) => (message: string, fields?: Record<string, unknown>) => {
    const tenant = fields?.tenant ? `${String(fields.tenant)}: ` : '';
    const detail = fields?.error ? ` (${String(fields.error)})` : '';
    write(`${level === 'info' ? '' : `${level}: `}${tenant}${message}${detail}`);
  };
  return { info: line('info'), warn: line('warning'), error: line('error') };
}

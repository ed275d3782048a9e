/** The run's dependencies over local folders: archive in `<dir>/out`, drift state in `<dir>/state`, logs dropped. */
import { join } from 'node:path';
import type { RunDeps, RunLog } from '../../lambda/run/run';
import { FsObjectStore } from '../../lambda/store/fs-object-store';
import { createRunArchive, createStateStore } from '../../lambda/store/store';

export const quietLog: RunLog = { info: () => {}, warn: () => {}, error: () => {} };

export function localRunDeps(dir: string, overrides: Partial<RunDeps> = {}): RunDeps {
  return {
    now: () => new Date(),
    archive: createRunArchive(new FsObjectStore(join(dir, 'out'))),
    state: createStateStore(new FsObjectStore(join(dir, 'state'))),
    publisher: { publish: async () => {} },
    log: quietLog,
    ...overrides,
  };
}

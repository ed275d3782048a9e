/**
 * Object store in a local folder (the CLI's `--out` / `--state`). A key is a relative path. Writes go to a temporary
 * file that is flushed and then renamed (or hard-linked, for `ifNoneMatch`) into place, so a reader never sees half a
 * file and a crash leaves either the old object or the new one.
 */
import { randomUUID } from 'node:crypto';
import { type Dirent, constants as fsConstants } from 'node:fs';
import { type FileHandle, link, mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import {
  assertValidKey,
  type ListOptions,
  type ObjectBody,
  type ObjectHead,
  type ObjectStore,
  ObjectStoreError,
  type PutOptions,
  type PutResult,
} from './object-store';

/** Temporary files start with this, so listing skips them and a crashed write never looks like an object. */
const TEMP_PREFIX = '.qag-tmp-';

export class FsObjectStore implements ObjectStore {
  readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
  }

  async put(key: string, body: ObjectBody, options: PutOptions = {}): Promise<PutResult> {
    const path = this.pathOf(key);
    try {
      await mkdir(dirname(path), { recursive: true });
      const temp = join(dirname(path), `${TEMP_PREFIX}${randomUUID()}`);
      await writeDurably(temp, body);
      try {
        if (!options.ifNoneMatch) {
          await rename(temp, path);
          return 'written';
        }
        // link() fails with EEXIST when the name is taken: an exclusive, atomic create of a complete file.
        try {
          await link(temp, path);
          return 'written';
        } catch (error) {
          if (errorCode(error) === 'EEXIST') return 'exists';
          if (errorCode(error) !== 'EPERM' && errorCode(error) !== 'ENOTSUP') throw error;
          return await createExclusively(path, body);
        }
      } finally {
        await rm(temp, { force: true });
      }
    } catch (error) {
      throw new ObjectStoreError('put', path, { cause: error });
    }
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    const path = this.pathOf(key);
    try {
      return new Uint8Array(await readFile(path));
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw new ObjectStoreError('get', path, { cause: error });
    }
  }

  async head(key: string): Promise<ObjectHead | undefined> {
    const path = this.pathOf(key);
    try {
      const info = await stat(path);
      return info.isFile() ? { bytes: info.size } : undefined;
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw new ObjectStoreError('head', path, { cause: error });
    }
  }

  async list(prefix: string, options: ListOptions = {}): Promise<string[]> {
    // Walk only the deepest folder that every matching key must be in.
    const folder = prefix.includes('/') ? prefix.slice(0, prefix.lastIndexOf('/') + 1) : '';
    const keys: string[] = [];
    try {
      await this.walk(folder, keys);
    } catch (error) {
      throw new ObjectStoreError('list', this.location(prefix), { cause: error });
    }
    const matching = keys
      .filter(
        (key) =>
          key.startsWith(prefix) && (options.startAfter === undefined || compareKeys(key, options.startAfter) > 0),
      )
      .sort(compareKeys);
    return options.limit === undefined ? matching : matching.slice(0, options.limit);
  }

  async listFolders(prefix: string): Promise<string[]> {
    try {
      const entries = await readdir(join(this.root, ...prefix.split('/').filter(Boolean)), { withFileTypes: true });
      return entries
        .filter((entry) => entry.isDirectory() && !entry.name.startsWith(TEMP_PREFIX))
        .map((entry) => entry.name)
        .sort(compareKeys);
    } catch (error) {
      if (isMissing(error)) return [];
      throw new ObjectStoreError('list', this.location(prefix), { cause: error });
    }
  }

  location(keyOrPrefix: string): string {
    const path = join(this.root, ...keyOrPrefix.split('/').filter(Boolean));
    return keyOrPrefix.endsWith('/') ? `${path}${sep}` : path;
  }

  private pathOf(key: string): string {
    assertValidKey(key);
    return join(this.root, ...key.split('/'));
  }

  private async walk(folder: string, keys: string[]): Promise<void> {
    let entries: Dirent[];
    try {
      entries = await readdir(join(this.root, ...folder.split('/').filter(Boolean)), { withFileTypes: true });
    } catch (error) {
      if (isMissing(error)) return;
      throw error;
    }
    for (const entry of entries) {
      if (entry.name.startsWith(TEMP_PREFIX)) continue;
      if (entry.isDirectory()) await this.walk(`${folder}${entry.name}/`, keys);
      else if (entry.isFile()) keys.push(`${folder}${entry.name}`);
    }
  }
}

/** S3 lists keys in UTF-8 byte order; compare the same way so both backends agree. */
export function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

async function writeDurably(path: string, body: ObjectBody): Promise<void> {
  const file = await open(path, 'wx');
  try {
    await file.writeFile(body);
    await file.sync();
  } finally {
    await file.close();
  }
}

/**
 * Fallback for file systems without hard links: claim the name with an exclusive create, then replace the (empty)
 * claim with the complete file. A reader may briefly see an empty file, never a partial one.
 */
async function createExclusively(path: string, body: ObjectBody): Promise<PutResult> {
  let claim: FileHandle;
  try {
    claim = await open(path, fsConstants.O_CREAT | fsConstants.O_EXCL | fsConstants.O_WRONLY);
  } catch (error) {
    if (errorCode(error) === 'EEXIST') return 'exists';
    throw error;
  }
  await claim.close();
  const temp = join(dirname(path), `${TEMP_PREFIX}${randomUUID()}`);
  await writeDurably(temp, body);
  await rename(temp, path);
  return 'written';
}

function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function isMissing(error: unknown): boolean {
  const code = errorCode(error);
  return code === 'ENOENT' || code === 'ENOTDIR';
}

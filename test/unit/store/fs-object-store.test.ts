import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FsObjectStore } from '../../../lambda/store/fs-object-store';
import { ObjectStoreError } from '../../../lambda/store/object-store';

const text = (bytes: Uint8Array | undefined) => (bytes ? new TextDecoder().decode(bytes) : undefined);

describe('FsObjectStore', () => {
  let root: string;
  let store: FsObjectStore;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'qag-fs-store-'));
    store = new FsObjectStore(root);
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  it('writes, reads and heads an object under nested folders', async () => {
    expect(await store.put('a/b/c.json', '{"x":1}')).toBe('written');
    expect(text(await store.get('a/b/c.json'))).toBe('{"x":1}');
    expect(await store.head('a/b/c.json')).toEqual({ bytes: 7 });
  });

  it('answers undefined for a missing object', async () => {
    expect(await store.get('nope/x.json')).toBeUndefined();
    expect(await store.head('nope/x.json')).toBeUndefined();
  });

  it('overwrites without ifNoneMatch and refuses to with it', async () => {
    await store.put('k.txt', 'one');
    expect(await store.put('k.txt', 'two')).toBe('written');
    expect(text(await store.get('k.txt'))).toBe('two');
    expect(await store.put('k.txt', 'three', { ifNoneMatch: true })).toBe('exists');
    expect(text(await store.get('k.txt'))).toBe('two');
    expect(await store.put('fresh.txt', 'new', { ifNoneMatch: true })).toBe('written');
    expect(text(await store.get('fresh.txt'))).toBe('new');
  });

  it('lets exactly one of many concurrent exclusive writers win', async () => {
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) => store.put('race/manifest.json', `writer ${i}`, { ifNoneMatch: true })),
    );
    expect(results.filter((r) => r === 'written')).toHaveLength(1);
    const winner = results.indexOf('written');
    expect(text(await store.get('race/manifest.json'))).toBe(`writer ${winner}`);
  });

  it('leaves no temporary files behind', async () => {
    await store.put('t/a.txt', 'a');
    await store.put('t/a.txt', 'b', { ifNoneMatch: true });
    expect(await readdir(join(root, 't'))).toEqual(['a.txt']);
  });

  it('lists keys under a prefix in byte order, honouring startAfter, and skips temp files', async () => {
    for (const key of ['r/t=1/b.json', 'r/t=1/a.json', 'r/t=1/sub/c.json', 'r/t=2/a.json', 'other/x']) {
      await store.put(key, key);
    }
    await writeFile(join(root, 'r', 't=1', '.qag-tmp-leftover'), 'half');
    expect(await store.list('r/t=1/')).toEqual(['r/t=1/a.json', 'r/t=1/b.json', 'r/t=1/sub/c.json']);
    expect(await store.list('r/t=')).toEqual(['r/t=1/a.json', 'r/t=1/b.json', 'r/t=1/sub/c.json', 'r/t=2/a.json']);
    expect(await store.list('r/t=1/', { startAfter: 'r/t=1/a.json' })).toEqual(['r/t=1/b.json', 'r/t=1/sub/c.json']);
    expect(await store.list('missing/')).toEqual([]);
  });

  it('lists immediate folders', async () => {
    await store.put('reports/tenant=b/x', '1');
    await store.put('reports/tenant=a/y/z', '1');
    await store.put('reports/file', '1');
    await mkdir(join(root, 'reports', '.qag-tmp-dir'));
    expect(await store.listFolders('reports/')).toEqual(['tenant=a', 'tenant=b']);
    expect(await store.listFolders('nothing/')).toEqual([]);
  });

  it('rejects keys that would leave the root', async () => {
    await expect(store.put('../escape.txt', 'x')).rejects.toThrow(/invalid object key/);
    await expect(store.get('a/../../b')).rejects.toThrow(/invalid object key/);
    await expect(store.put('/abs', 'x')).rejects.toThrow(/invalid object key/);
  });

  it('reports a failed write with the path and the cause', async () => {
    await store.put('blocker', 'file');
    const error = await store.put('blocker/child.json', 'x').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ObjectStoreError);
    expect((error as Error).message).toContain(join(root, 'blocker', 'child.json'));
  });

  it('describes locations as paths', () => {
    expect(store.location('reports/x/')).toBe(`${join(root, 'reports', 'x')}/`);
    expect(store.location('reports/x/a.json')).toBe(join(root, 'reports', 'x', 'a.json'));
  });
});

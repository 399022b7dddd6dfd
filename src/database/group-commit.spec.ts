import { GroupCommit } from './group-commit';

describe('GroupCommit', () => {
  it('writes what arrives together in one write, and what arrives during a write in the next', async () => {
    const writes: number[][] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const commit = new GroupCommit<number, string>(async (items) => {
      writes.push(items);
      if (writes.length === 1) await gate;
      return items.map((i) => `ok ${i}`);
    }, { maxBatch: 100 });
    const first = [1, 2, 3].map((i) => commit.add(i));
    await new Promise((r) => setImmediate(r)); // the first write has begun
    const second = [4, 5].map((i) => commit.add(i));
    release();
    expect(await Promise.all([...first, ...second])).toEqual(['ok 1', 'ok 2', 'ok 3', 'ok 4', 'ok 5']);
    expect(writes).toEqual([[1, 2, 3], [4, 5]]);
  });

  it('never writes more than maxBatch items at once', async () => {
    const sizes: number[] = [];
    const commit = new GroupCommit<number, number>(async (items) => (sizes.push(items.length), items), { maxBatch: 4 });
    await Promise.all(Array.from({ length: 10 }, (_, i) => commit.add(i)));
    expect(sizes).toEqual([4, 4, 2]);
  });

  it('when a write of several fails, writes each alone: only the bad one fails', async () => {
    const writes: number[][] = [];
    const commit = new GroupCommit<number, number>(async (items) => {
      writes.push(items);
      if (items.includes(13)) throw new Error('unlucky');
      return items.map((i) => i * 2);
    }, { maxBatch: 100 });
    const results = await Promise.allSettled([12, 13, 14].map((i) => commit.add(i)));
    expect(results).toEqual([
      { status: 'fulfilled', value: 24 },
      { status: 'rejected', reason: new Error('unlucky') },
      { status: 'fulfilled', value: 28 },
    ]);
    expect(writes).toEqual([[12, 13, 14], [12], [13], [14]]);
  });
});

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

  it('with a linger, waits for more items before writing, unless the batch fills up', async () => {
    const writes: number[][] = [];
    const commit = new GroupCommit<number, void>(async (items) => (writes.push(items), items.map(() => undefined)), { maxBatch: 3, lingerMs: 60_000 });
    const first = commit.add(1);
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    expect(writes).toEqual([]); // lingering: without the linger it would have been written by now
    const rest = [2, 3].map((i) => commit.add(i)); // the batch is full: written without waiting out the linger
    await Promise.all([first, ...rest]);
    expect(writes).toEqual([[1, 2, 3]]);
  });

  it('flush ends the linger: what waits is written at once, with what is added in the same turn', async () => {
    const writes: number[][] = [];
    const commit = new GroupCommit<number, void>(async (items) => (writes.push(items), items.map(() => undefined)), { maxBatch: 10, lingerMs: 60_000 });
    const added = [commit.add(1), commit.add(2)];
    commit.flush();
    added.push(commit.add(3));
    await Promise.all(added); // without flush, the linger of a minute
    expect(writes).toEqual([[1, 2, 3]]);
    commit.flush(); // nothing waits: no write
    await new Promise((r) => setImmediate(r));
    expect(writes).toEqual([[1, 2, 3]]);
  });

  describe('gatherMs', () => {
    const turn = () => new Promise((r) => setImmediate(r));

    it('a batch smaller than the one before waits for as many items, and is written as soon as they are there', async () => {
      const writes: number[][] = [];
      const commit = new GroupCommit<number, void>(async (items) => (writes.push(items), items.map(() => undefined)), { maxBatch: 100, gatherMs: 60_000 });
      await Promise.all([1, 2, 3].map((i) => commit.add(i)));
      const next = [commit.add(4)];
      await turn();
      await turn();
      expect(writes).toEqual([[1, 2, 3]]); // waiting for two more: without gatherMs, [4] would have been written by now
      next.push(commit.add(5));
      await turn();
      expect(writes).toEqual([[1, 2, 3]]);
      next.push(commit.add(6)); // as many as the batch before: written at once, not after 60 s
      await Promise.all(next);
      expect(writes).toEqual([[1, 2, 3], [4, 5, 6]]);
    });

    it('counts what arrived while the last batch was written among the items seen together', async () => {
      const writes: number[][] = [];
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      const commit = new GroupCommit<number, void>(async (items) => {
        writes.push(items);
        if (writes.length === 1) await gate;
        return items.map(() => undefined);
      }, { maxBatch: 100, gatherMs: 60_000 });
      const first = commit.add(1);
      await turn(); // [1] is being written
      const during = [2, 3].map((i) => commit.add(i));
      release();
      await first;
      await turn();
      await turn();
      expect(writes).toEqual([[1]]); // three seen together: [2, 3] waits for one more (the caller of 1, back with its next)
      await Promise.all([...during, commit.add(4)]);
      expect(writes).toEqual([[1], [2, 3, 4]]);
    });

    it('waits at most gatherMs, and then expects no more than it got', async () => {
      jest.useFakeTimers({ doNotFake: ['setImmediate'] });
      try {
        const writes: number[][] = [];
        const commit = new GroupCommit<number, void>(async (items) => (writes.push(items), items.map(() => undefined)), { maxBatch: 100, gatherMs: 2 });
        await Promise.all([1, 2].map((i) => commit.add(i)));
        const alone = commit.add(3);
        await turn();
        expect(writes).toEqual([[1, 2]]);
        jest.advanceTimersByTime(2);
        await alone;
        expect(writes).toEqual([[1, 2], [3]]);
        await commit.add(4); // the batch before held one: no waiting
        expect(writes).toEqual([[1, 2], [3], [4]]);
      } finally {
        jest.useRealTimers();
      }
    });

    it('an item alone never waits: without gatherMs, or after a batch of one', async () => {
      const writes: number[][] = [];
      const commit = new GroupCommit<number, void>(async (items) => (writes.push(items), items.map(() => undefined)), { maxBatch: 100, gatherMs: 60_000 });
      for (const i of [1, 2, 3]) await commit.add(i); // one caller at a time: each written at once
      expect(writes).toEqual([[1], [2], [3]]);
    });
  });
});

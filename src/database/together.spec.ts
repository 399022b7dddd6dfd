import { together } from './together';

describe('together', () => {
  it('answers every result, in the order asked', async () => {
    expect(await together([Promise.resolve(1), 'two', Promise.resolve(false)])).toEqual([1, 'two', false]);
  });

  it('throws the first failure only once every statement has settled', async () => {
    let finish!: () => void;
    let finished = false;
    const slow = new Promise<void>((resolve) => (finish = resolve)).then(() => (finished = true));
    const asked = together([Promise.reject(new Error('disk full')), slow]);
    let failedEarly = false;
    void asked.catch(() => (failedEarly = !finished));
    await new Promise((r) => setImmediate(r));
    expect(failedEarly).toBe(false);
    finish();
    await expect(asked).rejects.toThrow('disk full');
    expect(failedEarly).toBe(false);
  });
});

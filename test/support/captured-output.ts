/** Runs `run` with everything written to stdout and stderr (Herald's logs) captured, not shown. */
export async function capturingOutput<T>(run: () => Promise<T>): Promise<{ result: T; log: string }> {
  const chunks: string[] = [];
  const keep = (chunk: string | Uint8Array) => (chunks.push(String(chunk)), true);
  const spies = [jest.spyOn(process.stdout, 'write').mockImplementation(keep), jest.spyOn(process.stderr, 'write').mockImplementation(keep)];
  try {
    return { result: await run(), log: chunks.join('') };
  } finally {
    spies.forEach((spy) => spy.mockRestore());
  }
}

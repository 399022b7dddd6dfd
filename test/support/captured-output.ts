/**
 * Runs `run` with everything written to stdout and stderr (Herald's logs) captured, not shown.
 * When `run` throws, the captured log is written out after all, so that a failure shows what Herald said.
 */
export async function capturingOutput<T>(run: () => Promise<T>): Promise<{ result: T; log: string }> {
  const chunks: string[] = [];
  const keep = (chunk: string | Uint8Array) => (chunks.push(String(chunk)), true);
  const spies = [jest.spyOn(process.stdout, 'write').mockImplementation(keep), jest.spyOn(process.stderr, 'write').mockImplementation(keep)];
  let failed = false;
  try {
    return { result: await run(), log: chunks.join('') };
  } catch (error) {
    failed = true;
    throw error;
  } finally {
    spies.forEach((spy) => spy.mockRestore());
    if (failed) process.stderr.write(`--- what Herald logged before the failure ---\n${chunks.join('')}--- end of Herald's log ---\n`);
  }
}

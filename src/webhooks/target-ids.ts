/**
 * A target's recipient id in deliveries, digests and the cap: `target <id>` (the
 * audience port's form for a source that is not the console's people).
 */
export const TARGET_SOURCE = 'target';

export function recipientIdOfTarget(id: number): string {
  return `${TARGET_SOURCE} ${id}`;
}

/** The target's id in a recipient id, or null when it is not a target's. */
export function targetIdOf(recipientId: string): number | null {
  const match = /^target (\d{1,15})$/.exec(recipientId);
  return match ? Number(match[1]) : null;
}

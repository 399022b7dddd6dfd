/** A duration as Herald's settings and CLI take it: seconds, or a whole number with s, m, h or d (`30m`, `24h`, `7d`). */
export const DURATION_PATTERN = /^([1-9]\d*)(s|m|h|d)?$/;

const UNIT_SECONDS = { s: 1, m: 60, h: 3600, d: 86_400 } as const;

/** `24h` → 86400; undefined when the text is not a duration. */
export function parseDuration(text: string): number | undefined {
  const match = DURATION_PATTERN.exec(text);
  if (!match) return undefined;
  return Number(match[1]) * UNIT_SECONDS[(match[2] ?? 's') as keyof typeof UNIT_SECONDS];
}

/** Seconds in the largest unit that divides them: 86400 → `1d`, 90000 → `25h`, 61 → `61s`. */
export function formatDuration(seconds: number): string {
  for (const unit of ['d', 'h', 'm'] as const) {
    if (seconds !== 0 && seconds % UNIT_SECONDS[unit] === 0) return `${seconds / UNIT_SECONDS[unit]}${unit}`;
  }
  return `${seconds}s`;
}

/**
 * Format seconds as `2h 15m 30s`: always hours, minutes and seconds, hours past 24 included
 * (`0h 0m 5s`, `26h 3m 0s`), the shape monitors parse from `/status`.
 */
export function formatUptime(totalSeconds: number): string {
  const s = Math.max(0, Math.floor(totalSeconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return `${h}h ${m}m ${s % 60}s`;
}

const compact = new Intl.NumberFormat('en', { notation: 'compact', maximumFractionDigits: 1 });
const whole = new Intl.NumberFormat('en');

/** 1234 → "1,234"; 1234567 → "1.2M" (compact above a million). */
export function formatCount(n: number): string {
  return Math.abs(n) >= 1_000_000 ? compact.format(n) : whole.format(Math.round(n));
}

/** 0.9731 → "97.3%"; null → "–". */
export function formatPercent(ratio: number | null): string {
  return ratio === null ? '–' : `${(ratio * 100).toFixed(ratio >= 0.9995 || ratio === 0 ? 0 : 1)}%`;
}

/** Milliseconds as "84 ms", "1.4 s", "2 min 5 s". */
export function formatMs(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms)) return '–';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)} min ${s % 60} s`;
}

/** Seconds as "2h 15m", "3d 4h", "45s". */
export function formatUptime(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d > 0) return `${d}d ${h}h`;
  if (h > 0) return `${h}h ${m}m`;
  if (m > 0) return `${m}m ${s % 60}s`;
  return `${s}s`;
}

/** How far a time is from now: "in 5 min", "3 h ago"; empty for an unreadable time. */
export function formatRelative(iso: string | number | undefined, now = Date.now()): string {
  if (iso === undefined || iso === '') return '';
  const t = typeof iso === 'number' ? (iso < 1e12 ? iso * 1000 : iso) : Date.parse(iso);
  if (!Number.isFinite(t)) return '';
  const diff = t - now;
  const abs = Math.abs(diff);
  let text: string;
  if (abs < 45_000) text = `${Math.max(1, Math.round(abs / 1000))} s`;
  else if (abs < 3_600_000) text = `${Math.round(abs / 60_000)} min`;
  else if (abs < 86_400_000) text = `${Math.round(abs / 3_600_000)} h`;
  else text = `${Math.round(abs / 86_400_000)} d`;
  return diff >= 0 ? `in ${text}` : `${text} ago`;
}

/** A time as local "YYYY-MM-DD HH:MM:SS". */
export function formatTime(iso: string | number | undefined): string {
  if (iso === undefined || iso === '') return '';
  const t = typeof iso === 'number' ? (iso < 1e12 ? iso * 1000 : iso) : Date.parse(iso);
  if (!Number.isFinite(t)) return String(iso);
  const d = new Date(t);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/** Bytes as "812 B", "4.2 KiB", "1.1 MiB". */
export function formatBytes(n: number | undefined): string {
  if (n === undefined) return '';
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

/** A secret for display: "sk-a…1234" (values the server already masked stay as they are). */
export function maskSecret(s: string): string {
  if (/[…*]|\.\.\./.test(s)) return s;
  if (s.length <= 8) return '••••';
  return `${s.slice(0, 4)}…${s.slice(-4)}`;
}

/** A process-log line as the panel prints it: `2025-01-02 15:04:05 [info] [gateway-1] [Ctx] …`. */
export function formatLogLine(l: {
  timestamp: string;
  level: string;
  process: string;
  line: string;
}): string {
  return `${formatTime(l.timestamp)} [${l.level}] [${l.process}] ${l.line}`;
}

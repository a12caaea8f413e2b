// The panel's one time-zone policy: every time is shown in the browser's own time zone, and the
// pages name it ("Times in Europe/Berlin, UTC+02:00"). Series arrive in UTC slots; a 30-day
// range arrives hourly and is grouped into days of this zone here.

/** The browser's IANA zone and its current offset, for the note on every page with times. */
export function timeZoneNote(now = new Date(), zone?: string): string {
  const name = zone ?? Intl.DateTimeFormat().resolvedOptions().timeZone ?? 'local time';
  const offsetMin = -now.getTimezoneOffset();
  const sign = offsetMin >= 0 ? '+' : '-';
  const abs = Math.abs(offsetMin);
  const hh = String(Math.floor(abs / 60)).padStart(2, '0');
  const mm = String(abs % 60).padStart(2, '0');
  return `${name}, UTC${sign}${hh}:${mm}`;
}

const pad = (n: number) => String(n).padStart(2, '0');
const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `14:05` in local time. */
export function clockLabel(ms: number): string {
  const d = new Date(ms);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** `Mon 14:00` in local time. */
export function dayHourLabel(ms: number): string {
  const d = new Date(ms);
  return `${DAYS[d.getDay()]} ${pad(d.getHours())}:00`;
}

/** `May 3` in local time. */
export function dayLabel(ms: number): string {
  const d = new Date(ms);
  return `${MONTHS[d.getMonth()]} ${d.getDate()}`;
}

/** A series re-bucketed for display: labels and the columns summed per bucket. */
export interface Buckets {
  /** Start of each bucket (ms). */
  starts: number[];
  labels: string[];
  /** Index of the display bucket of each source slot. */
  indexOf: number[];
}

/**
 * Display buckets for a range's slots: minutes (1 h) and hours (24 h, 7 d) as they come, labelled
 * in local time; hours of a 30-day range grouped into local days (the first and last may be
 * partial, which their labels cannot hide, but their numbers are exact).
 */
export function displayBuckets(
  slots: readonly string[],
  stepSeconds: number,
  range: string,
): Buckets {
  const ms = slots.map((s) => Date.parse(s));
  if (range !== '30d') {
    const label = stepSeconds < 3600 ? clockLabel : range === '24h' ? clockLabel : dayHourLabel;
    return { starts: ms, labels: ms.map(label), indexOf: ms.map((_, i) => i) };
  }
  const starts: number[] = [];
  const labels: string[] = [];
  const indexOf: number[] = [];
  let lastKey = '';
  for (const t of ms) {
    const d = new Date(t);
    const key = `${d.getFullYear()}-${d.getMonth()}-${d.getDate()}`;
    if (key !== lastKey) {
      lastKey = key;
      starts.push(new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime());
      labels.push(dayLabel(t));
    }
    indexOf.push(starts.length - 1);
  }
  return { starts, labels, indexOf };
}

/** Sum a slot column into display buckets. */
export function regroup(values: readonly number[], b: Buckets): number[] {
  const out = new Array<number>(b.starts.length).fill(0);
  values.forEach((v, i) => {
    const j = b.indexOf[i];
    if (j !== undefined) out[j] += v;
  });
  return out;
}

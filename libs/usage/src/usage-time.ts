/** A point in time with nanosecond precision. */
export interface Instant {
  /** Epoch milliseconds (the sorted-set score of a detail). */
  ms: number;
  /** UTC RFC 3339 with exactly nine fraction digits: the canonical form stored and compared. */
  iso: string;
}

// RFC 3339 (Go's time.Time JSON): date, time, up to nine fraction digits, Z or an offset.
const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?([Zz]|[+-]\d{2}:\d{2})$/;

// Already canonical (what the proxy's nanoTimestamp writes for every live record).
const CANONICAL = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{9}Z$/;

// Live records arrive in time order, hundreds per second: remember the last canonical second
// (`YYYY-MM-DDTHH:MM:SS`) and its epoch ms so most parses are a prefix check and three digits.
let cachedSecond = '';
let cachedSecondMs = 0;

const DIGIT_0 = 48;

/** Milliseconds digits (offsets 20–22) of a text that matched CANONICAL. */
function millisOf(text: string): number {
  return (
    (text.charCodeAt(20) - DIGIT_0) * 100 +
    (text.charCodeAt(21) - DIGIT_0) * 10 +
    (text.charCodeAt(22) - DIGIT_0)
  );
}

/** Parse an RFC 3339 timestamp into its canonical UTC form; undefined when it is not one. */
export function parseInstant(text: string): Instant | undefined {
  if (text.length === 30 && CANONICAL.test(text)) {
    if (cachedSecond !== '' && text.startsWith(cachedSecond)) {
      return { ms: cachedSecondMs + millisOf(text), iso: text };
    }
    const secondMs = Date.parse(`${text.slice(0, 19)}Z`);
    // V8 rolls 30 February (and 24:00) over to the next day: a changed day means the long way.
    if (secondMs >= 0 && new Date(secondMs).getUTCDate() === Number(text.slice(8, 10))) {
      cachedSecond = text.slice(0, 19);
      cachedSecondMs = secondMs;
      return { ms: secondMs + millisOf(text), iso: text };
    }
  }
  const m = RFC3339.exec(text);
  if (!m) return undefined;
  const [, ys, mos, ds, hs, mis, ss, frac = '', zone] = m;
  const y = Number(ys);
  const mo = Number(mos);
  const d = Number(ds);
  const h = Number(hs);
  const mi = Number(mis);
  const s = Number(ss);
  if (y < 1970 || mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || s > 59) return undefined;
  const day = Date.UTC(y, mo - 1, d);
  // Date.UTC rolls 31 February over to March: reject dates that do not exist.
  if (new Date(day).getUTCDate() !== d) return undefined;
  let offsetMin = 0;
  if (zone !== 'Z' && zone !== 'z') {
    const sign = zone[0] === '-' ? -1 : 1;
    offsetMin = sign * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6)));
  }
  const nanos = frac.padEnd(9, '0');
  const ms = day + ((h * 60 + mi - offsetMin) * 60 + s) * 1000 + Number(nanos.slice(0, 3));
  if (ms < 0) return undefined;
  const iso = `${new Date(ms).toISOString().slice(0, -1)}${nanos.slice(3)}Z`;
  return { ms, iso };
}

/** The canonical instant of epoch milliseconds (sub-millisecond digits zero). */
export function instantFromMs(ms: number): Instant {
  return { ms, iso: `${new Date(ms).toISOString().slice(0, -1)}000000Z` };
}

/** `YYYY-MM-DD` of a canonical ISO timestamp. */
export function dayOf(iso: string): string {
  return iso.slice(0, 10);
}

/** `HH` (UTC hour) of a canonical ISO timestamp. */
export function hourOf(iso: string): string {
  return iso.slice(11, 13);
}

/** Epoch milliseconds at the start of an hour bucket (`YYYY-MM-DD`, `HH`). */
export function hourStartMs(day: string, hour: string): number {
  return Date.parse(`${day}T${hour}:00:00Z`);
}

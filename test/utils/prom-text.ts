/** One sample of a Prometheus text exposition. */
export interface PromSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/**
 * A strict parser of the Prometheus text format 0.0.4: HELP/TYPE comments, samples with label
 * sets, escaped label values, optional timestamps. Throws on any malformed line.
 */
export function parsePrometheusText(text: string): {
  samples: PromSample[];
  types: Map<string, string>;
} {
  const samples: PromSample[] = [];
  const types = new Map<string, string>();
  const lines = text.split('\n');
  lines.forEach((line, i) => {
    const where = `line ${i + 1}: ${line}`;
    if (line === '') return;
    if (line.startsWith('#')) {
      const m = /^# (HELP|TYPE) (\S+)(?: (.*))?$/.exec(line);
      if (!m) return; // other comments are allowed
      if (!NAME.test(m[2])) throw new Error(`bad metric name in ${where}`);
      if (m[1] === 'TYPE') {
        if (!['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(m[3] ?? ''))
          throw new Error(`bad TYPE in ${where}`);
        types.set(m[2], m[3]);
      }
      return;
    }
    let pos = 0;
    const nameMatch = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line);
    if (!nameMatch) throw new Error(`bad sample name in ${where}`);
    const name = nameMatch[0];
    pos = name.length;
    const labels: Record<string, string> = {};
    if (line[pos] === '{') {
      pos++;
      while (line[pos] !== '}') {
        const lm = /^([a-zA-Z_][a-zA-Z0-9_]*)="/.exec(line.slice(pos));
        if (!lm || !LABEL.test(lm[1])) throw new Error(`bad label in ${where}`);
        pos += lm[0].length;
        let value = '';
        for (;;) {
          const ch = line[pos];
          if (ch === undefined) throw new Error(`unterminated label value in ${where}`);
          if (ch === '\\') {
            const nx = line[pos + 1];
            value += nx === 'n' ? '\n' : nx;
            pos += 2;
            continue;
          }
          if (ch === '"') {
            pos++;
            break;
          }
          value += ch;
          pos++;
        }
        labels[lm[1]] = value;
        if (line[pos] === ',') pos++;
        else if (line[pos] !== '}') throw new Error(`expected , or } in ${where}`);
      }
      pos++;
    }
    const rest = line.slice(pos).trim().split(/\s+/);
    if (rest.length < 1 || rest.length > 2) throw new Error(`bad value in ${where}`);
    // Prometheus parses values with Go's ParseFloat: Inf/NaN spellings are case-insensitive.
    const v = rest[0].toLowerCase();
    const value =
      v === '+inf' || v === 'inf'
        ? Infinity
        : v === '-inf'
          ? -Infinity
          : v === 'nan'
            ? NaN
            : Number(v);
    if (Number.isNaN(value) && v !== 'nan') throw new Error(`bad number in ${where}`);
    samples.push({ name, labels, value });
  });
  return { samples, types };
}

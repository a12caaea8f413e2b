import { randomBytes } from 'node:crypto';

const ALPHABET = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/** Random bytes drawn at once and handed out a few at a time (one crypto call per 4 KiB). */
const POOL_SIZE = 4096;
let pool = Buffer.alloc(0);
let poolAt = 0;

/** `length` unused random bytes: `bytes[at]` … `bytes[at + length - 1]`. */
function take(length: number): { bytes: Buffer; at: number } {
  if (length > POOL_SIZE) return { bytes: randomBytes(length), at: 0 };
  if (poolAt + length > pool.length) {
    pool = randomBytes(POOL_SIZE);
    poolAt = 0;
  }
  const at = poolAt;
  poolAt += length;
  return { bytes: pool, at };
}

/** Random id with a format-style prefix: `chatcmpl-…`, `msg_…`, `call_…`, `resp_…`. */
export function newId(prefix: string, length = 24): string {
  const { bytes, at } = take(length);
  let out = prefix;
  for (let i = 0; i < length; i++) out += ALPHABET[bytes[at + i] % ALPHABET.length];
  return out;
}

/** Current time in Unix seconds. */
export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

import { Injectable } from '@nestjs/common';
import { compare, hash, truncates } from 'bcryptjs';

/** bcrypt's work factor for hashes this gateway writes (CLIProxyAPI uses Go's default, 10). */
const COST = 10;

/** bcrypt behind a class, so the slow part of management auth can be counted and replaced. */
@Injectable()
export class BcryptHasher {
  /** True when `plain` matches the bcrypt `hashed`. */
  compare(plain: string, hashed: string): Promise<boolean> {
    return compare(plain, hashed);
  }

  /** A new salted bcrypt hash of `plain`. */
  hash(plain: string): Promise<string> {
    return hash(plain, COST);
  }

  /** True when bcrypt would ignore part of `plain` (it reads only the first 72 bytes). */
  truncates(plain: string): boolean {
    return truncates(plain);
  }
}

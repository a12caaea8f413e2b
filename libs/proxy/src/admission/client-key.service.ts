import { Injectable } from '@nestjs/common';
import { clientKeyTable, ConfigService, expiredAt } from '@app/config';
import {
  acceptsClientKey,
  AppError,
  extractClientKey,
  keyId,
  maskKey,
  type KeyCarrier,
} from '@app/common';

/** Who is calling, from the client key. */
export interface ClientIdentity {
  /** Usage key: the masked client key, or the route when access is open. */
  api: string;
  /** Short non-reversible id of the client key ('' when access is open). */
  keyId: string;
}

/**
 * Client-key identification for every surface that takes a client key: the request gate (proxy
 * routes, before the body is read), the model lists, Amp, and `/status`. Keys come from
 * `Authorization: Bearer`, `x-api-key`, `x-goog-api-key` or `?key=`; the match is constant-time,
 * example keys never open the proxy, and a key past its `api-key-info` expiry is refused with a
 * message that says so.
 */
@Injectable()
export class ClientKeyService {
  /** Identity of keys that already matched, per key list (saves hashing them again). */
  private identities = new WeakMap<readonly string[], Map<string, ClientIdentity>>();

  constructor(private readonly config: ConfigService) {}

  /** True when `api-keys` lists at least one key (otherwise access is open). */
  get required(): boolean {
    return this.config.current['api-keys'].length > 0;
  }

  /**
   * Check the client key of a request to `route`; undefined when it is missing, wrong or expired
   * (the caller answers 401, with `refusal` saying which).
   */
  identify(req: KeyCarrier, route: string): ClientIdentity | undefined {
    const cfg = this.config.current;
    const keys = cfg['api-keys'];
    if (keys.length === 0) return { api: route, keyId: '' };
    const key = extractClientKey(req);
    if (!key || !acceptsClientKey(key, keys)) return undefined;
    let known = this.identities.get(keys);
    if (!known) this.identities.set(keys, (known = new Map<string, ClientIdentity>()));
    let who = known.get(key);
    if (!who) known.set(key, (who = { api: maskKey(key), keyId: keyId(key) }));
    // api-key-info expiries: one branch when no key has one.
    const table = clientKeyTable(cfg);
    if (table.expiring && expiredAt(table, who.keyId)) return undefined;
    return who;
  }

  /** Why `identify` refused the request: an expired key says so, anything else is invalid. */
  refusal(req: KeyCarrier): AppError {
    const key = extractClientKey(req);
    const cfg = this.config.current;
    if (key && acceptsClientKey(key, cfg['api-keys'])) {
      const expired = expiredAt(clientKeyTable(cfg), keyId(key));
      if (expired?.expires) return AppError.of('AUTH_KEY_EXPIRED', { expires: expired.expires });
    }
    return AppError.of('AUTH_INVALID_KEY');
  }
}

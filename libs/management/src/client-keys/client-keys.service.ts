import { Injectable } from '@nestjs/common';
import { keyId, managementError, maskKey } from '@app/common';
import { clientKeyTable, ConfigService } from '@app/config';
import { TrafficService, TrafficUnavailableError, type KeyUsage } from '@app/usage';
import { ConfigRoutesService } from '@app/management/config-routes/config-routes.service';
import { isEntry, type Entry } from '@app/management/config-routes/list-edit';
import {
  addKey,
  applyInfo,
  dropKey,
  findKey,
  readInfoFields,
  readKeyRef,
  readNewKey,
  removeInfo,
} from '@app/management/client-keys/client-key-edit';

/** One client key as `GET /v0/management/client-keys` lists it. */
export interface ClientKeyView {
  /** The key itself (the management API returns secrets to the key holder, as GET /config does). */
  key: string;
  /** 8 hex digits: how usage, the request log and `api-key-info` name it. */
  key_id: string;
  /** The key masked as usage statistics key it (`sk-…1111`). */
  masked: string;
  label: string;
  owner: string;
  created: string | null;
  expires: string | null;
  expired: boolean;
  note: string;
  /** Requests, failures, tokens and failure rate in the last 24 hours and 7 days; last use. */
  usage: KeyUsage | null;
}

/** `GET /v0/management/client-keys`. */
export interface ClientKeyList {
  'client-keys': ClientKeyView[];
  /** `api-key-info` entries naming no configured key (by key id). */
  orphans: string[];
  /** Why `usage` is null (Redis unreachable), when it is. */
  usage_error?: string;
}

const CREATE_FIELDS = ['key', 'label', 'owner', 'expires', 'note'];
const PATCH_FIELDS = ['key_id', 'key', 'label', 'owner', 'expires', 'note'];

function bodyOf(body: unknown): Entry {
  if (!isEntry(body)) throw managementError(400, 'expected a JSON object');
  return body;
}

function orThrow<T>(r: { ok: true; value: T } | { ok: false; status: number; error: string }): T {
  if (!r.ok) throw managementError(r.status, r.error);
  return r.value;
}

/**
 * Named client keys: `api-keys` (a plain list, as CLIProxyAPI reads it) with their label, owner,
 * dates and note in `api-key-info`, and their traffic. Writes go through ConfigRoutesService
 * (validated, atomic, under the cluster-wide config lock, reloaded by every replica).
 */
@Injectable()
export class ClientKeysService {
  constructor(
    private readonly config: ConfigService,
    private readonly routes: ConfigRoutesService,
    private readonly traffic: TrafficService,
  ) {}

  /** Every key of api-keys with its info and usage. */
  async list(now = Date.now()): Promise<ClientKeyList> {
    const cfg = this.config.current;
    const table = clientKeyTable(cfg);
    const keys = cfg['api-keys'];
    const ids = keys.map((k) => keyId(k));
    let usage: Map<string, KeyUsage> | undefined;
    let usageError: string | undefined;
    try {
      usage = await this.traffic.keyUsage(ids, now);
    } catch (err) {
      if (!(err instanceof TrafficUnavailableError)) throw err;
      usageError = err.message;
    }
    const out: ClientKeyList = {
      'client-keys': keys.map((key, i) => {
        const id = ids[i];
        const info = table.byKeyId.get(id);
        return {
          key,
          key_id: id,
          masked: maskKey(key),
          label: info?.label ?? '',
          owner: info?.owner ?? '',
          created: info?.created ?? null,
          expires: info?.expires ?? null,
          expired: info?.expiresAt !== undefined && info.expiresAt <= now,
          note: info?.note ?? '',
          usage: usage?.get(id) ?? null,
        };
      }),
      orphans: [...table.orphans],
    };
    if (usageError) out.usage_error = usageError;
    return out;
  }

  /** Add a key (given, or generated) with its info; returns the new key's view. */
  async create(raw: unknown, now = Date.now()): Promise<ClientKeyView> {
    const body = bodyOf(raw);
    const fields = orThrow(readInfoFields(body, CREATE_FIELDS));
    const key = orThrow(readNewKey(body));
    const id = keyId(key);
    if (this.config.current['api-keys'].some((k) => k === key)) {
      throw managementError(409, 'key: this key is already in api-keys');
    }
    if (findKey(this.config.current['api-keys'], id)) {
      throw managementError(
        409,
        'key: another key of api-keys has the same key id; pick another key',
      );
    }
    // The key first: a failure after it leaves a key without a label, never a label without key.
    await this.routes.update(['api-keys'], (current) => addKey(current, key));
    const created = new Date(now).toISOString().replace(/\.\d{3}Z$/, 'Z');
    await this.routes.update(['api-key-info'], (current) =>
      applyInfo(current, id, key, { ...fields, created }),
    );
    const view = (await this.list(now))['client-keys'].find((k) => k.key_id === id);
    if (!view) throw managementError(500, 'the key was written but is not in force yet');
    return view;
  }

  /** Change the label, owner, expiry or note of a key. */
  async update(raw: unknown): Promise<void> {
    const body = bodyOf(raw);
    const fields = orThrow(readInfoFields(body, PATCH_FIELDS));
    const id = orThrow(readKeyRef(body));
    const key = findKey(this.config.current['api-keys'], id);
    if (!key) throw managementError(404, `key_id: no key with id ${id} in api-keys`);
    await this.routes.update(['api-key-info'], (current) => applyInfo(current, id, key, fields));
  }

  /** Remove a key from api-keys and its info. */
  async remove(query: Entry): Promise<void> {
    const id = orThrow(readKeyRef(query));
    const key = findKey(this.config.current['api-keys'], id);
    await this.routes.update(['api-keys'], (current) => dropKey(current, id));
    // Its info goes too (orphaned info of a key removed elsewhere is dropped the same way).
    if (
      this.config.current['api-key-info'] &&
      hasInfo(this.config.current['api-key-info'], id, key)
    ) {
      await this.routes.update(['api-key-info'], (current) => removeInfo(current, id, key));
    }
  }
}

function hasInfo(info: Record<string, unknown>, id: string, key: string | undefined): boolean {
  return id in info || (key !== undefined && key in info);
}

import { Injectable, Optional } from '@nestjs/common';
import { managementError } from '@app/common';
import {
  authIndexOf,
  catalogFor,
  CREDENTIAL_PROVIDERS,
  CredentialService,
  parseAuthFileJson,
  type AuthDirRepository,
  type Credential,
  type CredentialProvider,
  type ModelState,
} from '@app/routing';
import { CredentialActivityService, TrafficService, type CredentialActivity } from '@app/usage';
import { checkAuthFileName } from '@app/management/auth-files/auth-file-name';
import {
  authFileEntry,
  sortEntries,
  type AuthFileEntry,
} from '@app/management/auth-files/auth-file-entry';
import { applyFieldPatch } from '@app/management/auth-files/auth-file-fields';
import { checkUpload, type UploadedFile } from '@app/management/auth-files/auth-file-upload';
import { AuthFileStore } from '@app/management/auth-files/auth-file.store';
import { vertexAuthFile } from '@app/management/auth-files/vertex-import';

type JsonObject = Record<string, unknown>;

/**
 * A row of `GET /auth-files`: the file's fields and state, and its attempt counters (`success`,
 * `failed`, `recent_requests`: 20 buckets of 10 minutes), as CLIProxyAPI lists them.
 */
export type AuthFileRow = AuthFileEntry &
  CredentialActivity & {
    /** ISO time the credential last served a request (Switchboard; absent when unknown). */
    last_used?: string;
  };

/** A model a credential serves, as `/auth-files/models` lists it. */
export interface AuthFileModel {
  id: string;
  display_name?: string;
  type?: string;
  owned_by?: string;
}

/** A catalog model as `/model-definitions/:channel` lists it. */
export interface ModelDefinition {
  id: string;
  object: 'model';
  created: number;
  owned_by: string;
  type: string;
  display_name: string;
  /** Context window in tokens, when the catalog knows it. */
  context_length?: number;
}

/** The short listing of the control API. */
export interface AuthFileBrief {
  name: string;
  size: number;
  /** Last change, ms since epoch. */
  mtime: number;
  /** As in the management listing: `active`, `disabled` or `error`. */
  status: AuthFileEntry['status'];
  status_message: string;
  disabled: boolean;
  unavailable: boolean;
}

/** The per-file outcome of a batch (upload or delete). */
export interface BatchOutcome {
  /** Names that succeeded. */
  done: string[];
  failed: { name: string; error: string; status: number }[];
}

/** A finished Vertex import. */
export interface VertexImported {
  name: string;
  project_id: string;
  email: string;
  location: string;
}

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function validName(raw: unknown): string {
  const checked = checkAuthFileName(raw);
  if (!checked.ok) throw managementError(400, checked.error);
  return checked.name;
}

/**
 * Auth files through the management API: list them with their runtime state, upload (validated
 * as a known CLIProxyAPI type first), download, delete, toggle and edit fields, import a Vertex
 * service account. Every write is atomic with mode 0600 in `auth-dir`; after each change this
 * process reloads at once and announces it on Redis so every replica (and worker) reloads too.
 */
@Injectable()
export class AuthFilesService {
  // Changes run one at a time in this process: each reads the file the previous one wrote.
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly credentials: CredentialService,
    private readonly store: AuthFileStore,
    private readonly activity: CredentialActivityService,
    @Optional() private readonly traffic?: TrafficService,
  ) {}

  /** The auth dir, or a 503 saying how to configure one. */
  private repo(): AuthDirRepository {
    const repo = this.credentials.authFiles;
    if (!repo) {
      throw managementError(
        503,
        'no auth directory: set auth-dir in config.yaml to manage auth files',
      );
    }
    return repo;
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async changed(): Promise<void> {
    await this.credentials.reloadAuthDir('changed through the management API');
  }

  /** Every `.json` file in the auth dir with its credential fields, runtime state and counters. */
  async list(now = Date.now()): Promise<AuthFileRow[]> {
    const repo = this.repo();
    const byIndex = new Map<string, { model: string; state: ModelState }[]>();
    for (const e of this.credentials.state.entries()) {
      let list = byIndex.get(e.authIndex);
      if (!list) byIndex.set(e.authIndex, (list = []));
      list.push({ model: e.model, state: e.state });
    }
    const rows = await Promise.all(
      (await repo.list()).map(async (name) => {
        const file = await this.store.read(repo, name);
        if (!file) return undefined;
        let data: unknown;
        let credential: Credential | undefined;
        let error: string | undefined;
        try {
          data = JSON.parse(file.data.toString('utf8'));
          credential = parseAuthFileJson(name, data);
        } catch (err) {
          error = (err as Error).message;
        }
        const states = credential ? (byIndex.get(credential.authIndex) ?? []) : [];
        return authFileEntry(
          { name, size: file.size, mtimeMs: file.mtimeMs, data, credential, error },
          states,
          now,
        );
      }),
    );
    const entries = rows.filter((r): r is AuthFileEntry => r !== undefined);
    const counters = await this.activity.activity(
      entries.map((e) => e.auth_index),
      now,
    );
    // Last use is a nicety: without Redis the listing still answers, without it.
    const lastUsed = await (
      this.traffic?.credentialLastUsed(entries.map((e) => e.auth_index)) ??
      Promise.resolve(new Map<string, string>())
    ).catch(() => new Map<string, string>());
    return sortEntries(
      entries.map((e): AuthFileRow => {
        const row: AuthFileRow = { ...e, ...(counters.get(e.auth_index) as CredentialActivity) };
        const used = lastUsed.get(e.auth_index);
        if (used) row.last_used = used;
        return row;
      }),
    );
  }

  /**
   * Names, sizes and change times (the control API's listing) with each credential's state as
   * the management listing shows it, and the directory.
   */
  async brief(): Promise<{ files: AuthFileBrief[]; directory: string }> {
    const repo = this.repo();
    const files = (await this.list()).map((e): AuthFileBrief => ({
      name: e.name,
      size: e.size,
      mtime: Date.parse(e.modtime),
      status: e.status,
      status_message: e.status_message,
      disabled: e.disabled,
      unavailable: e.unavailable,
    }));
    return { files, directory: repo.dir };
  }

  /** The bytes of one auth file (400 for a bad name, 404 when absent). */
  async download(rawName: unknown): Promise<{ name: string; data: Buffer }> {
    const name = validName(rawName);
    const file = await this.store.read(this.repo(), name);
    if (!file) throw managementError(404, 'file not found');
    return { name, data: file.data };
  }

  /** The models the credential in one auth file serves right now (none while disabled). */
  async models(rawName: unknown): Promise<AuthFileModel[]> {
    const name = validName(rawName);
    if (!(await this.store.stat(this.repo(), name)))
      throw managementError(404, 'auth file not found');
    const snapshot = this.credentials.snapshot();
    const names = snapshot.registry.modelsOf(authIndexOf(`file:${name}`));
    if (names.length === 0) return [];
    const cred = snapshot.credentials.find((c) => c.source === 'file' && c.fileName === name);
    const meta = new Map(this.credentials.listModels().map((m) => [m.id, m]));
    return names.map((id) => {
      const m = meta.get(id);
      const out: AuthFileModel = { id };
      if (m?.display_name) out.display_name = m.display_name;
      if (cred) out.type = cred.provider;
      if (m?.owned_by) out.owned_by = m.owned_by;
      return out;
    });
  }

  /** The built-in models of a channel (provider id); undefined for an unknown channel. */
  modelDefinitions(channel: string): ModelDefinition[] | undefined {
    const id = channel.trim().toLowerCase();
    if (!(CREDENTIAL_PROVIDERS as readonly string[]).includes(id)) return undefined;
    return catalogFor(id as CredentialProvider).map((m) => {
      const def: ModelDefinition = {
        id: m.id,
        object: 'model',
        created: m.created,
        owned_by: m.owned_by,
        type: id,
        display_name: m.display_name,
      };
      if (m.context_length) def.context_length = m.context_length;
      return def;
    });
  }

  /**
   * Validate every file, write the valid ones atomically, reload once. A file that fails names
   * its reason; the others are still written.
   */
  upload(files: readonly UploadedFile[]): Promise<BatchOutcome> {
    return this.serial(async () => {
      const repo = this.repo();
      const out: BatchOutcome = { done: [], failed: [] };
      for (const file of files) {
        const checked = checkUpload(file);
        if (!checked.ok) {
          out.failed.push({ name: checked.name, error: checked.error, status: 400 });
          continue;
        }
        try {
          await this.store.write(repo, checked.name, checked.text);
          out.done.push(checked.name);
        } catch (err) {
          out.failed.push({
            name: checked.name,
            error: `failed to write file: ${(err as Error).message}`,
            status: 500,
          });
        }
      }
      if (out.done.length) await this.changed();
      return out;
    });
  }

  /** Delete the named files (each validated); a missing one is a 404 failure. */
  remove(names: readonly string[]): Promise<BatchOutcome> {
    return this.serial(async () => {
      const repo = this.repo();
      const out: BatchOutcome = { done: [], failed: [] };
      for (const raw of names) {
        const checked = checkAuthFileName(raw);
        if (!checked.ok) {
          out.failed.push({
            name: raw.length <= 255 ? raw : '',
            error: checked.error,
            status: 400,
          });
          continue;
        }
        try {
          if (await this.store.remove(repo, checked.name)) out.done.push(checked.name);
          else out.failed.push({ name: checked.name, error: 'auth file not found', status: 404 });
        } catch (err) {
          out.failed.push({
            name: checked.name,
            error: `failed to remove file: ${(err as Error).message}`,
            status: 500,
          });
        }
      }
      if (out.done.length) await this.forget(out.done);
      return out;
    });
  }

  /** Delete every `.json` file in the auth dir; returns how many. */
  removeAll(): Promise<number> {
    return this.serial(async () => {
      const repo = this.repo();
      const done: string[] = [];
      for (const name of await repo.list()) {
        if (!checkAuthFileName(name).ok) continue;
        if (await this.store.remove(repo, name)) done.push(name);
      }
      if (done.length) await this.forget(done);
      return done.length;
    });
  }

  /** Reload, and drop the runtime state of deleted credentials. */
  private async forget(names: readonly string[]): Promise<void> {
    await this.changed();
    await Promise.all(names.map((n) => this.credentials.state.clear(authIndexOf(`file:${n}`))));
  }

  /** Set `disabled` in an auth file. */
  setDisabled(rawName: unknown, disabled: boolean): Promise<void> {
    const name = validName(rawName);
    return this.edit(name, (data) => ({ ...data, disabled }));
  }

  /** Apply `PATCH /auth-files/fields`; returns the fields changed. */
  async patchFields(rawName: unknown, patch: JsonObject): Promise<string[]> {
    const name = validName(rawName);
    let changed: string[] = [];
    await this.edit(name, (data) => {
      const r = applyFieldPatch(data, patch);
      if (!r.ok) throw managementError(400, r.error);
      changed = r.changed;
      return r.data;
    });
    return changed;
  }

  /** Turn a service-account key into `vertex-<project>.json` (replacing an earlier import). */
  importVertex(serviceAccount: unknown, location?: string): Promise<VertexImported> {
    return this.serial(async () => {
      const r = vertexAuthFile(serviceAccount, location);
      if (!r.ok) throw managementError(400, r.error);
      try {
        parseAuthFileJson(r.name, r.json);
      } catch (err) {
        throw managementError(400, `invalid service account: ${(err as Error).message}`);
      }
      await this.store.write(this.repo(), r.name, r.json);
      await this.changed();
      return {
        name: r.name,
        project_id: r.json.project_id,
        email: r.json.email,
        location: r.json.location,
      };
    });
  }

  /**
   * Read-modify-write one auth file: the edited JSON must still be a valid auth file before it
   * replaces the old one (atomically).
   */
  private edit(name: string, update: (data: JsonObject) => JsonObject): Promise<void> {
    return this.serial(async () => {
      const repo = this.repo();
      // A read-modify-write: with the Redis config store a concurrent change (a token refresh on
      // another host) makes it re-run on the fresh file, so neither change is lost.
      const outcome = await repo.update(name, (text) => {
        let data: unknown;
        try {
          data = JSON.parse(text);
        } catch {
          throw managementError(409, `${name} is not valid JSON; fix or replace it first`);
        }
        if (!isObject(data)) throw managementError(409, `${name} is not a JSON object`);
        const next = update(data);
        try {
          parseAuthFileJson(name, next);
        } catch (err) {
          throw managementError(400, (err as Error).message);
        }
        return `${JSON.stringify(next, null, 2)}\n`;
      });
      if (outcome === 'missing') throw managementError(404, 'auth file not found');
      if (outcome === 'written') await this.changed();
    });
  }
}

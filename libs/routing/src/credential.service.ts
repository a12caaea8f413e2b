import {
  Inject,
  Injectable,
  Logger,
  Optional,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import { ConfigService, type AppConfig } from '@app/config';
import { parseModelSuffix } from '@app/llm';
import { RedisService, ConfigStoreService } from '@app/storage';
import { AuthDirRepository, type AuthDirOptions } from '@app/routing/auth-dir.repository';
import { parseAuthFiles, type AuthFileError } from '@app/routing/auth-file.parser';
import { credentialsFromConfig } from '@app/routing/config-credentials';
import { cooldownFor, type CooldownReason } from '@app/routing/cooldown.policy';
import type { ModelState } from '@app/routing/credential-state.policy';
import {
  CredentialStateRepository,
  type CredentialStateOptions,
} from '@app/routing/credential-state.repository';
import { RoundRobinCursorRepository } from '@app/routing/round-robin-cursor.repository';
import type { Credential } from '@app/routing/credential.types';
import {
  ModelRegistry,
  type ModelListEntry,
  type ResolveOptions,
  type RouteCandidate,
} from '@app/routing/model-registry';
import { routingStrategy, type RoutingConfig } from '@app/routing/routing-config';
import { Selector, type SelectionResult } from '@app/routing/selector';

/** Pub/sub channel: "the auth dir changed, reload it" (replicas on other machines share a volume). */
export const AUTH_DIR_CHANNEL = 'auth-dir-changed';

/** Injection token for optional tuning (tests). */
export const ROUTING_OPTIONS = 'SB_ROUTING_OPTIONS';

/** Tuning of the routing module. */
export interface RoutingOptions {
  authDir?: AuthDirOptions;
  state?: CredentialStateOptions;
}

/** Everything routing decided at one moment; replaced as a whole on every change. */
export interface RoutingSnapshot {
  /** Every credential, enabled or not: config entries first, then auth files by name. */
  readonly credentials: readonly Credential[];
  readonly byAuthIndex: ReadonlyMap<string, Credential>;
  readonly registry: ModelRegistry;
  /** Auth files that were skipped, with the reason. */
  readonly fileErrors: readonly AuthFileError[];
  /** Increments on every rebuild. */
  readonly version: number;
}

/** Told when a failure benched a credential for a model (metrics count these). */
export type CooldownListener = (provider: string, reason: CooldownReason) => void;

/** Told the outcome of every attempt on a credential (per-credential request counters). */
export type AttemptListener = (authIndex: string, success: boolean) => void;

/** `/status` providers: how many, and which have at least one enabled credential. */
export interface ProviderSummary {
  count: number;
  active: string[];
}

/** What the proxy reports after an attempt failed. */
export interface FailureReport {
  authIndex: string;
  /** The upstream model that was called (a thinking suffix is ignored). */
  model: string;
  /** Upstream HTTP status (0 for a network error). */
  status: number;
  /** The upstream's retry hint in seconds, when it gave one. */
  retryAfterSeconds?: number;
  message?: string;
}

const EMPTY_SNAPSHOT: RoutingSnapshot = Object.freeze({
  credentials: Object.freeze([]),
  byAuthIndex: new Map(),
  registry: ModelRegistry.empty(),
  fileErrors: Object.freeze([]),
  version: 0,
});

/**
 * Loads the credentials (config.yaml API keys and the auth dir), keeps the model registry in
 * step with them, and hands the proxy a selector and the shared runtime state.
 *
 * Rebuilds on config change, on an auth-dir change seen by this process (announced on Redis so
 * replicas elsewhere reload) and on such an announcement from a peer. `snapshot()` is an
 * immutable object swapped in one assignment, so a request never sees half a rebuild.
 */
@Injectable()
export class CredentialService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('Credentials');
  /** Cooldowns, quota and last errors (shared through Redis). */
  readonly state: CredentialStateRepository;
  /** Round-robin cursors (shared through Redis). */
  readonly cursors: RoundRobinCursorRepository;
  /** Orders candidates for a request. */
  readonly selector: Selector;
  private current: RoutingSnapshot = EMPTY_SNAPSHOT;
  private fileCredentials: readonly Credential[] = [];
  private fileErrors: readonly AuthFileError[] = [];
  private authDir: AuthDirRepository | undefined;
  private stopWatch: (() => void) | undefined;
  private offConfig: (() => void) | undefined;
  private offPeer: (() => void) | undefined;
  private offStore: (() => void) | undefined;
  private reloadChain: Promise<void> = Promise.resolve();
  private reloadPending = false;
  private readonly cooldownListeners = new Set<CooldownListener>();
  private readonly attemptListeners = new Set<AttemptListener>();

  constructor(
    private readonly config: ConfigService,
    private readonly redis: RedisService,
    @Optional() @Inject(ROUTING_OPTIONS) private readonly options: RoutingOptions = {},
    @Optional() private readonly store?: ConfigStoreService,
  ) {
    this.state = new CredentialStateRepository(redis, options.state);
    this.cursors = new RoundRobinCursorRepository(redis);
    this.selector = new Selector(this.state, this.cursors, () =>
      routingStrategy(this.routingConfig()),
    );
  }

  async onModuleInit(): Promise<void> {
    this.state.start();
    this.openAuthDir(this.routingConfig()['auth-dir']);
    await this.reloadAuthDir('startup', false);
    this.offConfig = this.config.onChange((next, prev) => this.onConfigChange(next, prev));
    if (this.storeMode) {
      // With the Redis config store, auth files change when the store does: it applies a
      // change here first, then tells us (the file announcements are not needed).
      this.offStore = this.store?.onAuthChange(
        () => void this.reloadAuthDir('changed in the config store', false),
      );
      return;
    }
    this.offPeer = this.redis.subscribe(AUTH_DIR_CHANNEL, (message) => {
      if (this.isOwnMessage(message)) return;
      void this.reloadAuthDir('announced by a peer', false);
    });
  }

  onApplicationShutdown(): void {
    this.stopWatch?.();
    this.offConfig?.();
    this.offPeer?.();
    this.offStore?.();
    this.state.stop();
  }

  /** The current credentials and registry (immutable). */
  snapshot(): RoutingSnapshot {
    return this.current;
  }

  /** The auth dir repository (for writers such as the worker and management). */
  get authFiles(): AuthDirRepository | undefined {
    return this.authDir;
  }

  /** Candidates for a client model (see ModelRegistry.resolve). */
  resolve(model: string, opts?: ResolveOptions): readonly RouteCandidate[] {
    return this.current.registry.resolve(model, opts);
  }

  /** True when a credential serves the model or would if it were enabled (ModelRegistry.knows). */
  knows(model: string, opts?: ResolveOptions): boolean {
    return this.current.registry.knows(model, opts);
  }

  /** Resolve and order the candidates for one request. */
  async pick(model: string, opts?: ResolveOptions): Promise<SelectionResult> {
    const candidates = this.current.registry.resolve(model, opts);
    return this.selector.select(parseModelSuffix(model).model, candidates);
  }

  /** What `/v1/models` lists (optionally for one provider). */
  listModels(opts?: ResolveOptions): readonly ModelListEntry[] {
    return this.current.registry.list(opts);
  }

  /** Record a failed attempt: the cooldown policy decides how long to bench the credential. */
  async reportFailure(report: FailureReport): Promise<ModelState | undefined> {
    this.tellAttempt(report.authIndex, false);
    try {
      const model = parseModelSuffix(report.model).model;
      const cred = this.current.byAuthIndex.get(report.authIndex);
      const prev = this.state.get(report.authIndex, model);
      const decision = cooldownFor({
        status: report.status,
        retryAfterSeconds: report.retryAfterSeconds,
        level: prev?.level ?? 0,
        disableCooling: cred?.disableCooling ?? this.routingConfig()['disable-cooling'] === true,
        unlistedModel: this.current.registry.servesByFamilyOnly(report.authIndex, model),
      });
      const state = await this.state.recordFailure(report.authIndex, model, decision, {
        status: report.status,
        message: report.message,
      });
      if (decision.cooldownMs > 0) {
        for (const fn of this.cooldownListeners) fn(cred?.provider ?? 'unknown', decision.reason);
      }
      return state;
    } catch (err) {
      this.logger.warn(`could not record a failure: ${(err as Error).message}`);
      return undefined;
    }
  }

  /** Subscribe to every attempt outcome this process reports; returns the unsubscribe function. */
  onAttempt(listener: AttemptListener): () => void {
    this.attemptListeners.add(listener);
    return () => {
      this.attemptListeners.delete(listener);
    };
  }

  private tellAttempt(authIndex: string, success: boolean): void {
    for (const fn of this.attemptListeners) {
      try {
        fn(authIndex, success);
      } catch (err) {
        this.logger.warn(`an attempt listener failed: ${(err as Error).message}`);
      }
    }
  }

  /** Subscribe to cooldowns entered by this process; returns the unsubscribe function. */
  onCooldown(listener: CooldownListener): () => void {
    this.cooldownListeners.add(listener);
    return () => {
      this.cooldownListeners.delete(listener);
    };
  }

  /** Record a successful attempt (clears the model's cooldown; free when there is none). */
  async reportSuccess(authIndex: string, model: string): Promise<void> {
    this.tellAttempt(authIndex, true);
    try {
      await this.state.recordSuccess(authIndex, parseModelSuffix(model).model);
    } catch (err) {
      this.logger.warn(`could not record a success: ${(err as Error).message}`);
    }
  }

  /** Providers with at least one enabled credential (openai-compatibility by entry name). */
  providerSummary(): ProviderSummary {
    const active = new Set<string>();
    for (const c of this.current.credentials) {
      if (!c.disabled) active.add(c.compatName ?? c.provider);
    }
    const list = [...active].sort();
    return { count: list.length, active: list };
  }

  /**
   * Re-read the auth dir and rebuild. Concurrent calls collapse into one follow-up reload.
   * `announce` publishes the change so replicas on other machines reload too.
   */
  reloadAuthDir(reason: string, announce = true): Promise<void> {
    if (this.reloadPending) return this.reloadChain;
    this.reloadPending = true;
    this.reloadChain = this.reloadChain.then(async () => {
      this.reloadPending = false;
      await this.loadAuthDir(reason);
      this.rebuild();
      if (announce && !this.storeMode) {
        await this.redis.publish(
          AUTH_DIR_CHANNEL,
          JSON.stringify({ from: this.state.instanceId, at: Date.now() }),
        );
      }
    });
    return this.reloadChain;
  }

  /** True with `config-store: redis`: auth files come from the store, not the dir. */
  private get storeMode(): boolean {
    return this.store?.active === true;
  }

  private routingConfig(): RoutingConfig {
    const config: Readonly<AppConfig> = this.config.current;
    return config;
  }

  private onConfigChange(next: Readonly<AppConfig>, prev: Readonly<AppConfig>): void {
    if (next['auth-dir'] !== prev['auth-dir']) {
      this.openAuthDir(next['auth-dir']);
      void this.reloadAuthDir('auth-dir changed in config.yaml', false);
      return;
    }
    this.rebuild();
  }

  private openAuthDir(dir: string | undefined): void {
    this.stopWatch?.();
    this.stopWatch = undefined;
    if (!dir?.trim()) {
      this.authDir = undefined;
      return;
    }
    const backend = this.storeMode ? this.store : undefined;
    const repo = new AuthDirRepository(dir, this.options.authDir, backend);
    this.authDir = repo;
    // The store watches its mirror itself (and refuses hand edits); reloads follow the store.
    if (backend) return;
    void repo
      .ensureDir()
      .catch((err: unknown) =>
        this.logger.warn(`cannot create auth dir ${repo.dir}: ${(err as Error).message}`),
      )
      .then(() => {
        if (this.authDir !== repo) return;
        this.stopWatch = repo.watch(() => void this.reloadAuthDir('auth dir changed'));
      });
  }

  private async loadAuthDir(reason: string): Promise<void> {
    const repo = this.authDir;
    if (!repo) {
      this.fileCredentials = [];
      this.fileErrors = [];
      return;
    }
    try {
      const { credentials, errors } = parseAuthFiles(await repo.readAll());
      this.fileCredentials = credentials;
      this.fileErrors = errors;
      for (const e of errors) this.logger.warn(`${e.message} (file skipped)`);
      this.logger.log(`loaded ${credentials.length} auth file(s) from ${repo.dir} (${reason})`);
    } catch (err) {
      // Keep the previous credentials: a transient read error must not empty the pool.
      this.logger.error(`cannot read auth dir ${repo.dir}: ${(err as Error).message}`);
    }
  }

  private rebuild(): void {
    const config = this.routingConfig();
    let credentials: Credential[];
    try {
      credentials = [...credentialsFromConfig(config), ...this.fileCredentials];
    } catch (err) {
      this.logger.error(`cannot build credentials from config: ${(err as Error).message}`);
      return;
    }
    const byAuthIndex = new Map<string, Credential>();
    for (const c of credentials) {
      if (byAuthIndex.has(c.authIndex))
        this.logger.warn(`duplicate credential ${c.id} (auth_index ${c.authIndex})`);
      else byAuthIndex.set(c.authIndex, c);
    }
    const registry = ModelRegistry.build(credentials, config);
    this.current = Object.freeze({
      credentials: Object.freeze(credentials),
      byAuthIndex,
      registry,
      fileErrors: Object.freeze([...this.fileErrors]),
      version: this.current.version + 1,
    });
  }

  private isOwnMessage(message: string): boolean {
    try {
      return (JSON.parse(message) as { from?: unknown }).from === this.state.instanceId;
    } catch {
      return false;
    }
  }
}

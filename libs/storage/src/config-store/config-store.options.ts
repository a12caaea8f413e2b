// The config store's public shapes: its options (tests) and an auth file as it holds one.

/** One auth file as the store holds it (name, text). */
export interface StoreAuthFile {
  name: string;
  text: string;
}

/** Injection token for optional tuning (tests). */
export const CONFIG_STORE_OPTIONS = 'SB_CONFIG_STORE_OPTIONS';

/** Tuning for tests. */
export interface ConfigStoreOptions {
  /** How often the store's version is compared with the one applied here. */
  pollMs?: number;
  /** How long startup waits for Redis before serving from the local copies. */
  startupWaitMs?: number;
}

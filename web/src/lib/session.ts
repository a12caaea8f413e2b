// The management key lives in sessionStorage only: it ends with the tab, and never reaches
// localStorage, cookies or the URL.
const KEY = 'switchboard.management-key';

/** The key of this tab's session, if signed in. */
export function loadKey(): string | null {
  try {
    return sessionStorage.getItem(KEY);
  } catch {
    return null;
  }
}

/** Remember the key for this tab. */
export function saveKey(key: string): void {
  try {
    sessionStorage.setItem(KEY, key);
  } catch {
    // storage blocked: the session lasts until reload
  }
}

/** Forget the key (sign out, or the server refused it). */
export function clearKey(): void {
  try {
    sessionStorage.removeItem(KEY);
  } catch {
    // nothing stored
  }
}

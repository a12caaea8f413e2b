import { credentialErrorOf, type CredentialStatus } from '@app/management';
import { ALL_MODELS, CredentialService, unservedModels, type ModelState } from '@app/routing';

/** Cooling credentials and models nothing can serve, for health checks and the panel. */
export interface RoutingHealth {
  credentials: CredentialStatus[];
  cooling: number;
  unserved: ReturnType<typeof unservedModels>;
}

/** Credentials with their cooldowns and error marks, and the models nothing can serve. */
export function routingHealth(service: CredentialService, now = Date.now()): RoutingHealth {
  const snap = service.snapshot();
  const byIndex = new Map<string, { model: string; state: ModelState }[]>();
  for (const e of service.state.entries()) {
    let list = byIndex.get(e.authIndex);
    if (!list) byIndex.set(e.authIndex, (list = []));
    list.push({ model: e.model, state: e.state });
  }
  let cooling = 0;
  const credentials = snap.credentials.map((c): CredentialStatus => {
    const states = byIndex.get(c.authIndex) ?? [];
    const error = credentialErrorOf(c, states);
    const cooldowns = states
      .map(({ model, state }) => ({
        model,
        until: Math.max(state.cooldownUntil, state.quotaExceededUntil),
        ...(state.lastError
          ? { status: state.lastError.status, message: state.lastError.message }
          : {}),
      }))
      .filter((d) => d.until > now);
    if (!c.disabled && !error && cooldowns.length > 0) cooling++;
    return {
      authIndex: c.authIndex,
      label: c.label,
      provider: c.compatName ?? c.provider,
      ...(c.fileName ? { fileName: c.fileName } : {}),
      disabled: c.disabled,
      ...(error ? { error: { message: error.message, at: error.at } } : {}),
      cooldowns: cooldowns.sort((a, b) =>
        a.model === ALL_MODELS ? -1 : b.model === ALL_MODELS ? 1 : a.until - b.until,
      ),
    };
  });
  const unserved = unservedModels(snap.registry, service.state, now);
  return { credentials, cooling, unserved };
}

// Small helpers shared by the proxy-*.e2e-spec.ts files.
import { CredentialService } from '@app/routing';
import { UsageRecorder, type UsageRecord } from '@app/usage';
import type { TestGateway } from '@test/utils/gateway-harness';

/** A response read whole. */
export interface RawResponse {
  status: number;
  headers: Headers;
  text: string;
  /** Parsed JSON body (undefined when not JSON). */
  json: unknown;
}

/** POST a JSON body and read the whole response. */
export async function postJson(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<RawResponse> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return readResponse(res);
}

/** GET and read the whole response. */
export async function getJson(
  url: string,
  headers: Record<string, string> = {},
): Promise<RawResponse> {
  return readResponse(await fetch(url, { headers }));
}

async function readResponse(res: Response): Promise<RawResponse> {
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

/** Forget every cooldown the gateway knows (shared state in Redis, so every replica). */
export async function clearRoutingState(gw: TestGateway): Promise<void> {
  const state = gw.app.get(CredentialService).state;
  for (const e of state.entries()) await state.clear(e.authIndex);
}

/** Every usage record the gateway emits from now on, whatever recorder is wired. */
export function captureUsage(gw: TestGateway): { records: UsageRecord[]; stop: () => void } {
  const records: UsageRecord[] = [];
  const recorder = gw.app.get(UsageRecorder);
  const spy = jest.spyOn(recorder, 'record').mockImplementation((rec: UsageRecord) => {
    records.push(rec);
  });
  return { records, stop: () => spy.mockRestore() };
}

/** Split an SSE text into its events (`event` name and `data`). */
export function sseEvents(text: string): { event?: string; data: string }[] {
  const out: { event?: string; data: string }[] = [];
  for (const block of text.split(/\r?\n\r?\n/)) {
    if (!block.trim()) continue;
    let event: string | undefined;
    const data: string[] = [];
    for (const line of block.split(/\r?\n/)) {
      if (line.startsWith('event:')) event = line.slice(6).trim();
      else if (line.startsWith('data:')) data.push(line.slice(5).trimStart());
    }
    if (data.length > 0 || event) out.push({ event, data: data.join('\n') });
  }
  return out;
}

/** Pause. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** One upstream call, ready to send. */
export interface UpstreamRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
  /** The upstream answers with SSE. */
  streams: boolean;
}

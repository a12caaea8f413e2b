import cluster from 'node:cluster';
import { randomUUID } from 'node:crypto';
import { AggregatorRegistry, type Registry } from 'prom-client';

/**
 * Several gateway processes on one port (GATEWAY_WORKERS): a scrape of /metrics reaches one of
 * them, so that one asks the primary (over the cluster's IPC channel) for every process's
 * metrics added up (prom-client's AggregatorRegistry: counters and histograms summed, gauges by
 * their `aggregator`), and Prometheus sees the port as one target whatever process answers.
 */

const SCRAPE = 'switchboard:metrics-scrape';
const SCRAPED = 'switchboard:metrics-scraped';

interface ScrapeMessage {
  type: typeof SCRAPE;
  id: string;
}

interface ScrapedMessage {
  type: typeof SCRAPED;
  id: string;
  body?: string;
  error?: string;
}

const pending = new Map<string, (msg: ScrapedMessage) => void>();
let joined = false;

/** In a gateway process of a cluster: answer the primary's requests with this registry. */
export function joinClusterMetrics(registry: Registry): void {
  if (!cluster.isWorker || joined) return;
  joined = true;
  // Creating one installs prom-client's listener for the primary's requests.
  new AggregatorRegistry();
  AggregatorRegistry.setRegistries([registry]);
  process.on('message', (msg: unknown) => {
    const m = msg as Partial<ScrapedMessage> | null;
    if (m?.type !== SCRAPED || typeof m.id !== 'string') return;
    pending.get(m.id)?.(m as ScrapedMessage);
  });
}

/** True when this process is one of several gateway processes of a cluster primary. */
export function inMetricsCluster(): boolean {
  return joined && process.connected;
}

/** Every process's metrics added up, from the primary; undefined if it does not answer in time. */
export function scrapeCluster(timeoutMs = 5000): Promise<string | undefined> {
  if (!inMetricsCluster()) return Promise.resolve(undefined);
  const id = randomUUID();
  return new Promise((resolve) => {
    const done = (body: string | undefined) => {
      clearTimeout(timer);
      pending.delete(id);
      resolve(body);
    };
    const timer = setTimeout(() => done(undefined), timeoutMs);
    pending.set(id, (msg) => done(msg.error ? undefined : msg.body));
    try {
      process.send?.({ type: SCRAPE, id } satisfies ScrapeMessage);
    } catch {
      done(undefined);
    }
  });
}

/** In the cluster primary: serve the processes' requests for the added-up metrics. */
export function serveClusterMetrics(): void {
  const aggregator = new AggregatorRegistry();
  cluster.on('message', (worker, msg: unknown) => {
    const m = msg as Partial<ScrapeMessage> | null;
    if (m?.type !== SCRAPE || typeof m.id !== 'string') return;
    const id = m.id;
    aggregator.clusterMetrics().then(
      (body) => worker.send({ type: SCRAPED, id, body } satisfies ScrapedMessage),
      (err: Error) =>
        worker.send({ type: SCRAPED, id, error: err.message } satisfies ScrapedMessage),
    );
  });
}

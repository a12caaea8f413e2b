import { Injectable, type BeforeApplicationShutdown } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { SseChannel } from '@app/cluster';
import { LogsMetrics, type LogStreamName, type StreamTailer } from '@app/logs';

/** The data of an SSE frame for one client, or undefined to skip the item (filtered out). */
export type ToEvent<T> = (item: T) => unknown;

/**
 * Opens SSE streams over the shared logs for this replica's clients and ends them all on
 * shutdown (an open stream would otherwise hold the drain until its timeout).
 */
@Injectable()
export class ClusterSseService implements BeforeApplicationShutdown {
  private readonly channels = new Set<SseChannel>();

  constructor(private readonly metrics: LogsMetrics) {}

  /** Clients connected now. */
  get size(): number {
    return this.channels.size;
  }

  /**
   * Take over the reply and stream `tailer`'s new items through `toEvent`, as plain `data:`
   * frames, until the client leaves. The first frame (`greeting`) goes out only once the feed is
   * in place, so nothing written after a client saw it can be missed.
   */
  async open<T>(
    reply: FastifyReply,
    stream: LogStreamName,
    tailer: StreamTailer<T>,
    toEvent: ToEvent<T>,
    greeting: string,
  ): Promise<void> {
    reply.hijack();
    const channel = new SseChannel(reply.raw, {
      onDrop: () => this.metrics.sseDropped.inc({ stream }),
      onSlowDisconnect: () => this.metrics.sseDisconnected.inc({ stream }),
    });
    this.channels.add(channel);
    let opened = false;
    const off = await tailer.subscribe((item) => {
      if (!opened) return;
      const data = toEvent(item);
      if (data !== undefined) channel.send(data);
    });
    if (channel.isClosed) {
      // the client left while the feed was being set up
      this.channels.delete(channel);
      off();
      return;
    }
    channel.onClose(() => {
      this.channels.delete(channel);
      off();
    });
    channel.open(greeting);
    opened = true;
  }

  beforeApplicationShutdown(): void {
    for (const c of [...this.channels]) c.close();
  }
}

/**
 * The wake-up signal across instances (REDIS_URL set): a notify in one instance wakes the idle
 * workers of every instance through Redis pub/sub, so a callback taken by instance A is pulled at once
 * by whichever instance's worker is free, and a reply enqueued by A is sent by B without waiting for
 * B's poll. Signals are hints: a lost one (Redis down, reconnecting) only delays work until the next
 * poll; the work itself lives in the database.
 */
import crypto from 'node:crypto';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { LocalWakeup, type Topic, type Wakeup } from './wakeup.js';

const TOPICS = new Set<string>(['jobs', 'outbox']);

export class RedisWakeup implements Wakeup {
  private readonly local = new LocalWakeup();
  private readonly pub: Redis;
  private readonly sub: Redis;
  private readonly channel: string;
  private readonly instance = crypto.randomBytes(6).toString('hex');
  private warned = false;

  /**
   * `namespace` separates deployments sharing one Redis (and tests sharing one database server):
   * instances of one deployment must use the same.
   */
  constructor(url: string, namespace: string, private readonly log: Logger) {
    const options = { lazyConnect: true, maxRetriesPerRequest: 1, enableOfflineQueue: false } as const;
    this.pub = new Redis(url, options);
    this.sub = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: null });
    this.channel = `wereply:${namespace}:wakeup`;
    const onError = (err: Error) => {
      // ioredis reconnects by itself; say it once per outage, the pollers carry on meanwhile.
      if (!this.warned) this.log.warn({ err: err.message }, 'Redis wake-up signal unavailable; workers fall back to polling until it is back');
      this.warned = true;
    };
    this.pub.on('error', onError);
    this.sub.on('error', onError);
    this.sub.on('ready', () => (this.warned = false));
    this.sub.on('message', (_channel: string, message: string) => {
      const [from, topic] = message.split(' ');
      if (from !== this.instance && topic && TOPICS.has(topic)) this.local.notify(topic as Topic);
    });
  }

  /** Connects and subscribes; fails (with the reason) when Redis cannot be reached at start. */
  async start(): Promise<void> {
    await Promise.all([this.pub.connect(), this.sub.connect()]);
    await this.sub.subscribe(this.channel);
  }

  notify(topic: Topic): void {
    this.local.notify(topic);
    this.pub.publish(this.channel, `${this.instance} ${topic}`).catch(() => undefined);
  }

  wait(topic: Topic, timeoutMs: number): Promise<void> {
    return this.local.wait(topic, timeoutMs);
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.sub.quit(), this.pub.quit()]);
  }
}

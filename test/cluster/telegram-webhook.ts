import { Agent as HttpAgent, request as httpRequest } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import type { Update } from "grammy/types";

/**
 * Telegram's side of the webhook, as far as the service can tell: each update is POSTed
 * with the secret token, and one that gets no 2xx (an error status, a dropped connection)
 * is POSTed again until it does. One chat's updates go one after another.
 */

/** Telegram waits before delivering again; a short pause keeps the retries from spinning. */
const REDELIVERY_PAUSE_MS = 100;

export interface DeliveryStats {
  /** Updates delivered (answered 2xx in the end). */
  delivered: number;
  /** Attempts that got no 2xx and were made again. */
  redelivered: number;
  /** Statuses of the failed attempts ("reset" for a dropped connection). */
  failures: Map<string, number>;
}

export class TelegramWebhook {
  readonly stats: DeliveryStats = { delivered: 0, redelivered: 0, failures: new Map() };
  private readonly agent: HttpAgent;
  private readonly request: typeof httpRequest;

  /** `url`: https through the proxy (trusting `ca`), or an instance's own http address. */
  constructor(
    private readonly url: string,
    private readonly secret: string,
    ca?: string,
  ) {
    const https = url.startsWith("https:");
    this.agent = https
      ? new HttpsAgent({ keepAlive: true, maxSockets: 64, ...(ca ? { ca } : {}) })
      : new HttpAgent({ keepAlive: true, maxSockets: 64 });
    this.request = https ? httpsRequest : httpRequest;
  }

  /** POSTs the update until it is answered 2xx. */
  async deliver(update: Update): Promise<void> {
    for (;;) {
      const outcome = await this.post(update);
      if (outcome === 200) {
        this.stats.delivered += 1;
        return;
      }
      this.failed(outcome);
      await new Promise((resolve) => setTimeout(resolve, REDELIVERY_PAUSE_MS));
    }
  }

  /**
   * A first attempt through `first` (an instance's own address: a connection Telegram has
   * open to it), then, if that gets no 2xx, through this address until one does.
   */
  async deliverFirstThrough(first: TelegramWebhook, update: Update): Promise<void> {
    const outcome = await first.post(update);
    if (outcome === 200) {
      this.stats.delivered += 1;
      return;
    }
    this.failed(outcome);
    await this.deliver(update);
  }

  /** Delivers the updates one after another, each once answered. */
  async deliverInOrder(updates: readonly Update[]): Promise<void> {
    for (const update of updates) await this.deliver(update);
  }

  close(): void {
    this.agent.destroy();
  }

  private failed(outcome: number | "reset"): void {
    this.stats.redelivered += 1;
    const key = String(outcome);
    this.stats.failures.set(key, (this.stats.failures.get(key) ?? 0) + 1);
  }

  post(update: Update): Promise<number | "reset"> {
    const body = JSON.stringify(update);
    return new Promise((resolve) => {
      const req = this.request(
        `${this.url}/telegram/webhook`,
        {
          method: "POST",
          agent: this.agent,
          headers: {
            "content-type": "application/json",
            "content-length": Buffer.byteLength(body),
            "x-telegram-bot-api-secret-token": this.secret,
          },
        },
        (res) => {
          res.resume();
          res.on("end", () => resolve(res.statusCode === 200 ? 200 : (res.statusCode ?? 0)));
          res.on("error", () => resolve("reset"));
        },
      );
      req.on("error", () => resolve("reset"));
      req.end(body);
    });
  }
}

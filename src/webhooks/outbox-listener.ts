import { Logger } from '@nestjs/common';
import { Client } from 'pg';

/** NOTIFY channel raised by every commit that makes deliveries due (see OutboxService). */
export const OUTBOX_CHANNEL = 'webhook_outbox';

const RECONNECT_DELAY_MS = 1_000;

/**
 * Wakes the sweeper as soon as a transaction that wrote deliveries commits, on every instance:
 * PostgreSQL delivers NOTIFY only on commit, and only to listeners connected at that moment.
 * A dedicated connection (LISTEN holds its session); when it drops, the sweeper's tick covers
 * the gap until it is back, so nothing depends on a notification arriving.
 */
export class OutboxListener {
  private readonly logger = new Logger(OutboxListener.name);
  private client?: Client;
  private stopped = false;
  private retryTimer?: NodeJS.Timeout;

  constructor(
    private readonly databaseUrl: string,
    private readonly onNotify: () => void,
  ) {}

  async start(): Promise<void> {
    this.stopped = false;
    await this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    const client = new Client({ connectionString: this.databaseUrl, application_name: 'webhook-outbox-listener' });
    client.on('notification', () => this.onNotify());
    client.on('error', (error) => this.reconnect(client, error));
    client.on('end', () => this.reconnect(client));
    try {
      await client.connect();
      await client.query(`LISTEN ${OUTBOX_CHANNEL}`);
      this.client = client;
      if (this.stopped) await this.stop();
    } catch (error) {
      this.reconnect(client, error);
    }
  }

  private reconnect(client: Client, error?: unknown): void {
    // One reconnection at a time, and none for a connection already replaced or deliberately closed.
    if (this.stopped || this.retryTimer || (this.client && this.client !== client)) return;
    if (error) this.logger.warn(`outbox listener connection lost, the sweep interval covers meanwhile: ${String(error)}`);
    this.client = undefined;
    client.end().catch(() => undefined);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      if (!this.stopped) void this.connect().then(() => this.onNotify());
    }, RECONNECT_DELAY_MS);
  }
}

import { createServer, IncomingHttpHeaders, Server, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { eventually as pollUntil } from './engine';

export interface ReceivedWebhook {
  id: string;
  headers: IncomingHttpHeaders;
  body: string;
  json: any;
  receivedAt: number;
}

/** How the receiver answers one request. */
export type Reply =
  | { status?: number; headers?: Record<string, string>; body?: string; delayMs?: number }
  /** Never answers (the sender's timeout must end it). */
  | 'hang';

/**
 * A real HTTP endpoint on 127.0.0.1 recording what it receives. `stop()`/`start()` take it down
 * and up again on the same port (connection refused in between), like a receiver outage.
 */
export class WebhookReceiver {
  readonly received: ReceivedWebhook[] = [];
  /** Decides each answer; 204 by default. Replace it to script failures. */
  reply: (request: ReceivedWebhook) => Reply = () => ({ status: 204 });
  private server?: Server;
  private readonly sockets = new Set<Socket>();
  private waiters: Array<() => void> = [];
  port = 0;

  static async start(reply?: WebhookReceiver['reply']): Promise<WebhookReceiver> {
    const receiver = new WebhookReceiver();
    if (reply) receiver.reply = reply;
    await receiver.start();
    return receiver;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/hook`;
  }

  async start(): Promise<void> {
    const server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = JSON.parse(body);
        } catch {
          json = undefined;
        }
        const received: ReceivedWebhook = {
          id: String(request.headers['webhook-id']),
          headers: request.headers,
          body,
          json,
          receivedAt: Date.now(),
        };
        this.received.push(received);
        for (const wake of this.waiters.splice(0)) wake();
        this.answer(received, response);
      });
    });
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  /** Closes the port and every open connection, kept-alive ones included. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Resolves once `count` requests arrived in total (or rejects after `timeoutMs`). */
  async waitFor(count: number, timeoutMs = 15_000): Promise<ReceivedWebhook[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.received.length < count) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`receiver got ${this.received.length} request(s), expected ${count}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.received;
  }

  /** Throws unless the request verifies with `secret` (the standardwebhooks library's verify()). */
  static verify(request: ReceivedWebhook, secret: string): unknown {
    return new Webhook(secret).verify(request.body, request.headers as Record<string, string>);
  }

  private answer(request: ReceivedWebhook, response: ServerResponse): void {
    const reply = this.reply(request);
    if (reply === 'hang') return;
    const send = () => {
      response.writeHead(reply.status ?? 204, reply.headers);
      response.end(reply.body);
    };
    if (reply.delayMs) setTimeout(send, reply.delayMs);
    else send();
  }
}

/** Polls `probe` until it returns a truthy value (the engine tests' poller, truthiness as the predicate). */
export async function eventually<T>(probe: () => Promise<T>, timeoutMs = 15_000): Promise<NonNullable<T>> {
  return (await pollUntil(probe, Boolean, 'a truthy value', timeoutMs)) as NonNullable<T>;
}

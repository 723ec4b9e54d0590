import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';

export interface ReceivedCall {
  path: string;
  body: any;
  headers: IncomingMessage['headers'];
  at: number;
}

export type Reply = { status: number; body?: unknown; headers?: Record<string, string>; delayMs?: number };

/**
 * A real HTTP service on 127.0.0.1 standing in for "another company service" (http_call
 * tasks) or a webhook receiver. `respond` decides each answer; every call is recorded.
 */
export class TestReceiver {
  readonly calls: ReceivedCall[] = [];
  /** Requests whose client went away before the answer (aborted handlers). */
  readonly aborted: ReceivedCall[] = [];
  respond: (call: ReceivedCall) => Reply | Promise<Reply> = () => ({ status: 200, body: {} });
  private server?: Server;

  async start(): Promise<string> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return this.url;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  callsFor(predicate: (call: ReceivedCall) => boolean): ReceivedCall[] {
    return this.calls.filter(predicate);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // keep raw text
    }
    const call: ReceivedCall = { path: req.url ?? '/', body, headers: req.headers, at: Date.now() };
    this.calls.push(call);
    let closed = false;
    res.on('close', () => {
      if (!res.writableFinished) {
        closed = true;
        this.aborted.push(call);
      }
    });
    const reply = await this.respond(call);
    // unref: a reply still pending when a test ends must not keep Jest alive.
    if (reply.delayMs) await new Promise((resolve) => setTimeout(resolve, reply.delayMs).unref());
    if (closed) return;
    res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
    res.end(reply.body === undefined ? '' : JSON.stringify(reply.body));
  }
}

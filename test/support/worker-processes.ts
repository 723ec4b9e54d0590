import { ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import type { TestApp } from './test-app';

const ENTRY = path.resolve(__dirname, 'worker-process.ts');
const ROOT = path.resolve(__dirname, '../..');

/**
 * The service's worker role in a real child process, on the test app's database and queue
 * prefix, so a test can SIGKILL it mid-batch (no shutdown hook runs, leases just stop).
 */
export class WorkerProcess {
  private output = '';
  private readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  private constructor(private readonly child: ChildProcess) {
    child.stdout?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  }

  /** Starts a worker sharing `t`'s database, Redis prefix and http_call endpoints; resolves once it takes jobs. */
  static async start(t: TestApp, env: Record<string, string> = {}, startTimeoutMs = 30_000): Promise<WorkerProcess> {
    const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', ENTRY], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      env: {
        PATH: process.env.PATH,
        NODE_ENV: 'test',
        LOG_LEVEL: 'error',
        DATABASE_URL: t.database.url,
        DATABASE_POOL_SIZE: '5',
        REDIS_URL: t.config.redis.url,
        QUEUE_PREFIX: t.queuePrefix,
        HTTP_CALL_ENDPOINTS: Object.entries(t.config.httpCall.endpoints)
          .map(([name, url]) => `${name}=${url}`)
          .join(','),
        TASK_LEASE_MS: String(t.config.processing.leaseMs),
        ...env,
      },
    });
    const worker = new WorkerProcess(child);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`worker did not start in ${startTimeoutMs} ms:\n${worker.output}`)), startTimeoutMs);
      child.once('message', () => {
        clearTimeout(timer);
        resolve();
      });
      void worker.exited.then(({ code, signal }) => {
        clearTimeout(timer);
        reject(new Error(`worker exited during startup (${code ?? signal}):\n${worker.output}`));
      });
    });
    return worker;
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** What the process wrote so far (for failure messages). */
  get log(): string {
    return this.output;
  }

  /** kill -9: no shutdown hook, no lease renewal, no acknowledgement of the jobs it held. */
  async kill(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    await this.exited;
  }

  /** SIGTERM, as an orchestrator stops it: the graceful shutdown path. */
  async stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    return this.exited;
  }
}

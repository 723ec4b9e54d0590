#!/usr/bin/env node
// Stand-in for Prisma's native `schema-engine` binary, backed by the WebAssembly engine (see
// prisma-engine.mjs). With PRISMA_SCHEMA_ENGINE_BINARY pointing at this file, the plain CLI works
// offline; tried: `prisma migrate deploy|status|diff|dev|reset|resolve`, `db execute|pull`, `version`.
//
// It speaks the binary's protocol as the CLI (prisma/build/cli.js) uses it:
//   --version                                  print the engine version
//   --datasource '{"url":…}' cli <command>     one-shot: can-connect-to-database, create-database
//   [--datamodels <path>]… [--datasource …]    JSON-RPC 2.0 over stdin/stdout, one message a line;
//                                              logs go to stderr as JSON lines; exit 0 on stdin EOF
// The shadow database is always a temporary one on the main server (a configured
// shadowDatabaseUrl is ignored); `cli drop-database` is not supported.

import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { DEFAULT_DATABASE_URL, ensureDatabase, maintenanceUrl, openEngine } from './prisma-engine.mjs';

const ENGINE_PACKAGE = '@prisma/schema-engine-wasm';

function parseArgs(argv) {
  const opts = { datamodels: [], datasource: null, cli: null, version: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--version' || arg === '-V') opts.version = true;
    else if (arg === '--datamodels') opts.datamodels.push(argv[++i]);
    else if (arg === '--datasource') opts.datasource = JSON.parse(argv[++i]);
    else if (arg === '--enabled-preview-features' || arg === '--extension-types') i++; // not applicable to postgres here
    else if (arg === 'cli') opts.cli = argv[++i];
  }
  return opts;
}

// The CLI reads stderr lines as tracing JSON and surfaces `fields.message` (and `error_code`) of
// ERROR lines from the schema_engine::logger target.
function logError(message, errorCode) {
  const fields = { message, ...(errorCode ? { error_code: errorCode } : {}) };
  process.stderr.write(`${JSON.stringify({ level: 'ERROR', target: 'schema_engine::logger', fields })}\n`);
}

// Same codes as the native engine for the two failures the CLI branches on (P1003 -> create it).
function connectionErrorCode(err) {
  if (err?.code === '3D000' || /does not exist/.test(err?.message ?? '')) return 'P1003';
  return 'P1001';
}

async function runCli(command, url) {
  // The CLI skips the first stderr line of a one-shot command (the binary's start-up log line).
  const started = { level: 'INFO', target: 'schema_engine', fields: { message: 'Starting schema engine CLI (wasm shim)' } };
  process.stderr.write(`${JSON.stringify(started)}\n`);
  if (command === 'can-connect-to-database') {
    const { default: pg } = await import('pg');
    const client = new pg.Client({ connectionString: url });
    try {
      await client.connect();
    } catch (err) {
      logError(err.message, connectionErrorCode(err));
      return 1;
    } finally {
      await client.end().catch(() => {});
    }
    return 0;
  }
  if (command === 'create-database') {
    await ensureDatabase(url);
    return 0;
  }
  logError(`schema-engine-shim: \`cli ${command}\` is not supported`);
  return 1;
}

async function serveRpc(opts, url) {
  const datamodels = await Promise.all(
    opts.datamodels.map(async (file) => [path.resolve(file), await readFile(file, 'utf8')]),
  );
  const log = (line) => process.stderr.write(`${line}\n`);
  const send = (message) => process.stdout.write(`${JSON.stringify({ jsonrpc: '2.0', ...message })}\n`);

  // The WASM engine connects on creation, so engines are opened on first use, one per database.
  const engines = new Map();
  const engineFor = async (databaseUrl = url) => {
    if (!engines.has(databaseUrl)) {
      engines.set(databaseUrl, openEngine(databaseUrl, { log, datamodels: datamodels.length ? datamodels : undefined }));
    }
    return (await engines.get(databaseUrl)).engine;
  };

  // This engine build only wires its shadow-database factory up once a command such as
  // diagnoseMigrationHistory has used it; run first, evaluateDataLoss and createMigration fail with
  // "PostgreSQL shadow DB must be provided through an external factory" (as in `migrate dev`).
  let shadowWarm = false;
  const withWarmShadow = (method) => async (params) => {
    const engine = await engineFor();
    if (!shadowWarm) {
      const { migrationsList, filters } = params;
      await engine.diagnoseMigrationHistory({ migrationsList, optInToShadowDatabase: true, filters });
      shadowWarm = true;
    }
    return engine[method](params);
  };
  let prints = 0;

  // Methods of the native RPC API that the WASM engine lacks or that behave differently there.
  const special = {
    createDatabase: async () => ({ databaseName: new URL(url).pathname.slice(1), created: await ensureDatabase(url) }),
    getDatabaseVersion: async () => (await engineFor()).version(),
    // Diffs between schemas and/or migrations must not need the configured database to exist (the
    // native engine does not connect for them), so they run on the server's maintenance database.
    // The native engine hands the output to the CLI through a `print` request, not in the result.
    diff: async (params) => {
      const usesDb = [params.from, params.to].some((t) => t.tag === 'url' || t.tag === 'schemaDatasource');
      const result = await (await engineFor(usesDb ? url : maintenanceUrl(url))).diff(params);
      if (result.stdout != null) send({ id: `print-${++prints}`, method: 'print', params: { content: result.stdout } });
      return { ...result, stdout: null };
    },
    evaluateDataLoss: withWarmShadow('evaluateDataLoss'),
    createMigration: withWarmShadow('createMigration'),
  };
  const call = async ({ method, params }) => {
    if (special[method]) return special[method](params);
    const engine = await engineFor();
    if (typeof engine[method] !== 'function' || method === 'free') throw new Error(`Unknown method: ${method}`);
    const result = await engine[method](params ?? {});
    if (method === 'devDiagnostic' || (method === 'diagnoseMigrationHistory' && params?.optInToShadowDatabase)) {
      shadowWarm = true;
    }
    return result ?? {};
  };

  let queue = Promise.resolve(); // the native engine handles one request at a time, in order
  const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
  lines.on('line', (line) => {
    if (!line.trim()) return;
    const request = JSON.parse(line);
    if (request.id === undefined || !request.method) return; // the CLI's reply to a `print`
    queue = queue.then(async () => {
      try {
        send({ id: request.id, result: await call(request) });
      } catch (err) {
        // The shape the CLI turns into a user-facing error (with the P-code when there is one).
        send({
          id: request.id,
          error: {
            code: 4466,
            message: 'An error happened. Check the data field for details.',
            data: { is_panic: false, message: err?.message ?? String(err), meta: null, error_code: err?.code ?? null },
          },
        });
      }
    });
  });
  await new Promise((resolve) => lines.on('close', resolve));
  await queue;
  for (const opened of engines.values()) await opened.then(({ close }) => close()).catch(() => {});
  return 0;
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (opts.version) {
    const require = createRequire(import.meta.url);
    const pkgDir = path.dirname(require.resolve(`${ENGINE_PACKAGE}/schema_engine_bg`));
    const pkg = JSON.parse(await readFile(path.join(pkgDir, 'package.json'), 'utf8'));
    process.stdout.write(`schema-engine-cli ${pkg.version.split('.').pop()} (wasm shim)\n`);
    return 0;
  }
  const url = opts.datasource?.url || process.env.DATABASE_URL || DEFAULT_DATABASE_URL;
  return opts.cli ? runCli(opts.cli, url) : serveRpc(opts, url);
}

main().then(
  (code) => process.exit(code),
  (err) => {
    logError(err?.stack ?? String(err));
    process.exit(1);
  },
);

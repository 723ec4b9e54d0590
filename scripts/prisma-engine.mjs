// Offline stand-in for the parts of Prisma's schema engine this project needs.
//
// Why: the Prisma CLI runs migrations through a native `schema-engine` binary that it downloads
// on first use, and this machine can only reach the npm registry. The same engine is published on
// npm as WebAssembly (@prisma/schema-engine-wasm); it talks to the database through a driver
// adapter (@prisma/adapter-pg) instead of its own drivers. It applies migrations and records them in
// `_prisma_migrations` exactly like `prisma migrate deploy`, so the database stays compatible with
// the plain CLI wherever the binary is available.

import { randomUUID } from 'node:crypto';
import { readFile, readdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const require = createRequire(import.meta.url);

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const SCHEMA_PATH = path.join(ROOT, 'prisma', 'schema.prisma');
export const MIGRATIONS_DIR = path.join(ROOT, 'prisma', 'migrations');
export const DEFAULT_DATABASE_URL = 'postgresql://postgres@127.0.0.1:5432/batch_service';

// Models never referenced as external: the engine wants the filter object on every call.
const NO_FILTERS = { externalTables: [], externalEnums: [] };

let enginePromise;

// The engine arms timers (e.g. a 10 s timeout around the migration advisory lock) and, having no
// clearTimeout import, never cancels them: a finished deploy would keep Node alive for 10 s. We
// hand it a setTimeout that records its timers, and clear them once no engine is in use.
const engineTimers = new Set();
let enginesInUse = 0;
function engineSetTimeout(callback, ms) {
  const timer = setTimeout(() => {
    engineTimers.delete(timer);
    callback();
  }, ms >>> 0);
  engineTimers.add(timer);
  return timer;
}

// The package entry does `import * as wasm from "./schema_engine_bg.wasm"`, which Node 20 cannot
// load (ESM WebAssembly integration is not enabled), so we do by hand what that entry does.
async function loadEngineModule() {
  enginePromise ??= (async () => {
    const bgPath = require.resolve('@prisma/schema-engine-wasm/schema_engine_bg');
    const bg = await import(pathToFileURL(bgPath).href);
    const bytes = await readFile(path.join(path.dirname(bgPath), 'schema_engine_bg.wasm'));
    const imports = { ...bg };
    for (const name of Object.keys(bg)) if (name.startsWith('__wbg_setTimeout_')) imports[name] = engineSetTimeout;
    const { instance } = await WebAssembly.instantiate(bytes, { './schema_engine_bg.js': imports });
    bg.__wbg_set_wasm(instance.exports);
    instance.exports.__wbindgen_start();
    return bg;
  })();
  return enginePromise;
}

// Two gaps between this engine build and @prisma/adapter-pg 7.10, patched per adapter instance:
// - The engine's schema describer reads catalog columns of Postgres' one-byte "char" type (OID 18,
//   e.g. pg_class.relkind), which the adapter cannot map ("Column type 'char' could not be
//   deserialized"). pg already returns them as one-letter strings, so labelling them text suffices.
// - The adapter's executeScript splits scripts on every ';' (breaking dollar-quoted function bodies
//   and string literals) and runs the pieces one by one on a pool. The native engine sends a
//   migration as one simple-protocol query, which Postgres runs as a single implicit transaction.
const PG_CHAR = 18;
const PG_TEXT = 25;
function patchQueryable(queryable) {
  const performIO = queryable.performIO.bind(queryable);
  queryable.performIO = async (query) => {
    const result = await performIO(query);
    for (const field of result.fields ?? []) if (field.dataTypeID === PG_CHAR) field.dataTypeID = PG_TEXT;
    return result;
  };
  if (queryable.executeScript) {
    queryable.executeScript = async (script) => {
      try {
        await queryable.underlyingDriver().query(script);
      } catch (err) {
        queryable.onError(err); // rethrows as the DriverAdapterError the engine understands
      }
    };
  }
  if (queryable.startTransaction) {
    const startTransaction = queryable.startTransaction.bind(queryable);
    queryable.startTransaction = async (...args) => patchQueryable(await startTransaction(...args));
  }
  return queryable;
}

/** `databaseUrl` with its database name replaced. */
export function withDatabase(databaseUrl, name) {
  const url = new URL(databaseUrl);
  url.pathname = `/${encodeURIComponent(name)}`;
  return url.toString();
}

/**
 * Opens an engine bound to `databaseUrl` (which must exist: the engine connects at once).
 * `datamodels` ([path, text] pairs, default prisma/schema.prisma) only tells it the connector.
 * @returns {Promise<{ engine: SchemaEngine, close: () => Promise<void> }>}
 */
export async function openEngine(databaseUrl, { log, datamodels } = {}) {
  const [{ SchemaEngine }, { PrismaPg }, { bindMigrationAwareSqlAdapterFactory }] = await Promise.all([
    loadEngineModule(),
    import('@prisma/adapter-pg'),
    import('@prisma/driver-adapter-utils'),
  ]);
  datamodels ??= [[SCHEMA_PATH, await readFile(SCHEMA_PATH, 'utf8')]];

  // engine.free() does not dispose the adapters it opened, and their idle pg pools would keep the
  // process (or a Jest globalSetup) alive for 10 s; so every adapter is tracked and the leftovers
  // are disposed on close, newest first (a shadow database is dropped through an older one).
  const open = new Set();
  const connect = async (url) => {
    const adapter = patchQueryable(await new PrismaPg({ connectionString: url }).connect());
    const dispose = adapter.dispose.bind(adapter);
    adapter.dispose = async () => {
      if (open.delete(adapter)) await dispose();
    };
    open.add(adapter);
    return adapter;
  };
  // Not PrismaPg's own connectToShadowDb: it builds the shadow pool as { connectionString, database },
  // pg lets the connection string win, and the "shadow" migrations land in the main database.
  const connectToShadowDb = async () => {
    const admin = await connect(databaseUrl);
    const name = `prisma_migrate_shadow_db_${randomUUID()}`;
    await admin.executeScript(`CREATE DATABASE "${name}"`);
    const dropShadow = async () => {
      try {
        await admin.executeScript(`DROP DATABASE IF EXISTS "${name}"`);
      } finally {
        await admin.dispose();
      }
    };
    const shadow = await connect(withDatabase(databaseUrl, name)).catch(async (err) => {
      await dropShadow();
      throw err;
    });
    const disposeShadow = shadow.dispose;
    shadow.dispose = async () => {
      try {
        await disposeShadow();
      } finally {
        await dropShadow();
      }
    };
    return shadow;
  };
  const factory = bindMigrationAwareSqlAdapterFactory({
    provider: 'postgres',
    adapterName: '@prisma/adapter-pg',
    connect: () => connect(databaseUrl),
    connectToShadowDb,
  });

  let engine;
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    engine?.free();
    for (const adapter of [...open].reverse()) {
      await adapter.dispose().catch((err) => console.warn(`prisma-engine: cleanup failed: ${err.message}`));
    }
    if (--enginesInUse === 0) {
      for (const timer of engineTimers) clearTimeout(timer);
      engineTimers.clear();
    }
  };
  enginesInUse++;
  // The engine reports tracing events as JSON strings; they are only useful when debugging.
  const onLog = log ? (line) => log(typeof line === 'string' ? line : JSON.stringify(line)) : () => {};
  try {
    engine = await SchemaEngine.new({ datamodels }, onLog, factory);
  } catch (err) {
    await close();
    throw err;
  }
  return { engine, close };
}

/** Runs `fn(engine)` on a fresh engine (see openEngine), always closing it afterwards. */
export async function withEngine(databaseUrl, fn, options) {
  const { engine, close } = await openEngine(databaseUrl, options);
  try {
    return await fn(engine);
  } finally {
    await close();
  }
}

/**
 * Reads prisma/migrations the same way the Prisma CLI does (directories sorted by name, each with a
 * migration.sql), so checksums and names match what `prisma migrate deploy` would record.
 */
export async function loadMigrationsList(migrationsDir = MIGRATIONS_DIR) {
  const lockPath = 'migration_lock.toml';
  const lockContent = await readFile(path.join(migrationsDir, lockPath), 'utf8').catch(() => null);
  const entries = await readdir(migrationsDir, { withFileTypes: true }).catch(() => []);
  const migrationDirectories = [];
  for (const entry of entries.filter((e) => e.isDirectory())) {
    const content = await readFile(path.join(migrationsDir, entry.name, 'migration.sql'), 'utf8').then(
      (value) => ({ tag: 'ok', value }),
      (err) => ({ tag: 'error', value: err.message }),
    );
    migrationDirectories.push({ path: entry.name, migrationFile: { path: 'migration.sql', content } });
  }
  migrationDirectories.sort((a, b) => a.path.localeCompare(b.path));
  return {
    baseDir: migrationsDir,
    lockfile: { path: lockPath, content: lockContent },
    migrationDirectories,
    shadowDbInitScript: '',
  };
}

/**
 * Applies the pending migrations of prisma/migrations (or `migrationsDir`) to `databaseUrl`, which
 * must exist (see ensureDatabase). A failing migration is left marked failed, as with the CLI.
 * Idempotent: already applied migrations are skipped by the engine using `_prisma_migrations`.
 * @returns {Promise<string[]>} names of the migrations applied by this call
 */
export async function deployMigrations(databaseUrl, { log, migrationsDir } = {}) {
  const migrationsList = await loadMigrationsList(migrationsDir);
  const { appliedMigrationNames } = await withEngine(
    databaseUrl,
    (engine) => engine.applyMigrations({ migrationsList, filters: NO_FILTERS }),
    { log },
  );
  return appliedMigrationNames;
}

/** The same server as `databaseUrl`, but its `postgres` maintenance database, which always exists. */
export function maintenanceUrl(databaseUrl) {
  return withDatabase(databaseUrl, 'postgres');
}

/** Creates the database named in `databaseUrl` unless it exists. @returns {Promise<boolean>} created */
export async function ensureDatabase(databaseUrl) {
  const { default: pg } = await import('pg');
  const name = decodeURIComponent(new URL(databaseUrl).pathname.slice(1));
  const client = new pg.Client({ connectionString: maintenanceUrl(databaseUrl) });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (rowCount) return false;
    await client.query(`CREATE DATABASE "${name.replaceAll('"', '""')}"`);
    return true;
  } finally {
    await client.end();
  }
}

const datamodelTarget = (content) => ({ tag: 'schemaDatamodel', files: [{ path: SCHEMA_PATH, content }] });

// SchemaEngine.new connects eagerly even when a diff never touches a database, so diffs need a
// reachable server; its maintenance database is the one that is sure to exist.
async function runDiff(from, toSchemaText, databaseUrl) {
  const { stdout } = await withEngine(
    maintenanceUrl(databaseUrl ?? process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL),
    (engine) =>
      engine.diff({ from, to: datamodelTarget(toSchemaText), script: true, exitCode: null, filters: NO_FILTERS }),
    { datamodels: [[SCHEMA_PATH, toSchemaText]] },
  );
  return stdout ?? '';
}

/**
 * SQL that turns a database matching `fromSchemaText` (null: an empty database) into one matching
 * `toSchemaText`. Computed from the two schemas alone; the server is only connected to.
 * @returns {Promise<string>} the script (an empty-migration comment when nothing changes)
 */
export async function diffSql(fromSchemaText, toSchemaText, { databaseUrl } = {}) {
  return runDiff(fromSchemaText == null ? { tag: 'empty' } : datamodelTarget(fromSchemaText), toSchemaText, databaseUrl);
}

/**
 * SQL that brings a database holding every migration of prisma/migrations to `toSchemaText`: the
 * body of the next migration. The engine replays the migrations into a throwaway shadow database
 * (prisma_migrate_shadow_db_<uuid>, created and dropped on the same server), so hand-edited
 * migrations count too.
 */
export async function nextMigrationSql(toSchemaText, { databaseUrl } = {}) {
  const migrationsList = await loadMigrationsList();
  const from = migrationsList.migrationDirectories.length ? { tag: 'migrations', ...migrationsList } : { tag: 'empty' };
  return runDiff(from, toSchemaText, databaseUrl);
}

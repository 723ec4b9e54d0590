// Configuration of the Prisma CLI (Prisma 7 reads connection URLs from here, not from the schema).
// Offline, this project drives Prisma through scripts/prisma.mjs; with network access the plain
// `npx prisma migrate deploy|dev|status` also works with this file and the same migrations.
import { defineConfig } from 'prisma/config';

export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: {
    // Not env('DATABASE_URL'): that throws when the variable is unset, which would break
    // `prisma generate` (it loads this file too) on a fresh checkout without a .env.
    url: process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/batch_service',
  },
});

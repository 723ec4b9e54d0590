import { Inject, Injectable, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { PrismaPg } from '@prisma/adapter-pg';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { PrismaClient } from '../generated/prisma/client';

@Injectable()
export class PrismaService extends PrismaClient implements OnModuleInit, OnApplicationShutdown {
  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    super({
      adapter: new PrismaPg({
        connectionString: config.database.url,
        max: config.database.poolSize,
        // Columns are timestamp without time zone holding UTC (Prisma's convention); SQL that
        // compares them with now() is right only in a UTC session, whatever the server default.
        options: '-c TimeZone=UTC',
      }),
      // A 10,000-task batch insert or a large grouped finish can outlast Prisma's 5 s default;
      // a transaction that hangs longer than a minute is a bug, not load.
      transactionOptions: { maxWait: 10_000, timeout: 60_000 },
    });
  }

  async onModuleInit(): Promise<void> {
    await this.$connect();
  }

  /**
   * The last shutdown phase, not onModuleDestroy: PrismaModule is global, so Nest runs its
   * destroy hook before every other module's, and they still write while finishing their work.
   */
  async onApplicationShutdown(): Promise<void> {
    await this.$disconnect();
  }
}

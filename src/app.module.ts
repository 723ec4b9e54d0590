import { BullModule } from '@nestjs/bullmq';
import { DynamicModule, Module, Type } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_PIPE } from '@nestjs/core';
import { ScheduleModule } from '@nestjs/schedule';
import { LoggerModule } from 'nestjs-pino';
import { BatchesModule } from './batches/batches.module';
import { AllExceptionsFilter } from './common/all-exceptions.filter';
import { ApiKeyGuard } from './common/api-key.guard';
import { createValidationPipe } from './common/validation';
import { AppConfig } from './config/app-config';
import { ConfigModule } from './config/config.module';
import { redisOptionsFromUrl } from './config/redis-options';
import { DependenciesModule } from './dependencies/dependencies.module';
import { HealthModule } from './health/health.module';
import { MetricsModule } from './metrics/metrics.module';
import { PrismaModule } from './prisma/prisma.module';
import { ReconcilerModule, WorkerModule } from './processing/processing.module';
import { TasksModule } from './tasks/tasks.module';
import { WebhooksModule } from './webhooks/webhooks.module';

export interface AppOptions {
  /** Replaces the built-in task handlers (benchmarks use a no-op handler). */
  taskHandlers?: Type[];
}

@Module({})
export class AppModule {
  /** The whole service, shaped by a validated config (roles decide which parts run). */
  static forRoot(config: AppConfig, options: AppOptions = {}): DynamicModule {
    const api = config.roles.has('api');
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        LoggerModule.forRoot({
          pinoHttp: {
            level: config.logLevel,
            redact: ['req.headers.authorization', 'req.headers["x-api-key"]'],
            autoLogging: { ignore: (req) => req.url?.startsWith('/health') ?? false },
          },
        }),
        PrismaModule,
        MetricsModule,
        BullModule.forRoot({ connection: redisOptionsFromUrl(config.redis.url), prefix: config.redis.queuePrefix }),
        ScheduleModule.forRoot(),
        HealthModule,
        WebhooksModule.forRoot(config),
        ...(api ? [BatchesModule, TasksModule, DependenciesModule] : []),
        ...(config.roles.has('worker') ? [WorkerModule.forRoot(options.taskHandlers)] : []),
        ...(config.roles.has('scheduler') ? [ReconcilerModule] : []),
      ],
      providers: [
        { provide: APP_PIPE, useFactory: createValidationPipe },
        { provide: APP_FILTER, useClass: AllExceptionsFilter },
        { provide: APP_GUARD, useClass: ApiKeyGuard },
      ],
    };
  }
}

import { Module } from '@nestjs/common';
import { ProcessingModule } from '../processing/processing.module';
import { MetricsController } from '../metrics/metrics.controller';
import { HealthController } from './health.controller';

@Module({ imports: [ProcessingModule], controllers: [HealthController, MetricsController] })
export class HealthModule {}

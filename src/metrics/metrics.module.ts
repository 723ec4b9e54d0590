import { Global, Module } from '@nestjs/common';
import { ProcessingModule } from '../processing/processing.module';
import { MetricsController } from './metrics.controller';
import { Metrics } from './metrics.service';

@Global()
@Module({ imports: [ProcessingModule], controllers: [MetricsController], providers: [Metrics], exports: [Metrics] })
export class MetricsModule {}

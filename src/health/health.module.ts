import { Module } from '@nestjs/common';
import { ProcessingModule } from '../processing/processing.module';
import { HealthController } from './health.controller';

@Module({ imports: [ProcessingModule], controllers: [HealthController] })
export class HealthModule {}

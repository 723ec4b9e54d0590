import { Module } from '@nestjs/common';
import { ProcessingModule } from '../processing/processing.module';
import { TasksModule } from '../tasks/tasks.module';
import { WebhooksModule } from '../webhooks/webhooks.module';
import { BatchesController } from './batches.controller';
import { BatchesService } from './batches.service';

@Module({
  imports: [ProcessingModule, TasksModule, WebhooksModule],
  controllers: [BatchesController],
  providers: [BatchesService],
})
export class BatchesModule {}

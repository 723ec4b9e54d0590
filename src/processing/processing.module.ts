import { BullModule } from '@nestjs/bullmq';
import { Module } from '@nestjs/common';
import { TASK_QUEUE, TaskQueue } from './task-queue';

@Module({
  imports: [BullModule.registerQueue({ name: TASK_QUEUE })],
  providers: [TaskQueue],
  exports: [TaskQueue],
})
export class ProcessingModule {}

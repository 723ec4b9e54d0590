import { BullModule } from '@nestjs/bullmq';
import { DynamicModule, Module, Type } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { WebhooksModule } from '../webhooks/webhooks.module';
import { HandlerRegistry } from './handler-registry';
import { HttpCallHandler } from './handlers/http-call.handler';
import { TaskControlService } from './task-control.service';
import { TaskProcessor } from './task-processor';
import { TASK_QUEUE, TaskQueue } from './task-queue';
import { TaskReconciler } from './task-reconciler';
import { TaskRunner } from './task-runner';
import { TaskStateService } from './task-state.service';

/** The built-in handler of every TaskType. */
export const DEFAULT_TASK_HANDLERS: Type[] = [HttpCallHandler];

/** The task state machine and the queue, for every role (the API enqueues and cancels too). */
@Module({
  imports: [BullModule.registerQueue({ name: TASK_QUEUE }), WebhooksModule],
  providers: [TaskQueue, TaskStateService, TaskControlService],
  exports: [TaskQueue, TaskStateService, TaskControlService],
})
export class ProcessingModule {}

/** The queue processor (role `worker`). Tests and benchmarks may swap the handlers. */
@Module({})
export class WorkerModule {
  static forRoot(handlers: Type[] = DEFAULT_TASK_HANDLERS): DynamicModule {
    return {
      module: WorkerModule,
      imports: [ProcessingModule, DiscoveryModule],
      providers: [HandlerRegistry, TaskRunner, TaskProcessor, ...handlers],
    };
  }
}

/** The reconciler cron (role `scheduler`). */
@Module({ imports: [ProcessingModule], providers: [TaskReconciler], exports: [TaskReconciler] })
export class ReconcilerModule {}

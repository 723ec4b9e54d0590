import { Module } from '@nestjs/common';
import { ProcessingModule } from '../processing/processing.module';
import { TaskInputValidator } from './inputs/task-input.validator';
import { TasksController } from './tasks.controller';
import { TasksService } from './tasks.service';

@Module({
  imports: [ProcessingModule],
  controllers: [TasksController],
  providers: [TasksService, TaskInputValidator],
  exports: [TaskInputValidator],
})
export class TasksModule {}

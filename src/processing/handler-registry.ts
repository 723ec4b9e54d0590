import { Injectable, OnModuleInit } from '@nestjs/common';
import { DiscoveryService, Reflector } from '@nestjs/core';
import { TaskType } from '../generated/prisma/enums';
import { TASK_HANDLER_TYPE, TaskHandlerInstance } from './task-handler';

/** Maps each TaskType to its one handler, found through the @TaskHandler decorator. */
@Injectable()
export class HandlerRegistry implements OnModuleInit {
  private readonly handlers = new Map<TaskType, TaskHandlerInstance>();

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly reflector: Reflector,
  ) {}

  onModuleInit(): void {
    const found = new Map<TaskType, string[]>();
    for (const wrapper of this.discovery.getProviders()) {
      if (!wrapper.metatype || !wrapper.instance) continue;
      const type = this.reflector.get<TaskType | undefined>(TASK_HANDLER_TYPE, wrapper.metatype);
      if (!type) continue;
      found.set(type, [...(found.get(type) ?? []), wrapper.name]);
      this.handlers.set(type, wrapper.instance as TaskHandlerInstance);
    }
    const problems = Object.values(TaskType).flatMap((type) => {
      const names = found.get(type) ?? [];
      if (names.length === 0) return [`task type "${type}" has no handler`];
      if (names.length > 1) return [`task type "${type}" has ${names.length} handlers: ${names.join(', ')}`];
      return [];
    });
    if (problems.length > 0) throw new Error(`Task handler registry: ${problems.join('; ')}`);
  }

  get(type: TaskType): TaskHandlerInstance {
    const handler = this.handlers.get(type);
    if (!handler) throw new Error(`no handler for task type "${type}"`);
    return handler;
  }
}

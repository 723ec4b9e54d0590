import { ClassConstructor, plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { ErrorDetail } from '../../common/domain-errors';
import { flattenValidationErrors } from '../../common/validation';
import { TaskType } from '../../generated/prisma/enums';
import { HttpCallInputDto } from './http-call-input.dto';

/** The input schema of each task type (TaskInputJSON is one of these, chosen by `taskType`). */
export const TASK_INPUT_SCHEMAS: Record<TaskType, ClassConstructor<object>> = {
  http_call: HttpCallInputDto,
};

/**
 * Validates a task's input against its type's schema and returns the normalised input
 * (defaults applied, unknown keys refused). Problems are reported under `field`.
 */
export function validateTaskInput(
  taskType: TaskType,
  input: Record<string, unknown>,
  field: string,
  problems: ErrorDetail[],
): Record<string, unknown> {
  const instance = plainToInstance(TASK_INPUT_SCHEMAS[taskType], input);
  const errors = validateSync(instance, { whitelist: true, forbidNonWhitelisted: true });
  problems.push(...flattenValidationErrors(errors, field));
  return { ...instance };
}

import { Inject, Injectable } from '@nestjs/common';
import { AppConfig } from '../../config/app-config';
import { APP_CONFIG } from '../../config/config.module';
import { ErrorDetail } from '../../common/domain-errors';
import { TaskType } from '../../generated/prisma/enums';
import { HttpCallInputDto } from './http-call-input.dto';
import { validateTaskInput } from './task-inputs';

/** Checks a task's input against its type's schema and the operator's configuration. */
@Injectable()
export class TaskInputValidator {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  /** Returns the normalised input; appends problems (with paths under `field`) to `problems`. */
  validate(taskType: TaskType, input: Record<string, unknown>, field: string, problems: ErrorDetail[]) {
    const before = problems.length;
    const normalised = validateTaskInput(taskType, input, field, problems);
    if (problems.length === before && taskType === TaskType.http_call) {
      const { endpoint } = normalised as unknown as HttpCallInputDto;
      if (!Object.hasOwn(this.config.httpCall.endpoints, endpoint)) {
        const known = Object.keys(this.config.httpCall.endpoints);
        problems.push({
          field: `${field}.endpoint`,
          message: `unknown endpoint "${endpoint}" (configured: ${known.length ? known.join(', ') : 'none'})`,
        });
      }
    }
    return normalised;
  }
}

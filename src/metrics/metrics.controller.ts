import { Controller, Get, Header } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../common/error-response.dto';
import { TaskQueue } from '../processing/task-queue';
import { Metrics } from './metrics.service';

const QUEUE_STATES = ['waiting', 'prioritized', 'active', 'delayed'] as const;

@ApiTags('metrics')
@ApiBearerAuth()
@ApiSecurity('api-key')
@Controller('metrics')
export class MetricsController {
  constructor(
    private readonly metrics: Metrics,
    private readonly queue: TaskQueue,
  ) {}

  @Get()
  @Header('content-type', 'text/plain; version=0.0.4; charset=utf-8')
  @ApiOperation({ operationId: 'getMetrics', summary: 'Prometheus metrics (text exposition format)' })
  @ApiOkResponse({ content: { 'text/plain': { schema: { type: 'string' } } } })
  @ApiErrors()
  async scrape(): Promise<string> {
    try {
      const counts = await this.queue.queue.getJobCounts(...QUEUE_STATES);
      for (const state of QUEUE_STATES) this.metrics.queueJobs.set({ state }, counts[state] ?? 0);
    } catch {
      // Redis unreachable: the queue gauge keeps its last value; /health/ready reports the outage.
    }
    return this.metrics.registry.metrics();
  }
}

import { Controller, Get, HttpStatus, Res } from '@nestjs/common';
import { ApiOperation, ApiProperty, ApiPropertyOptional, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Redis } from 'ioredis';
import type { FastifyReply } from 'fastify';
import { Public } from '../common/api-key.guard';
import { withTimeout } from '../common/with-timeout';
import { PrismaService } from '../prisma/prisma.service';
import { TaskQueue } from '../processing/task-queue';

export class HealthCheckDto {
  @ApiProperty({ enum: ['ok', 'error'] })
  status: 'ok' | 'error';
  /** Per dependency: "ok" or the error message. */
  @ApiPropertyOptional({ type: 'object', additionalProperties: { type: 'string' } })
  checks?: Record<string, string>;
}

const CHECK_TIMEOUT_MS = 2000;

@ApiTags('health')
@Public()
@Controller('health')
export class HealthController {
  constructor(
    private readonly prisma: PrismaService,
    private readonly queue: TaskQueue,
  ) {}

  @Get('live')
  @ApiOperation({ operationId: 'getLiveness', summary: 'The process is up' })
  live(): HealthCheckDto {
    return { status: 'ok' };
  }

  @Get('ready')
  @ApiOperation({ operationId: 'getReadiness', summary: 'PostgreSQL and Redis answer' })
  @ApiResponse({ status: 200, type: HealthCheckDto })
  @ApiResponse({ status: 503, type: HealthCheckDto, description: 'A dependency does not answer.' })
  async ready(@Res({ passthrough: true }) reply: FastifyReply): Promise<HealthCheckDto> {
    const [postgres, redis] = await Promise.all([
      check(() => this.prisma.$queryRaw`SELECT 1`),
      check(async () => ((await this.queue.queue.client) as unknown as Redis).ping()),
    ]);
    const ok = postgres === 'ok' && redis === 'ok';
    void reply.status(ok ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE);
    return { status: ok ? 'ok' : 'error', checks: { postgres, redis } };
  }
}

async function check(probe: () => Promise<unknown>): Promise<string> {
  try {
    await withTimeout(probe(), CHECK_TIMEOUT_MS, `no answer within ${CHECK_TIMEOUT_MS} ms`);
    return 'ok';
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

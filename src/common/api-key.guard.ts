import { CanActivate, ExecutionContext, Inject, Injectable, SetMetadata, UnauthorizedException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';

const IS_PUBLIC = 'isPublic';
/** Marks a controller or route as reachable without an API key (health probes). */
export const Public = () => SetMetadata(IS_PUBLIC, true);

/**
 * Accepts `Authorization: Bearer <key>` or `X-API-Key: <key>`. Keys are compared as SHA-256
 * digests with timingSafeEqual, so neither content nor length leaks through timing.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  private readonly digests: Buffer[];

  constructor(
    private readonly reflector: Reflector,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.digests = config.auth.apiKeys.map(digest);
  }

  canActivate(context: ExecutionContext): boolean {
    const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [context.getHandler(), context.getClass()]);
    if (isPublic) return true;

    const key = presentedKey(context.switchToHttp().getRequest<FastifyRequest>());
    if (key !== undefined) {
      const presented = digest(key);
      let match = false;
      for (const known of this.digests) match = timingSafeEqual(presented, known) || match;
      if (match) return true;
    }
    throw new UnauthorizedException({
      code: 'unauthorized',
      message: 'A valid API key is required (Authorization: Bearer <key> or X-API-Key header)',
    });
  }
}

function presentedKey(request: FastifyRequest): string | undefined {
  const header = request.headers['x-api-key'];
  if (typeof header === 'string' && header.length > 0) return header;
  const authorization = request.headers.authorization;
  const match = authorization?.match(/^Bearer\s+(.+)$/i);
  return match?.[1];
}

function digest(key: string): Buffer {
  return createHash('sha256').update(key).digest();
}

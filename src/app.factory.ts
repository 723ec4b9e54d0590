import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { Logger } from 'nestjs-pino';
import { AppModule, AppOptions } from './app.module';
import { AppConfig } from './config/app-config';
import { Metrics } from './metrics/metrics.service';
import { HttpCallInputDto } from './tasks/inputs/http-call-input.dto';

/** Builds the application exactly as production runs it; tests call this too. */
export async function createApp(config: AppConfig, options: AppOptions = {}): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({ bodyLimit: config.http.maxBodyBytes });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config, options), adapter, {
    bufferLogs: true,
  });
  app.useLogger(app.get(Logger));
  observeRequests(app);
  app.enableShutdownHooks();
  setUpSwagger(app);
  await app.init();
  return app;
}

function observeRequests(app: NestFastifyApplication): void {
  const histogram = app.get(Metrics).httpRequestDuration;
  app
    .getHttpAdapter()
    .getInstance()
    .addHook('onResponse', async (request, reply) => {
      // The route template, not the URL: ids would make a label value per request.
      const route = request.routeOptions.url ?? 'unmatched';
      histogram.observe({ method: request.method, route, status_code: reply.statusCode }, reply.elapsedTime / 1000);
    });
}

function setUpSwagger(app: NestFastifyApplication): void {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Batch Service')
      .setDescription(
        'Submit batches of processing tasks with dependencies; a queue processor runs them with retries and priorities; subscribers receive signed webhooks. Authenticate with `Authorization: Bearer <key>` or `X-API-Key: <key>`. Every error has the ErrorResponse body.',
      )
      .setVersion('1.0')
      .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'An API key from API_KEYS' })
      .addApiKey({ type: 'apiKey', in: 'header', name: 'X-API-Key', description: 'An API key from API_KEYS' }, 'api-key')
      .build(),
    { extraModels: [HttpCallInputDto], operationIdFactory: (_controller, method) => method },
  );
  SwaggerModule.setup('docs', app, document, {
    jsonDocumentUrl: 'docs-json',
    swaggerOptions: { persistAuthorization: true },
  });
}

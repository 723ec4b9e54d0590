import { Module } from '@nestjs/common';
import { ProcessingModule } from '../processing/processing.module';
import { DependenciesController } from './dependencies.controller';
import { DependenciesService } from './dependencies.service';

@Module({ imports: [ProcessingModule], controllers: [DependenciesController], providers: [DependenciesService] })
export class DependenciesModule {}

-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateEnum
CREATE TYPE "BatchType" AS ENUM ('media', 'document', 'transcription', 'mixed');

-- CreateEnum
CREATE TYPE "JobStatus" AS ENUM ('queued', 'processing', 'completed', 'completed_with_errors', 'failed', 'cancelled');

-- CreateEnum
CREATE TYPE "TaskType" AS ENUM ('http_call');

-- CreateEnum
CREATE TYPE "EventType" AS ENUM ('batch.created', 'batch.started', 'batch.completed', 'batch.completed_with_errors', 'batch.failed', 'batch.cancelled', 'task.started', 'task.completed', 'task.failed', 'task.retrying', 'task.cancelled');

-- CreateTable
CREATE TABLE "ProcessingBatch" (
    "id" UUID NOT NULL,
    "name" TEXT,
    "batchType" "BatchType" NOT NULL,
    "status" "JobStatus" NOT NULL DEFAULT 'queued',
    "totalTasks" INTEGER NOT NULL DEFAULT 0,
    "completedTasks" INTEGER NOT NULL DEFAULT 0,
    "failedTasks" INTEGER NOT NULL DEFAULT 0,
    "queuedTasks" INTEGER NOT NULL DEFAULT 0,
    "processingTasks" INTEGER NOT NULL DEFAULT 0,
    "cancelledTasks" INTEGER NOT NULL DEFAULT 0,
    "priority" INTEGER NOT NULL DEFAULT 0,
    "metadata" JSONB,
    "cancelledAt" TIMESTAMP(3),
    "finishedAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "ProcessingBatch_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ProcessingTask" (
    "id" UUID NOT NULL,
    "batchId" UUID,
    "ref" TEXT,
    "taskType" "TaskType" NOT NULL,
    "status" "JobStatus" NOT NULL DEFAULT 'queued',
    "retryCount" INTEGER NOT NULL DEFAULT 0,
    "maxRetries" INTEGER NOT NULL DEFAULT 3,
    "priority" INTEGER NOT NULL DEFAULT 0,
    "input" JSONB NOT NULL,
    "output" JSONB,
    "error" TEXT,
    "meetingRecordId" TEXT,
    "timeoutMs" INTEGER,
    "pendingDependencies" INTEGER NOT NULL DEFAULT 0,
    "runAfter" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "generation" INTEGER NOT NULL DEFAULT 0,
    "leaseExpiresAt" TIMESTAMP(3),
    "startedAt" TIMESTAMP(3),
    "completedAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "ProcessingTask_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "TaskDependency" (
    "id" UUID NOT NULL,
    "dependentTaskId" UUID NOT NULL,
    "dependencyTaskId" UUID NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "TaskDependency_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "WebhookSubscription" (
    "id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "url" TEXT NOT NULL,
    "secret" TEXT,
    "eventTypes" "EventType"[],
    "active" BOOLEAN NOT NULL DEFAULT true,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "WebhookSubscription_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "WebhookDelivery" (
    "id" UUID NOT NULL,
    "webhookId" UUID NOT NULL,
    "eventType" TEXT NOT NULL,
    "payload" JSONB NOT NULL,
    "responseStatus" INTEGER,
    "responseBody" TEXT,
    "error" TEXT,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "successful" BOOLEAN NOT NULL DEFAULT false,
    "scheduledFor" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastAttemptedAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "WebhookDelivery_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "ProcessingBatch_status_id_idx" ON "ProcessingBatch"("status", "id");

-- CreateIndex
CREATE INDEX "ProcessingBatch_batchType_id_idx" ON "ProcessingBatch"("batchType", "id");

-- CreateIndex
CREATE INDEX "ProcessingTask_batchId_status_id_idx" ON "ProcessingTask"("batchId", "status", "id");

-- CreateIndex
CREATE INDEX "ProcessingTask_status_taskType_id_idx" ON "ProcessingTask"("status", "taskType", "id");

-- CreateIndex
CREATE INDEX "ProcessingTask_meetingRecordId_id_idx" ON "ProcessingTask"("meetingRecordId", "id");

-- CreateIndex
CREATE INDEX "ProcessingTask_status_pendingDependencies_runAfter_idx" ON "ProcessingTask"("status", "pendingDependencies", "runAfter");

-- CreateIndex
CREATE INDEX "ProcessingTask_status_leaseExpiresAt_idx" ON "ProcessingTask"("status", "leaseExpiresAt");

-- CreateIndex
CREATE UNIQUE INDEX "ProcessingTask_batchId_ref_key" ON "ProcessingTask"("batchId", "ref");

-- CreateIndex
CREATE INDEX "TaskDependency_dependencyTaskId_idx" ON "TaskDependency"("dependencyTaskId");

-- CreateIndex
CREATE UNIQUE INDEX "TaskDependency_dependentTaskId_dependencyTaskId_key" ON "TaskDependency"("dependentTaskId", "dependencyTaskId");

-- CreateIndex
CREATE INDEX "WebhookDelivery_successful_scheduledFor_idx" ON "WebhookDelivery"("successful", "scheduledFor");

-- CreateIndex
CREATE INDEX "WebhookDelivery_webhookId_createdAt_idx" ON "WebhookDelivery"("webhookId", "createdAt");

-- AddForeignKey
ALTER TABLE "ProcessingTask" ADD CONSTRAINT "ProcessingTask_batchId_fkey" FOREIGN KEY ("batchId") REFERENCES "ProcessingBatch"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "TaskDependency" ADD CONSTRAINT "TaskDependency_dependentTaskId_fkey" FOREIGN KEY ("dependentTaskId") REFERENCES "ProcessingTask"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "TaskDependency" ADD CONSTRAINT "TaskDependency_dependencyTaskId_fkey" FOREIGN KEY ("dependencyTaskId") REFERENCES "ProcessingTask"("id") ON DELETE CASCADE ON UPDATE CASCADE;

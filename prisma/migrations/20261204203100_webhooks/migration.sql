-- AlterTable
ALTER TABLE "WebhookDelivery" ADD COLUMN     "gaveUpAt" TIMESTAMP(3);

-- AlterTable
ALTER TABLE "WebhookSubscription" ADD COLUMN     "disabledAt" TIMESTAMP(3),
ADD COLUMN     "disabledReason" TEXT,
ADD COLUMN     "failingSince" TIMESTAMP(3),
ADD COLUMN     "previousSecret" TEXT,
ADD COLUMN     "previousSecretExpiresAt" TIMESTAMP(3);

-- CreateIndex
CREATE INDEX "WebhookDelivery_successful_gaveUpAt_scheduledFor_idx" ON "WebhookDelivery"("successful", "gaveUpAt", "scheduledFor");

-- CreateIndex
CREATE INDEX "WebhookDelivery_webhookId_id_idx" ON "WebhookDelivery"("webhookId", "id");

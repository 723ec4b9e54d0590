import type { Prisma } from '../generated/prisma/client';

/** The client an interactive transaction hands to its callback. */
export type TransactionClient = Prisma.TransactionClient;

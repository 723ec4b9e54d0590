# The service image: build with dev dependencies, run with production ones only.
# Install scripts stay off (--ignore-scripts) as on every machine of this project: Prisma's would
# download native engines; generate and migrations run offline through scripts/prisma.mjs.
FROM node:20-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY . .
RUN npm run build

FROM node:20-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY prisma ./prisma
COPY scripts ./scripts
USER node
EXPOSE 3000
# Pending migrations first (the database is created if missing); then exec, so that the service
# itself is PID 1 and receives SIGTERM (its shutdown hooks finish in-flight work).
CMD ["sh", "-c", "node scripts/prisma.mjs migrate deploy && exec node dist/main.js"]

# One image for every VCDC process; the compose file picks the entry point per container.
# TypeScript runs through tsx (no separate build output to drift from the source).
FROM node:20.20-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
COPY packages/shared/package.json packages/shared/
COPY services/custody/package.json services/custody/
COPY services/exchange/package.json services/exchange/
COPY services/fx/package.json services/fx/
COPY services/treasury/package.json services/treasury/
COPY simulators/package.json simulators/
COPY workflows/package.json workflows/
COPY console/package.json console/
RUN npm ci --no-audit --no-fund

FROM node:20.20-bookworm-slim
ENV NODE_ENV=production HOST=0.0.0.0
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY . .
# The people's console, built into console/dist (no CDN, nothing fetched when it runs).
RUN node --import tsx console/build.ts
RUN groupadd --system vcdc && useradd --system --gid vcdc vcdc && chown -R vcdc:vcdc /app
USER vcdc
# The default command is overridden per service in docker-compose.yml.
CMD ["node", "--import", "tsx", "control-api/src/main.ts"]

# syntax=docker/dockerfile:1
# One image, two commands: the gateway (default) and the worker (see docker-compose.yml).

# --- deps: every dependency, for the build ---------------------------------------------------
FROM node:20-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund

# --- build: compile TypeScript to dist/ ------------------------------------------------------
FROM deps AS build
ARG BUILD_COMMIT=unknown
ARG BUILD_DATE=
COPY tsconfig.json tsconfig.build.json nest-cli.json ./
COPY scripts ./scripts
COPY libs ./libs
COPY apps ./apps
COPY test/fakes ./test/fakes
COPY test/bench ./test/bench
RUN BUILD_COMMIT="$BUILD_COMMIT" BUILD_DATE="$BUILD_DATE" node scripts/build.mjs

# --- prod-deps: runtime dependencies only ----------------------------------------------------
FROM node:20-bookworm-slim AS prod-deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# --- runtime: slim, non-root, an init so SIGTERM reaches the shutdown hooks ------------------
FROM node:20-bookworm-slim AS runtime
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production \
    CONFIG_PATH=/app/config/config.yaml \
    AUTH_DIR=/app/auths \
    DATA_DIR=/app/data \
    PORT=8317 \
    WORKER_PORT=8318
WORKDIR /app
COPY --from=prod-deps --chown=root:root /app/node_modules ./node_modules
COPY --from=build --chown=root:root /app/dist ./dist
COPY package.json config.example.yaml ./
RUN mkdir -p /app/config /app/auths /app/data && chown node:node /app/config /app/auths /app/data
USER node
EXPOSE 8317 8318
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "dist/apps/gateway/src/healthcheck.js"]
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "dist/apps/gateway/src/main.js"]

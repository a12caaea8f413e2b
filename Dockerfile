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
# Only the build script: editing the other scripts must not invalidate the compile layer.
COPY scripts/build.mjs ./scripts/
COPY libs ./libs
COPY apps ./apps
# The web panel's sources: scripts/build.mjs bundles them into dist/web with Vite.
COPY web ./web
# The fake upstream ships in the image so the compose test can run it as a service.
COPY test/fakes ./test/fakes
RUN BUILD_COMMIT="$BUILD_COMMIT" BUILD_DATE="$BUILD_DATE" node scripts/build.mjs \
 && rm -f dist/.tsbuildinfo*

# --- prod-deps: runtime dependencies only (pruned offline from deps, no second download) -----
FROM deps AS prod-deps
RUN npm prune --omit=dev --no-audit --no-fund

# --- runtime: slim, runs as non-root, an init so SIGTERM reaches the shutdown hooks ----------
FROM node:20-bookworm-slim AS runtime
# apt's package caches (/var/cache/apt/*.bin) are ~80 MB: drop them with the lists.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends tini \
 && apt-get clean \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/* /var/log/apt /var/log/dpkg.log
# A heap cap keeps V8 collecting old garbage early: the gateway stays under ~200 MB RSS under
# load (uncapped, V8 sizes its heap from the host's memory and lets it grow to ~250 MB). Raise it
# for teams sending many large image requests at once (docs/performance.md). --v8-pool-size=1: one
# V8 helper thread (the default 4 let a full collection's concurrent marking take both cores of a
# small host, and tail latency tripled).
# GATEWAY_WORKERS: gateway processes sharing the port (1 here: containers are the unit of scale;
# `auto` = one per core, each with the heap cap below). docs/operations.md.
ENV NODE_ENV=production \
    NODE_OPTIONS="--max-old-space-size=1536 --v8-pool-size=1" \
    GATEWAY_WORKERS=1 \
    CONFIG_PATH=/app/config/config.yaml \
    AUTH_DIR=/app/auths \
    DATA_DIR=/app/data \
    PORT=8317 \
    WORKER_PORT=8318
WORKDIR /app
COPY --from=prod-deps --chown=root:root /app/node_modules ./node_modules
COPY --from=build --chown=root:root /app/dist ./dist
COPY package.json config.example.yaml ./
COPY scripts/docker-entrypoint.sh /usr/local/bin/switchboard-entrypoint
RUN mkdir -p /app/config /app/auths /app/data && chown node:node /app/config /app/auths /app/data
# The container starts as root only to hand the mounted config and auth directories to the
# process (whoever owns them on the host), then the entrypoint drops to that user or to `node`
# (setpriv, part of util-linux in every Debian image). docs/containers.md has the details.
EXPOSE 8317 8318
# Plain exec form (no shell, no quotes): podman-compose passes it through unmangled.
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "dist/apps/gateway/src/healthcheck.js"]
ENTRYPOINT ["/usr/bin/tini", "--", "/usr/local/bin/switchboard-entrypoint"]
CMD ["node", "dist/apps/gateway/src/main.js"]

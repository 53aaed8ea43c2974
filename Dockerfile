# The pipeline's services as users deploy them: the compiled build (`npm run build`: src/**/*.ts to
# dist/**/*.js beside it), run by plain Node, no TypeScript loader. Workspace packages resolve to their
# dist/ under the export condition `pipeline-dist` (README, "Compiled build"). One image for every
# service; docker-compose.yml starts each as
#   node --conditions=pipeline-dist services/<name>/dist/main.js
FROM node:20-bookworm-slim
WORKDIR /app
COPY . .
RUN npm ci --no-audit --no-fund && npm run build
USER node

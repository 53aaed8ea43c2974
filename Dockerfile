# The pipeline's services as users deploy them: the compiled build (`npm run build`: src/**/*.ts to
# dist/**/*.js beside it), run by plain Node, no TypeScript loader. Workspace packages resolve to their
# dist/ under the export condition `pipeline-dist` (README, "Compiled build"). One image for every
# service; docker-compose.yml and deploy/kubernetes/ start each as
#   node --conditions=pipeline-dist services/<name>/dist/main.js
FROM node:20-bookworm-slim AS pipeline
WORKDIR /app
COPY . .
RUN npm ci --no-audit --no-fund && npm run build

# The retraining job (services/monitor/dist/retrain-main.js) also runs the reference trainer
# (services/trainer/train.py): the same build plus Debian bookworm's Python 3.11 with the trainer's
# pinned packages, in the venv RETRAIN_PYTHON names by default (.local/trainer-venv).
#   docker build --target retrain -t decision-pipeline-retrain .
FROM pipeline AS retrain
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 python3-venv \
  && rm -rf /var/lib/apt/lists/* \
  && python3 -m venv .local/trainer-venv \
  && .local/trainer-venv/bin/pip install --no-cache-dir -r services/trainer/requirements.txt
USER node

# The default target (`docker build .`, docker-compose): every other service and the topology job.
FROM pipeline
USER node

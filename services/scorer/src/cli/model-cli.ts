import { userInfo } from 'node:os';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { type AuditSink, ConfigError } from '@pipeline/shared';
import { RegistryError, UsageError } from '../errors.js';
import { isAlias, parseRef } from '../registry/aliases.js';
import { auditedRegistry } from '../registry/audited.js';
import { fileRegistry } from '../registry/file-registry.js';
import { mlflowClient } from '../registry/mlflow-client.js';
import { publishVersion } from '../registry/mlflow-publish.js';
import { DEFAULT_SCOPE } from '../registry/mlflow-registry.js';
import { findRef, topBlock } from '../registry/scopes.js';
import { openRegistry } from '../registry/select.js';
import { ALIASES, type ModelRegistry } from '../registry/types.js';
import { type ModelAudit, openModelAudit } from './model-audit.js';

export const USAGE = `usage: npm run model -- <command> [--registry <dir>]
  list                                          every registered version, its alias and test metrics
  show <name@version>                           metadata, alias and alias history of one version
  promote <name@version> --to <alias> --why <text> [--actor <who>]
                                                alias: ${ALIASES.join(', ')}; a replaced champion/challenger is archived;
                                                within the version's alias scope (the feature set it declares)
  rollback --why <text> [--actor <who>] [--scope <feature set>]
                                                champion of the scope (default: the default one, the top level
                                                of aliases.json) back to the one before its last champion change
  import <name@version> [--from <dir>]          MLflow only: copy a file-registry version (from --from, else
                                                MODEL_REGISTRY_DIR, else models/) into MLflow as a new version
The registry is MLflow's at MLFLOW_TRACKING_URI when MODEL_REGISTRY=mlflow; else the directory --registry,
else MODEL_REGISTRY_DIR, else models/ at the repository root.
Promotions and rollbacks are recorded in audit_log: directly with CLICKHOUSE_URL (and CLICKHOUSE_DATABASE),
else through the audit topic with KAFKA_BROKERS and SCHEMA_REGISTRY_URL (the sink stores it); --actor
(or --by) names who, by default the user running the command; --why is the reason.`;

export interface CliIo {
  out: (line: string) => void;
  err: (line: string) => void;
  env: Record<string, string | undefined>;
  defaultDir: string;
  now?: () => Date;
  /** Where promotions and rollbacks are audited; by default from `env` (model-audit.ts). */
  openAudit?: (env: Record<string, string | undefined>) => Promise<ModelAudit>;
}

/** Runs the `model` command; resolves with the exit code (0 ok, 1 failed, 2 bad arguments). */
export async function runModelCli(argv: string[], io: CliIo): Promise<number> {
  try {
    return await run(argv, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`error: ${error.message}\n${USAGE}`);
      return 2;
    }
    if (error instanceof ConfigError) {
      io.err(`error: ${error.message}`);
      return 2;
    }
    if (error instanceof RegistryError) {
      io.err(`error: ${error.message}`);
      return 1;
    }
    throw error;
  }
}

async function run(argv: string[], io: CliIo): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  const [command, ...rest] = positionals;
  const kind = io.env.MODEL_REGISTRY ?? 'file';
  if (kind !== 'file' && kind !== 'mlflow')
    throw new UsageError(`MODEL_REGISTRY must be file or mlflow, got '${kind}'`);
  const registry = openRegistry(
    {
      MODEL_REGISTRY: kind,
      MODEL_REGISTRY_DIR: values.registry ?? io.env.MODEL_REGISTRY_DIR ?? io.defaultDir,
      MLFLOW_TRACKING_URI: io.env.MLFLOW_TRACKING_URI,
      MLFLOW_REGISTRY_SCOPE: io.env.MLFLOW_REGISTRY_SCOPE,
    },
    { now: io.now },
  );
  const who = () => {
    if (!values.why?.trim()) throw new UsageError(`${command} needs --why <text>: the reason is recorded`);
    if (values.by !== undefined && values.actor !== undefined && values.by !== values.actor) {
      throw new UsageError('--actor and --by name the same person: give one');
    }
    return { by: values.actor ?? values.by ?? io.env.USER ?? userInfo().username, why: values.why };
  };
  /**
   * The registry for a write, wrapped so the change lands in the audit trail; `done` reports the
   * change, and an audit that failed (the change stands: the registry's history has it) as exit 1.
   */
  const writing = async <T>(write: (r: ModelRegistry) => Promise<T>, done: (result: T) => string) => {
    const audit = await (io.openAudit ?? openModelAudit)(io.env);
    let failure: unknown;
    const sink: AuditSink | undefined = audit.sink;
    const guarded: AuditSink = async (entry) => {
      try {
        await sink?.(entry);
      } catch (error) {
        failure = error;
      }
    };
    try {
      const result = await write(sink ? auditedRegistry(registry, guarded, 'model-cli') : registry);
      io.out(done(result));
    } finally {
      await audit.close();
    }
    if (failure !== undefined) {
      io.err(`error: the change was made but not recorded in audit_log: ${(failure as Error).message}`);
      return 1;
    }
    if (!sink) {
      io.err(
        'warning: not recorded in audit_log (set CLICKHOUSE_URL, or KAFKA_BROKERS and SCHEMA_REGISTRY_URL); the registry history has it',
      );
    }
    return 0;
  };
  const refArg = async () => {
    if (rest.length !== 1) throw new UsageError(`${command} takes one model reference like fraud_gbdt@1`);
    const ref = rest[0] as string;
    try {
      parseRef(ref);
      await registry.metadata(ref);
    } catch (error) {
      throw new UsageError(`${ref} is not a registered model version (see npm run model -- list)`, { cause: error });
    }
    return ref;
  };
  const noMore = () => {
    if (rest.length > 0) throw new UsageError(`${command} takes no arguments, got ${rest.join(' ')}`);
  };

  switch (command) {
    case 'list': {
      noMore();
      const [models, aliases] = await Promise.all([registry.list(), registry.aliases()]);
      io.out(['model', 'alias', 'created', 'feature set', 'roc_auc', 'avg_prec'].join('\t'));
      for (const m of models) {
        const ref = `${m.name}@${m.version}`;
        const metric = (k: string) => (typeof m.metrics[k] === 'number' ? (m.metrics[k] as number).toFixed(4) : '-');
        io.out(
          [
            ref,
            findRef(aliases, ref)?.alias ?? '-',
            m.created_at,
            `${m.feature_set.name} v${m.feature_set.version}`,
            metric('roc_auc'),
            metric('average_precision'),
          ].join('\t'),
        );
      }
      return 0;
    }
    case 'show': {
      const ref = await refArg();
      const [meta, aliases] = await Promise.all([registry.metadata(ref), registry.aliases()]);
      const where = findRef(aliases, ref);
      const block = (where?.scope && aliases.scopes?.[where.scope]) || topBlock(aliases);
      const history = block.history.filter((h) => h.ref === ref || h.previous === ref);
      io.out(JSON.stringify({ ...meta, alias: where?.alias ?? null, history }, null, 2));
      return 0;
    }
    case 'promote': {
      const ref = await refArg();
      const to = values.to;
      if (to === undefined || !isAlias(to)) {
        throw new UsageError(`promote needs --to <alias>, one of ${ALIASES.join(', ')}${to ? ` (got '${to}')` : ''}`);
      }
      const by = who();
      return writing(
        (r) => r.promote(ref, to, by),
        (next) => {
          const scope = findRef(next, ref)?.scope;
          const block = (scope && next.scopes?.[scope]) || topBlock(next);
          const of = scope ? ` of ${scope}` : '';
          return `${ref} is now ${to}${of}; champion${of}: ${block.champion ?? '(none)'}`;
        },
      );
    }
    case 'import': {
      if (kind !== 'mlflow' || !io.env.MLFLOW_TRACKING_URI) {
        throw new UsageError('import copies into MLflow: set MODEL_REGISTRY=mlflow and MLFLOW_TRACKING_URI');
      }
      if (rest.length !== 1) throw new UsageError('import takes one model reference like fraud_gbdt@2');
      const ref = rest[0] as string;
      const from = fileRegistry(values.from ?? io.env.MODEL_REGISTRY_DIR ?? io.defaultDir);
      let dir: string;
      try {
        dir = dirname(await from.artifact(ref));
      } catch (error) {
        throw new UsageError(`${ref} is not a version of the file registry at ${from.dir}`, { cause: error });
      }
      const imported = await publishVersion(mlflowClient(io.env.MLFLOW_TRACKING_URI), {
        scope: io.env.MLFLOW_REGISTRY_SCOPE ?? DEFAULT_SCOPE,
        name: parseRef(ref).name,
        dir,
        tags: { 'pipeline.imported_from': `${ref} in ${from.dir}` },
      });
      io.out(`imported ${ref} as ${imported} (promote it to serve it)`);
      return 0;
    }
    case 'rollback': {
      noMore();
      const by = who();
      const scope = values.scope;
      return writing(
        (r) => r.rollback(by, scope),
        (next) => {
          const block = (scope && next.scopes?.[scope]) || topBlock(next);
          return `rolled back; champion${scope ? ` of ${scope}` : ''}: ${block.champion}`;
        },
      );
    }
    case undefined:
      throw new UsageError('no command');
    default:
      throw new UsageError(`unknown command '${command}'`);
  }
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      registry: { type: 'string' },
      to: { type: 'string' },
      why: { type: 'string' },
      by: { type: 'string' },
      actor: { type: 'string' },
      from: { type: 'string' },
      scope: { type: 'string' },
    },
  });
}

/**
 * The model registry's data and interface, owned here for every implementation (file-registry.ts,
 * mlflow-registry.ts) and every user (the scorer, `npm run model`, the monitor, the console through
 * `@pipeline/scorer`). A model version is `name@version`; its artifact directory holds
 * `model.onnx`, `metadata.json` and (from the trainer) `fixture.json`. Aliases say which versions
 * serve: one champion (decides), at most one challenger and any number of shadows (scored, flagged,
 * never decide), and archived ones (kept, not served). Aliases are per use case: a model's **scope** is
 * the name of the feature set it declares as its input contract (`fraud_core`, `recsys_core`), and
 * each scope has its own champion, challenger, shadows, archive and history (see scopes.ts).
 */
export const ALIASES = ['champion', 'challenger', 'shadow', 'archived'] as const;
export type Alias = (typeof ALIASES)[number];

export interface ModelMetadata {
  name: string;
  version: string;
  created_at: string;
  created_by?: string;
  /** Artifact file name inside the version's directory. */
  file: string;
  sha256: string;
  bytes?: number;
  /** The input contract: the vector must be this feature set's, in this order. */
  feature_set: { name: string; version: number; names: string[] };
  /** ONNX input name; output tensor and column holding the fraud probability. */
  input: string;
  output: { name: string; column: number };
  /** Per-feature substitution baseline for contributions (null = NaN). */
  reference_vector: (number | null)[];
  training_window: { train_from: string; train_to: string; test_from: string; test_to: string; split?: string };
  metrics: Record<string, unknown>;
  [extra: string]: unknown;
}

export interface AliasChange {
  at: string;
  by: string;
  why: string;
  action: 'promote' | 'rollback';
  ref: string;
  alias: Alias;
  /** What the alias pointed at before (champion/challenger), for rollback. */
  previous: string | null;
}

/** One scope's aliases. */
export interface AliasBlock {
  champion: string | null;
  challenger: string | null;
  shadow: string[];
  archived: string[];
  history: AliasChange[];
}

/**
 * The registry's aliases: the top-level block is the **default scope** (whichever feature set its
 * versions declare; a registry written before scopes has only it), `scopes` holds every other
 * scope's block by feature-set name. Absent when there are none, so a file of one use case reads
 * and writes as before.
 */
export interface AliasFile extends AliasBlock {
  scopes?: Record<string, AliasBlock>;
}

export interface ModelRef {
  name: string;
  version: string;
}

export interface Who {
  by: string;
  why: string;
}

/**
 * What the scorer, the monitor, the console and the `model` command need of a registry, whichever
 * holds it: the file-backed one (`fileRegistry`, the default) or MLflow's (`mlflowRegistry`).
 */
export interface ModelRegistry {
  /** Where it lives, for messages and the console: a directory, or `mlflow <tracking URI>`. */
  readonly dir: string;
  list(): Promise<ModelMetadata[]>;
  metadata(ref: string): Promise<ModelMetadata>;
  /** Absolute local path of the version's model file (MLflow's is downloaded into a cache first). */
  artifact(ref: string): Promise<string>;
  aliases(): Promise<AliasFile>;
  /** Moves `ref` to `alias` within its scope (its feature set's name); other scopes are untouched. */
  promote(ref: string, alias: Alias, who: Who): Promise<AliasFile>;
  /** Rolls back the champion of `scope` (a feature-set name); without one, of the default scope. */
  rollback(who: Who, scope?: string): Promise<AliasFile>;
}

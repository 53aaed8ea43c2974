/**
 * The model registry's data and interface, owned here for every implementation (file-registry.ts,
 * mlflow-registry.ts) and every user (the scorer, `npm run model`, the monitor, the console through
 * `@pipeline/scorer`). A model version is `name@version`; its artifact directory holds
 * `model.onnx`, `metadata.json` and (from the trainer) `fixture.json`. Aliases say which versions
 * serve: one champion (decides), at most one challenger and any number of shadows (scored, flagged,
 * never decide), and archived ones (kept, not served).
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

export interface AliasFile {
  champion: string | null;
  challenger: string | null;
  shadow: string[];
  archived: string[];
  history: AliasChange[];
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
  promote(ref: string, alias: Alias, who: Who): Promise<AliasFile>;
  rollback(who: Who): Promise<AliasFile>;
}

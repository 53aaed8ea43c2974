import { randomBytes } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mlflowUri } from '@pipeline/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { runModelCli } from '../src/cli/model-cli.js';
import { fileSha256 } from '../src/registry/file-registry.js';
import { mlflowRegistry } from '../src/registry/mlflow-registry.js';
import { committedModelDir } from '../src/registry/test-registry.js';
import type { ModelMetadata } from '../src/registry/types.js';

let uri: string;
beforeAll(async () => {
  uri = await mlflowUri();
}, 900_000);

async function cli(argv: string[], env: Record<string, string>) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runModelCli(argv, {
    out: (l) => out.push(l),
    err: (l) => err.push(l),
    env: { USER: 'ana', ...env },
    defaultDir: '/nonexistent',
  });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('npm run model -- import, on MLflow', () => {
  it('copies a file-registry version into MLflow, where it is promoted and served like any other', async () => {
    const token = randomBytes(4).toString('hex');
    const name = `fraud_gbdt_${token}`;
    const files = mkdtempSync(join(tmpdir(), 'file-registry-'));
    const dir = join(files, name, '7');
    cpSync(committedModelDir, dir, { recursive: true });
    const meta = JSON.parse(readFileSync(join(dir, 'metadata.json'), 'utf8')) as ModelMetadata;
    writeFileSync(join(dir, 'metadata.json'), JSON.stringify({ ...meta, name, version: '7' }));
    const env = { MODEL_REGISTRY: 'mlflow', MLFLOW_TRACKING_URI: uri, MLFLOW_REGISTRY_SCOPE: `import-${token}` };

    const imported = await cli(['import', `${name}@7`, '--from', files], env);
    expect(imported).toMatchObject({ code: 0, out: `imported ${name}@7 as ${name}@1 (promote it to serve it)` });
    expect((await cli(['list'], env)).out).toMatch(new RegExp(`${name}@1\\t-\\t`));
    const promoted = await cli(['promote', `${name}@1`, '--to', 'champion', '--why', 'moved to MLflow'], env);
    expect(promoted).toMatchObject({ code: 0 });
    const shown = JSON.parse((await cli(['show', `${name}@1`], env)).out);
    expect(shown).toMatchObject({ alias: 'champion', sha256: meta.sha256, version: '1' });
    expect(shown.history[0]).toMatchObject({ by: 'ana', why: 'moved to MLflow', ref: `${name}@1` });

    const registry = mlflowRegistry(uri, { scope: `import-${token}`, cacheDir: mkdtempSync(join(tmpdir(), 'cache-')) });
    expect(await fileSha256(await registry.artifact(`${name}@1`))).toBe(meta.sha256);
  });

  it('refuses a version the file registry does not hold, and an import outside MLflow', async () => {
    const env = { MODEL_REGISTRY: 'mlflow', MLFLOW_TRACKING_URI: uri, MLFLOW_REGISTRY_SCOPE: 'import-refusals' };
    const files = mkdtempSync(join(tmpdir(), 'file-registry-'));
    expect(await cli(['import', 'fraud_gbdt@9', '--from', files], env)).toMatchObject({
      code: 2,
      err: expect.stringMatching(/fraud_gbdt@9 is not a version of the file registry/),
    });
    expect(await cli(['import', 'fraud_gbdt@9'], {})).toMatchObject({
      code: 2,
      err: expect.stringMatching(/import copies into MLflow: set MODEL_REGISTRY=mlflow and MLFLOW_TRACKING_URI/),
    });
  });
});

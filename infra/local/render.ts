import { readFileSync, writeFileSync } from 'node:fs';

/** Copies a config template from infra/, replacing every {{NAME}} with its value; unknown names fail. */
export function renderTemplate(source: string, target: string, values: Record<string, string | number>): void {
  const text = readFileSync(source, 'utf8').replace(/\{\{([A-Z_]+)\}\}/g, (_, key: string) => {
    const value = values[key];
    if (value === undefined) throw new Error(`${source}: no value for {{${key}}}`);
    return String(value);
  });
  writeFileSync(target, text);
}

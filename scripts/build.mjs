// `npm run build`: what deployed services run. Transpiles every workspace package's src/**/*.ts (not
// tests) to a sibling dist/ (src/a/b.ts -> dist/a/b.js) with esbuild, one file at a time: no bundling,
// no type-checking (that is `npm run typecheck`). dist/ sits at src/'s depth, so the code's paths
// relative to its own module (new URL('../x', import.meta.url)) hold in both. Other files in src/
// (Lua scripts; not READMEs) are copied beside. Node then runs dist/ without tsx, whose loader hooks cost CPU on
// every require() kafkajs makes per request; workspace imports reach dist/ through the export
// condition `pipeline-dist` (README, "Compiled build"). Only changed files are written, and files no
// source produces any more are removed, so a build during a run touches nothing it does not change.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const began = performance.now();

/** Workspace folders (from the root package.json) that have a src/. */
function packagesWithSources() {
  const { workspaces } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const dirs = workspaces.flatMap((pattern) =>
    pattern.endsWith('/*')
      ? readdirSync(join(root, pattern.slice(0, -2)), { withFileTypes: true })
          .filter((d) => d.isDirectory())
          .map((d) => `${pattern.slice(0, -2)}/${d.name}`)
      : [pattern],
  );
  return dirs.filter((dir) => existsSync(join(root, dir, 'package.json')) && existsSync(join(root, dir, 'src')));
}

/** Every file under dir, as paths relative to dir. */
function walk(dir, prefix = '') {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
    d.isDirectory() ? walk(join(dir, d.name), `${prefix}${d.name}/`) : [`${prefix}${d.name}`],
  );
}

const isSource = (file) => file.endsWith('.ts') && !file.endsWith('.test.ts') && !file.endsWith('.d.ts');

/** Writes `contents` to `file` unless it already holds exactly that; true if written. */
function writeIfChanged(file, contents) {
  if (existsSync(file) && readFileSync(file).equals(contents)) return false;
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, contents);
  return true;
}

function removeEmptyDirs(dir) {
  for (const d of readdirSync(dir, { withFileTypes: true })) {
    if (d.isDirectory()) removeEmptyDirs(join(dir, d.name));
  }
  if (readdirSync(dir).length === 0) rmdirSync(dir);
}

const packages = packagesWithSources().map((dir) => {
  const files = walk(join(root, dir, 'src'));
  return {
    dir,
    sources: files.filter(isSource),
    assets: files.filter((f) => !f.endsWith('.ts') && !f.endsWith('.md')),
  };
});

const result = await build({
  absWorkingDir: root,
  entryPoints: packages.flatMap(({ dir, sources }) =>
    sources.map((file) => ({ in: `${dir}/src/${file}`, out: `${dir}/dist/${file.slice(0, -'.ts'.length)}` })),
  ),
  outdir: root,
  bundle: false,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // `NODE_OPTIONS=--enable-source-maps` puts the .ts lines into stack traces.
  sourcemap: 'linked',
  sourcesContent: false,
  write: false,
  logLevel: 'warning',
});

// A package with a browser application (`web/app.ts`, the console's) gets it bundled for the browser
// into dist/web/app.js, with the other files of web/ (its page and stylesheet; not tests) beside.
const webApps = packages.filter(({ dir }) => existsSync(join(root, dir, 'web', 'app.ts')));
const web =
  webApps.length === 0
    ? { outputFiles: [] }
    : await build({
        absWorkingDir: root,
        entryPoints: webApps.map(({ dir }) => ({ in: `${dir}/web/app.ts`, out: `${dir}/dist/web/app` })),
        outdir: root,
        bundle: true,
        format: 'esm',
        platform: 'browser',
        target: 'es2022',
        minify: true,
        sourcemap: 'linked',
        sourcesContent: false,
        write: false,
        logLevel: 'warning',
      });
for (const { dir, assets } of webApps) {
  for (const file of walk(join(root, dir, 'web'))) {
    if (!file.endsWith('.ts')) assets.push(`../web/${file}`);
  }
}

let written = 0;
let removed = 0;
const byPackage = new Map(packages.map((p) => [p.dir, new Set()]));
const packageOf = (file) => packages.find((p) => file.startsWith(`${p.dir}/dist/`))?.dir;
for (const output of [...result.outputFiles, ...web.outputFiles]) {
  const file = relative(root, output.path);
  byPackage.get(packageOf(file))?.add(file);
  if (writeIfChanged(output.path, output.contents)) written++;
}
for (const { dir, assets } of packages) {
  for (const asset of assets) {
    // `../web/x` (a browser application's file) lands in dist/web/x.
    const file = `${dir}/dist/${asset.replace(/^\.\.\//, '')}`;
    byPackage.get(dir).add(file);
    if (writeIfChanged(join(root, file), readFileSync(join(root, dir, 'src', asset)))) written++;
  }
}
for (const { dir, sources, assets } of packages) {
  const dist = join(root, dir, 'dist');
  const expected = byPackage.get(dir);
  for (const file of walk(dist)) {
    if (expected.has(`${dir}/dist/${file}`)) continue;
    rmSync(join(dist, file));
    removed++;
  }
  if (existsSync(dist)) removeEmptyDirs(dist);
  const extra = assets.length > 0 ? `, ${assets.length} other file${assets.length === 1 ? '' : 's'} copied` : '';
  console.log(`  ${`${dir}/dist`.padEnd(28)} ${String(sources.length).padStart(3)} modules${extra}`);
}
const ms = Math.round(performance.now() - began);
console.log(
  `built ${packages.reduce((n, p) => n + p.sources.length, 0)} modules in ${packages.length} packages in ${ms} ms (${written} files written, ${removed} removed)`,
);

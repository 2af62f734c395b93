import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { buildSync, version as esbuildVersion } from 'esbuild';

/**
 * The server compiled once, the way `npm start` compiles it (esbuild, one JavaScript file per module), for the tests
 * that start it in processes of its own. Started through tsx instead, every such process compiled or looked up every
 * module of the server again through loader hooks: seconds of CPU apiece, and the tests that start instances start
 * dozens of them.
 *
 * A build is kept under dist/test-build/, named by a digest of its sources, so that every process of a test run (and
 * the next run, while the sources stay as they are) uses the same one, and a changed source is never run stale. It
 * stays there after the run: coverage reports read its source maps back to the TypeScript sources.
 */
const SOURCE_DIRS = ['server', 'federation'];
/** What else decides the output: the compiler's settings and version, and the options below. */
const SETTINGS_FILES = ['tsconfig.json', 'package.json'];
const OPTIONS = { format: 'esm', platform: 'node', target: 'node20', sourcemap: 'linked' } as const;
/** Builds of other sources older than this are removed when a new one is made. */
const KEEP_MS = 60 * 60 * 1000;

let built: string | undefined;

function sourceFiles(root: string): string[] {
  return SOURCE_DIRS.flatMap((dir) =>
    fs
      .readdirSync(path.join(root, dir), { recursive: true, encoding: 'utf8' })
      .filter((name) => name.endsWith('.ts'))
      .map((name) => path.join(dir, name)),
  ).sort();
}

function digest(root: string, files: readonly string[]): string {
  const hash = createHash('sha256').update(`${esbuildVersion}\0${JSON.stringify(OPTIONS)}\0`);
  for (const file of [...SETTINGS_FILES, ...files]) hash.update(`${file}\0`).update(fs.readFileSync(path.join(root, file))).update('\0');
  return hash.digest('hex').slice(0, 16);
}

function removeOldBuilds(buildRoot: string, keep: string): void {
  for (const entry of fs.readdirSync(buildRoot)) {
    const dir = path.join(buildRoot, entry);
    if (entry === keep) continue;
    if (Date.now() - fs.statSync(dir).mtimeMs > KEEP_MS) fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The folder holding the compiled copy of the current sources (its server/main.js, server/cli.js …), built if it is
 * not there yet. Inside the repository, so that the copy finds node_modules and the project's files as the sources do.
 */
export function compiledServer(root: string): string {
  if (built) return built;
  const files = sourceFiles(root);
  const buildRoot = path.join(root, 'dist', 'test-build');
  const name = digest(root, files);
  const dir = path.join(buildRoot, name);
  if (!fs.existsSync(dir)) {
    // Built aside and renamed into place: processes building at once (parallel test workers) never see half a build.
    const aside = `${dir}.${process.pid}.partial`;
    fs.rmSync(aside, { recursive: true, force: true });
    buildSync({ ...OPTIONS, entryPoints: files.map((file) => path.join(root, file)), outdir: aside, outbase: root, logLevel: 'warning' });
    try {
      fs.renameSync(aside, dir);
    } catch (error) {
      // Another process put the same build there first.
      fs.rmSync(aside, { recursive: true, force: true });
      if (!fs.existsSync(dir)) throw error;
    }
    removeOldBuilds(buildRoot, name);
  }
  built = dir;
  return dir;
}

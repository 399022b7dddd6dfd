import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

export const ROOT = join(__dirname, '..', '..');

/** The newest modification time of the build's sources (src/, libs/, the bundler), in ms. */
function newestSource(): number {
  let newest = 0;
  for (const folder of ['src', 'libs', 'tools']) {
    for (const entry of readdirSync(join(ROOT, folder), { recursive: true, encoding: 'utf8' })) {
      if (entry.includes('node_modules') || entry.includes('dist')) continue;
      const stat = statSync(join(ROOT, folder, entry));
      if (stat.isFile() && stat.mtimeMs > newest) newest = stat.mtimeMs;
    }
  }
  return newest;
}

/**
 * Builds Herald (`npm run build`: dist/herald.cjs, dist/src/cli.js) unless the build is
 * newer than every source, as ./herald does before it runs: suites that run the real
 * server or CLI as child processes then run this code, not an older build.
 */
export function ensureBuilt(): void {
  const built = [join(ROOT, 'dist', 'herald-server.cjs'), join(ROOT, 'dist', 'src', 'cli.js')];
  if (built.every(existsSync) && Math.min(...built.map((f) => statSync(f).mtimeMs)) >= newestSource()) return;
  execFileSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
}

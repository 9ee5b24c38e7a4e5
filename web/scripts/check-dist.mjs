// Rebuild the app into a temporary directory and compare it with the committed dist/,
// byte for byte. Exit 1 (and list the differences) when they differ: dist/ is stale, or
// the build is not deterministic.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

const webDir = fileURLToPath(new URL('..', import.meta.url))
const committed = join(webDir, 'dist')
const fresh = mkdtempSync(join(tmpdir(), 'academy-web-dist-'))

function files(root) {
  const out = []
  const walk = (dir) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name)
      if (statSync(path).isDirectory()) walk(path)
      else out.push(relative(root, path))
    }
  }
  walk(root)
  return out.sort()
}

try {
  const vite = join(webDir, 'node_modules', '.bin', 'vite')
  const build = spawnSync(vite, ['build', '--outDir', fresh, '--emptyOutDir', '--logLevel', 'warn'], {
    cwd: webDir,
    stdio: 'inherit',
  })
  if (build.status !== 0) {
    console.error(`check-dist: vite build failed (exit ${build.status})`)
    process.exit(1)
  }

  const before = files(committed)
  const after = files(fresh)
  const problems = []
  for (const file of before) if (!after.includes(file)) problems.push(`only in committed dist/: ${file}`)
  for (const file of after) {
    if (!before.includes(file)) problems.push(`missing from committed dist/: ${file}`)
    else if (!readFileSync(join(committed, file)).equals(readFileSync(join(fresh, file)))) {
      problems.push(`differs: ${file}`)
    }
  }

  if (problems.length > 0) {
    console.error('check-dist: web/dist does not match a fresh build:')
    for (const problem of problems) console.error(`  ${problem}`)
    console.error('Run `npm run build` in web/ and commit web/dist.')
    process.exit(1)
  }
  console.log(`check-dist: web/dist matches a fresh build (${after.length} files).`)
} finally {
  rmSync(fresh, { recursive: true, force: true })
}

// End-to-end test of the web app against the real stack, in headless Chromium.
//
// Started by scripts/e2e.py (`make test-e2e`), which runs PostgreSQL, Redis, a Celery worker
// and gunicorn, and passes in the environment:
//   BASE_URL, USERNAME, PASSWORD, TENANT_ID   where and as whom to log in
//   VIDEO_PATH, VIDEO_SECONDS                 the clip to upload and its length
//   XLSX_PATH, EXPECTED_FAILED (JSON [{row, name, reason (regex)}]), EXPECTED_CREATED, EXPECTED_TOTAL
//   ARTIFACTS_DIR                             screenshots and summary.json (default ../artifacts/e2e)
// Prints one line per check and, last, `e2e: N passed, M failed`; exits 1 if any check failed.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright-core'

const here = path.dirname(fileURLToPath(import.meta.url))
const env = process.env
const BASE_URL = (env.BASE_URL ?? 'http://127.0.0.1:8000').replace(/\/$/, '')
const ARTIFACTS = path.resolve(env.ARTIFACTS_DIR ?? path.join(here, '..', '..', 'artifacts', 'e2e'))
const ORIGIN = new URL(BASE_URL).origin
const TERMINAL = new Set(['READY', 'DONE', 'FAILED'])
const CHROMIUM = ['/usr/lib/chromium/chromium', '/usr/bin/chromium'].find((p) => fs.existsSync(p))
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

const t0 = performance.now()
const now = () => Math.round(performance.now() - t0)
const log = (...parts) => console.log(`[${(now() / 1000).toFixed(1)}s]`, ...parts)

// --- checks -----------------------------------------------------------------------------

const checks = []
function check(name, ok, detail = '') {
  checks.push({ name, ok: Boolean(ok), detail: String(detail) })
  log(ok ? 'ok  ' : 'FAIL', name, detail ? `— ${detail}` : '')
  return Boolean(ok)
}

/** Run one phase; an exception fails it (and later phases that need its result skip). */
async function phase(name, fn) {
  try {
    return await fn()
  } catch (error) {
    check(`${name} (no exception)`, false, String(error?.message ?? error).split('\n')[0])
    await shot(`error-${name.replace(/\W+/g, '-')}`)
    return undefined
  }
}

let page
const screenshots = []
async function shot(name) {
  if (!page) return
  const file = path.join(ARTIFACTS, `${name}.png`)
  try {
    await page.screenshot({ path: file, fullPage: true })
    screenshots.push(path.basename(file))
  } catch (error) {
    log('screenshot failed', name, String(error))
  }
}

// --- request accounting -----------------------------------------------------------------

/** Every same-origin request: when it was sent, and for progress answers what they said. */
const requests = []
/** progress path -> ms when its first terminal answer had been received in full. */
const terminalAt = new Map()
/** progress path -> every status/percent answered, in order. */
const progressAnswers = new Map()

const VIDEO_PROGRESS = /^\/media\/videos\/([^/]+)\/progress\/$/
const JOB_PROGRESS = /^\/api\/v1\/jobs\/([^/]+)\/progress\/$/

function trackRequests(p) {
  p.on('request', (request) => {
    const url = new URL(request.url())
    if (url.origin !== ORIGIN) return
    requests.push({ t: now(), method: request.method(), path: url.pathname })
  })
  p.on('requestfinished', async (request) => {
    const at = now()
    const url = new URL(request.url())
    if (url.origin !== ORIGIN || request.method() !== 'GET') return
    if (!VIDEO_PROGRESS.test(url.pathname) && !JOB_PROGRESS.test(url.pathname)) return
    try {
      const response = await request.response()
      if (!response || response.status() !== 200) return
      const body = await response.json()
      const percent = body.encoding_progress ?? body.progress?.percent ?? null
      const answers = progressAnswers.get(url.pathname) ?? []
      answers.push({ t: at, status: body.status, percent })
      progressAnswers.set(url.pathname, answers)
      if (TERMINAL.has(body.status) && !terminalAt.has(url.pathname)) terminalAt.set(url.pathname, at)
    } catch {
      // a body that is not JSON is not a progress answer
    }
  })
}

const countGets = (pathname) => requests.filter((r) => r.method === 'GET' && r.path === pathname).length

// --- the video progress bar, watched from inside the page -------------------------------

/** Record every change of a task row's aria-valuenow / status, as the user would see it. */
function watchTaskRows() {
  window.__e2eSamples = []
  const sample = () => {
    for (const row of document.querySelectorAll('[data-testid="task-row"]')) {
      const bar = row.querySelector('[data-testid="task-progress"]')
      if (!bar) continue
      const id = row.dataset.taskId
      const value = Number(bar.getAttribute('aria-valuenow'))
      const status = row.dataset.status
      const last = window.__e2eSamples.findLast((s) => s.id === id)
      if (!last || last.value !== value || last.status !== status) {
        window.__e2eSamples.push({ id, value, status, t: Math.round(performance.now()) })
      }
    }
  }
  new MutationObserver(sample).observe(document.body, {
    subtree: true,
    childList: true,
    attributes: true,
    attributeFilter: ['aria-valuenow', 'data-status'],
  })
  sample()
}

const byTestId = (id) => `[data-testid="${id}"]`

// --- the test ---------------------------------------------------------------------------

async function main() {
  fs.mkdirSync(ARTIFACTS, { recursive: true })
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'academy-e2e-chromium-'))
  const summary = { baseUrl: BASE_URL }
  let context
  const pageErrors = []
  const consoleLines = []
  try {
    if (!CHROMIUM) throw new Error('chromium not found at /usr/lib/chromium/chromium or /usr/bin/chromium')
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: ARGS,
      viewport: { width: 1280, height: 900 },
    })
    page = context.pages()[0] ?? (await context.newPage())
    page.setDefaultTimeout(20_000)
    trackRequests(page)
    page.on('pageerror', (error) => pageErrors.push(String(error)))
    page.on('console', (message) => consoleLines.push(`${message.type()}: ${message.text()}`))

    const loggedIn = await phase('login', () => login(summary))
    let video
    if (loggedIn) video = await phase('video upload and encoding', () => uploadAndEncode(summary))
    if (video) await phase('video playback', () => playVideo(video, summary))
    let job
    if (loggedIn) job = await phase('student import', () => importRoster(summary))

    // Give a wrongly scheduled poll time to show itself: polls are 1-2 s apart, so wait until
    // 3 s after the last terminal answer.
    const lastEnd = Math.max(0, ...terminalAt.values())
    await page.waitForTimeout(Math.max(0, lastEnd + 3_000 - now()))
    requestChecks({ video, job }, summary)
    check('no uncaught errors in the page', pageErrors.length === 0, pageErrors.slice(0, 3).join(' | '))
  } catch (error) {
    check('browser session (no exception)', false, String(error?.message ?? error).split('\n')[0])
  } finally {
    await context?.close().catch(() => {})
    fs.rmSync(userDataDir, { recursive: true, force: true })
  }

  summary.seconds = Math.round(now() / 100) / 10
  summary.screenshots = screenshots
  summary.checks = checks
  summary.requests = requests
  summary.progressAnswers = Object.fromEntries(progressAnswers)
  fs.writeFileSync(path.join(ARTIFACTS, 'summary.json'), JSON.stringify(summary, null, 2))
  fs.writeFileSync(path.join(ARTIFACTS, 'console.log'), consoleLines.join('\n') + '\n')

  const failed = checks.filter((c) => !c.ok).length
  console.log('')
  for (const c of checks) console.log(`  ${c.ok ? 'PASS' : 'FAIL'}  ${c.name}${c.detail ? ` — ${c.detail}` : ''}`)
  console.log(`screenshots: ${screenshots.join(', ')} (in ${ARTIFACTS})`)
  console.log(`e2e: ${checks.length - failed} passed, ${failed} failed`)
  return failed === 0 && checks.length > 0 ? 0 : 1
}

async function login(summary) {
  await page.goto(`${BASE_URL}/`)
  await page.locator(byTestId('login-form')).waitFor()
  await page.locator(byTestId('login-username')).fill(env.USERNAME)
  await page.locator(byTestId('login-password')).fill(env.PASSWORD)
  await page.locator(byTestId('login-tenant')).fill(String(env.TENANT_ID))
  await shot('01-login')
  const answer = page.waitForResponse((r) => new URL(r.url()).pathname === '/api/v1/auth/token/')
  await page.locator(byTestId('login-submit')).click()
  const token = await answer
  check('login: token endpoint answers 200', token.status() === 200, `HTTP ${token.status()}`)
  await page.locator(byTestId('tasks-panel')).waitFor()
  const tenant = (await page.locator(byTestId('tenant-name')).textContent())?.trim()
  summary.tenantName = tenant
  check('login: the shell shows the tenant', Boolean(tenant), `tenant-name "${tenant}"`)
  await page.evaluate(watchTaskRows)
  return true
}

async function uploadAndEncode(summary) {
  await page.locator(byTestId('nav-upload')).click()
  await page.locator(byTestId('upload-form')).waitFor()
  await page.locator(byTestId('upload-title')).fill('E2E clip')
  await page.locator(byTestId('upload-file')).setInputFiles(env.VIDEO_PATH)
  const answer = page.waitForResponse(
    (r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/media/videos/',
    { timeout: 60_000 },
  )
  const uploadStarted = now()
  await page.locator(byTestId('upload-submit')).click()
  const response = await answer
  const created = await response.json().catch(() => ({}))
  check('upload: POST /media/videos/ answers 201 with an id', response.status() === 201 && created.id != null,
    `HTTP ${response.status()} ${JSON.stringify(created)}`)
  if (created.id == null) throw new Error('no video id')
  const id = String(created.id)
  await page.locator(byTestId('upload-done')).waitFor()
  summary.video = { id, uploadMs: now() - uploadStarted }

  const row = page.locator(`${byTestId('task-row')}[data-kind="video"][data-task-id="${id}"]`)
  await row.waitFor()
  // Screenshot the first intermediate state the bar shows, then wait for READY.
  let midShot = false
  const deadline = Date.now() + 90_000
  let status = 'UNKNOWN'
  while (Date.now() < deadline) {
    const samples = await page.evaluate((vid) => window.__e2eSamples.filter((s) => s.id === vid), id)
    const latest = samples.at(-1)
    status = latest?.status ?? 'UNKNOWN'
    if (!midShot && latest && latest.value > 0 && latest.value < 100 && !TERMINAL.has(status)) {
      midShot = true
      await shot('02-progress-midway')
    }
    if (TERMINAL.has(status)) break
    await page.waitForTimeout(100)
  }
  const encodeMs = now() - uploadStarted
  await page.waitForTimeout(450) // the bar's width transition (0.4 s), for the screenshot only
  await shot('03-video-ready')
  const samples = await page.evaluate((vid) => window.__e2eSamples.filter((s) => s.id === vid), id)
  const values = samples.map((s) => s.value)
  const before = samples.filter((s) => !TERMINAL.has(s.status)).map((s) => s.value)
  const intermediate = values.filter((v) => v > 0 && v < 100)
  const distinctBefore = [...new Set(before)]
  summary.video.progressSamples = samples
  summary.video.readyAfterMs = encodeMs
  const shown = samples.map((s) => `${s.value}${s.status === 'PROCESSING' ? '' : `(${s.status})`}`).join(' → ')
  check('video: the task row reaches READY', status === 'READY', `status ${status} after ${(encodeMs / 1000).toFixed(1)} s`)
  check('video: the progress bar moved before READY (an intermediate value, or two distinct values)',
    intermediate.length > 0 || distinctBefore.length >= 2, `aria-valuenow ${shown}`)
  check('video: the progress bar never went backwards',
    values.every((v, i) => i === 0 || v >= values[i - 1]), values.join(','))
  check('video: a mid-way screenshot was taken', midShot, midShot ? '02-progress-midway.png' : 'no intermediate value seen')
  const poller = await row.getAttribute('data-poller')
  check('video: the row\'s poller is finished', poller === 'finished', `data-poller=${poller}`)
  if (status !== 'READY') throw new Error(`video ended ${status}`)
  return id
}

async function playVideo(id, summary) {
  // Open the video page the way a user does: the link in the task row.
  await page.locator(`${byTestId('task-row')}[data-task-id="${id}"] a[href="#/videos/${id}"]`).click()
  const videoPage = page.locator(`${byTestId('video-page')}[data-status="READY"]`)
  await videoPage.waitFor()
  const player = page.locator(byTestId('video-player'))
  await player.waitFor()
  // hls.js attaches a MediaSource; wait until the first frames are decodable.
  await page.waitForFunction(
    () => {
      const v = document.querySelector('[data-testid="video-player"]')
      return (v && v.readyState >= 2) || document.querySelector('[data-testid="video-player-error"]')
    },
    null,
    { timeout: 20_000 },
  )
  const playback = await page.evaluate(async () => {
    const v = document.querySelector('[data-testid="video-player"]')
    v.muted = true
    const start = v.currentTime
    let playError = null
    try {
      await v.play()
    } catch (error) {
      playError = String(error)
    }
    const samples = []
    for (let i = 0; i < 8; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 250))
      samples.push(Math.round(v.currentTime * 1000) / 1000)
    }
    return {
      start,
      samples,
      playError,
      duration: v.duration,
      paused: v.paused,
      width: v.videoWidth,
      height: v.videoHeight,
      error: v.error?.message ?? null,
    }
  })
  await shot('04-video-playing')
  const playerError = await page.locator(byTestId('video-player-error')).count()
  const advancing = playback.samples.every((t, i) => i === 0 || t > playback.samples[i - 1])
  summary.video.playback = playback
  check('video page: no player error', playerError === 0 && !playback.error && !playback.playError,
    playback.playError ?? playback.error ?? (playerError ? await page.locator(byTestId('video-player-error')).textContent() : ''))
  check('video page: currentTime advances after play() (muted)',
    advancing && playback.samples.at(-1) > 1, `currentTime ${playback.samples.join(' → ')} s, paused=${playback.paused}`)
  const expected = Number(env.VIDEO_SECONDS ?? 0)
  check('video page: the stream has the clip\'s length and a picture',
    Math.abs(playback.duration - expected) < 1 && playback.width > 0,
    `duration ${playback.duration?.toFixed?.(2)} s (clip ${expected} s), ${playback.width}x${playback.height}`)
  const hls = requests.filter((r) => r.path.startsWith('/media/hls/'))
  summary.video.hlsRequests = hls.length
  check('video page: HLS files were fetched through signed URLs', hls.length >= 3,
    `${hls.length} requests under /media/hls/ (${hls.filter((r) => r.path.endsWith('.m3u8')).length} playlists)`)
}

async function importRoster(summary) {
  const expected = JSON.parse(env.EXPECTED_FAILED ?? '[]')
  await page.locator(byTestId('nav-import')).click()
  await page.locator(byTestId('import-form')).waitFor()
  await page.locator(byTestId('import-file')).setInputFiles(env.XLSX_PATH)
  await page.locator(byTestId('import-password')).fill('first-password-1')
  const answer = page.waitForResponse(
    (r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/api/v1/students/import/',
  )
  await page.locator(byTestId('import-submit')).click()
  const response = await answer
  const created = await response.json().catch(() => ({}))
  check('import: POST /api/v1/students/import/ answers 202 with a job_id',
    response.status() === 202 && Boolean(created.job_id), `HTTP ${response.status()} ${JSON.stringify(created)}`)
  if (!created.job_id) throw new Error('no job id')
  const jobId = String(created.job_id)
  summary.job = { id: jobId }

  const result = page.locator(byTestId('import-result'))
  await page.waitForFunction(
    (sel) => ['DONE', 'FAILED'].includes(document.querySelector(sel)?.dataset.status),
    byTestId('import-result'),
    { timeout: 60_000 },
  )
  const status = await result.getAttribute('data-status')
  check('import: the job ends DONE', status === 'DONE',
    status === 'FAILED' ? await page.locator(byTestId('import-result-error')).textContent() : `status ${status}`)
  if (status !== 'DONE') {
    await shot('05-import-failures')
    throw new Error(`import ended ${status}`)
  }
  await page.locator(byTestId('failed-rows-table')).waitFor()
  await page.waitForTimeout(450) // the bar's width transition (0.4 s), for the screenshot only
  await shot('05-import-failures')
  const rows = await page.$$eval('[data-testid="failed-row"]', (trs) =>
    trs.map((tr) => [...tr.cells].map((td) => td.textContent ?? '')),
  )
  summary.job.failedRows = rows
  const text = async (id) => (await page.locator(byTestId(id)).textContent())?.trim()
  const counts = {
    created: await text('import-created'),
    failed: await text('import-failed-count'),
    total: await text('import-total'),
  }
  summary.job.counts = counts
  const jobSamples = await page.evaluate((id) => window.__e2eSamples.filter((s) => s.id === id), jobId)
  summary.job.progressSamples = jobSamples
  const last = jobSamples.at(-1)
  check('import: the task row shows DONE at 100 %', last?.status === 'DONE' && last?.value === 100,
    `aria-valuenow ${jobSamples.map((s) => `${s.value}(${s.status})`).join(' → ')}`)
  check('import: the failed-rows table lists exactly the planted bad rows',
    rows.length === expected.length &&
      expected.every((e, i) => rows[i] && Number(rows[i][0]) === e.row),
    `rows shown ${rows.map((r) => r[0]).join(',')}; planted ${expected.map((e) => e.row).join(',')}`)
  const mismatches = expected
    .map((e, i) => ({ e, shown: rows[i] }))
    .filter(({ e, shown }) => !shown || shown[1] !== e.name || !new RegExp(e.reason).test(shown[2]))
    .map(({ e, shown }) => `row ${e.row}: want ${JSON.stringify(e.name)} /${e.reason}/, got ${JSON.stringify(shown)}`)
  check('import: each failed row shows the planted name and reason', mismatches.length === 0,
    mismatches.length ? mismatches.join('; ') : rows.map((r) => `${r[0]} "${r[2]}"`).join('; '))
  check('import: the counts add up',
    counts.created === env.EXPECTED_CREATED && counts.total === env.EXPECTED_TOTAL && Number(counts.failed) === expected.length,
    `created ${counts.created}/${env.EXPECTED_CREATED}, failed ${counts.failed}/${expected.length}, total ${counts.total}/${env.EXPECTED_TOTAL}`)
  return jobId
}

function requestChecks({ video, job }, summary) {
  const tasks = []
  if (video) tasks.push({ kind: 'video', progress: `/media/videos/${video}/progress/`, detail: `/media/videos/${video}/` })
  if (job) tasks.push({ kind: 'job', progress: `/api/v1/jobs/${job}/progress/`, detail: `/api/v1/jobs/${job}/` })
  summary.requestCounts = {}
  for (const task of tasks) {
    const details = countGets(task.detail)
    const polls = requests.filter((r) => r.method === 'GET' && r.path === task.progress)
    const ended = terminalAt.get(task.progress)
    const late = ended === undefined ? [] : polls.filter((r) => r.t > ended)
    summary.requestCounts[task.kind] = { detail: details, progress: polls.length, terminalAt: ended, lateProgress: late.length }
    check(`requests: exactly one detail request for the finished ${task.kind}`, details === 1,
      `GET ${task.detail} × ${details}`)
    check(`requests: no progress request for the ${task.kind} after its terminal answer`,
      ended !== undefined && late.length === 0,
      ended === undefined
        ? 'no terminal progress answer seen'
        : `${polls.length} progress requests, terminal answer at ${(ended / 1000).toFixed(1)} s, ${late.length} after it`)
  }
  summary.requestCounts.activeList = countGets('/api/v1/tasks/active/')
}

process.exitCode = await main()

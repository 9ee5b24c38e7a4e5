// End-to-end test of the web app against the real stack, in headless Chromium.
//
// Started by scripts/e2e.py (`make test-e2e`), which runs PostgreSQL, Redis, a Celery worker
// and gunicorn, and passes in the environment:
//   BASE_URL, USERNAME, PASSWORD, TENANT_ID   where and as whom to log in
//   VIDEO_PATH, VIDEO_SECONDS                 the clip to upload and its length
//   XLSX_PATH, EXPECTED_FAILED (JSON [{row, name, reason (regex)}]), EXPECTED_CREATED, EXPECTED_TOTAL
//   BROKEN_VIDEO_PATH                         a file that is not a video (its encoding fails)
//   MEDIA_ROOT                                the server's media directory (stored sources, outbox)
//   ARTIFACTS_DIR                             screenshots and summary.json (default ../artifacts/e2e)
// Prints one line per check and, last, `e2e: N passed, M failed`; exits 1 if any check failed.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright-core'

const AXE_SOURCE = fs.readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8')

const here = path.dirname(fileURLToPath(import.meta.url))
const env = process.env
const BASE_URL = (env.BASE_URL ?? 'http://127.0.0.1:8000').replace(/\/$/, '')
const ARTIFACTS = path.resolve(env.ARTIFACTS_DIR ?? path.join(here, '..', '..', 'artifacts', 'e2e'))
const ORIGIN = new URL(BASE_URL).origin
const TERMINAL = new Set(['READY', 'DONE', 'FAILED', 'CANCELLED'])
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
/** A Date.now() taken in the page, on the clock of now(). */
const fromEpoch = (ms) => Math.round(ms - performance.timeOrigin - t0)
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

// --- the progress stream, watched from inside the page ----------------------------------

/** Record every event of the page's EventSources (installed before the app's own scripts). */
function recordStreamEvents() {
  const Native = window.EventSource
  if (!Native || Native.e2eRecorded) return
  window.__e2eStream = []
  const record = (entry) => window.__e2eStream.push({ at: Date.now(), ...entry })
  class Recorded extends Native {
    constructor(url, init) {
      super(url, init)
      record({ type: 'open' })
      for (const type of ['sync', 'ping', 'job', 'video']) {
        this.addEventListener(type, (event) => {
          let data = {}
          try {
            data = JSON.parse(event.data)
          } catch {
            // not JSON: recorded without a body
          }
          record({
            type,
            id: String(data.job_id ?? data.id ?? ''),
            status: data.status ?? null,
            percent: data.encoding_progress ?? data.progress?.percent ?? null,
          })
        })
      }
      this.addEventListener('error', () => record({ type: 'error' }))
    }
  }
  Recorded.e2eRecorded = true
  window.EventSource = Recorded
}

const streamEvents = () => page.evaluate(() => window.__e2eStream ?? [])
/** now() when run.mjs stopped the stream server (STREAM_PID), to see polling take over. */
let streamStoppedAt

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
    await context.addInitScript(recordStreamEvents)
    trackRequests(page)
    page.on('pageerror', (error) => pageErrors.push(String(error)))
    page.on('console', (message) => consoleLines.push(`${message.type()}: ${message.text()}`))

    trackServerTexts(page)
    page.on('dialog', (dialog) => void dialog.accept())
    const loggedIn = await phase('login', () => login(summary))
    let video
    if (loggedIn) video = await phase('video upload and encoding', () => uploadAndEncode(summary))
    if (video) await phase('video playback from the library', () => playVideo(video, summary))
    let job
    if (loggedIn && env.STREAM_PID) {
      // The stream server goes away (as if it crashed): the page must poll on its own.
      process.kill(Number(env.STREAM_PID), 'SIGKILL')
      streamStoppedAt = now()
      log('stream server stopped')
    }
    if (loggedIn) job = await phase('student import (stream server stopped: polling)', () => importRoster(summary))

    // Give a wrongly scheduled poll time to show itself: polls are 1-2 s apart, so wait until
    // 3 s after the last terminal answer.
    const lastEnd = Math.max(0, ...terminalAt.values())
    await page.waitForTimeout(Math.max(0, lastEnd + 3_000 - now()))
    requestChecks({ video, job }, summary)

    if (loggedIn) {
      const roster = job ? await phase('roster', () => rosterPage(summary)) : undefined
      if (roster) await phase('message by grade', () => messageByGrade(roster, summary))
      await phase('AI grading tables', () => aiGrading(summary))
      await phase('failed video retried from the library', () => failedVideoRetried(summary))
      await phase('running encode cancelled', () => encodeCancelled(summary))
      await phase('job history', () => historyPage(summary))
      await phase('every page in English (axe)', () => everyPage('en', summary))
      await phase('every page in Korean (axe, no English server text)', () => everyPage('ko', summary))
      await phase('390 px', () => narrow(summary))
    }
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
  // In Korean first, with a wrong password: the server's refusal reads in Korean.
  await page.locator(byTestId('language-switch')).selectOption('ko')
  await page.locator(byTestId('login-username')).fill(env.USERNAME)
  await page.locator(byTestId('login-password')).fill('not-the-password')
  await page.locator(byTestId('login-tenant')).fill(String(env.TENANT_ID))
  const refused = page.waitForResponse((r) => new URL(r.url()).pathname === '/api/v1/auth/token/')
  await page.locator(byTestId('login-submit')).click()
  const refusal = await (await refused).json().catch(() => ({}))
  const shown = await text(page.locator(byTestId('login-error')))
  await shot('ko-login')
  const koAxe = await axeCheck('ko-login', summary)
  check('login (ko): a refused login reads in Korean, not the server\'s English',
    /[\uAC00-\uD7A3]/.test(shown) && (!refusal.detail || !shown.includes(refusal.detail)),
    `shown "${shown}"; server detail "${refusal.detail}" (code ${refusal.code})`)
  await page.locator(byTestId('language-switch')).selectOption('en')
  await page.locator(byTestId('login-username')).fill(env.USERNAME)
  await page.locator(byTestId('login-password')).fill(env.PASSWORD)
  await page.locator(byTestId('login-tenant')).fill(String(env.TENANT_ID))
  await shot('01-login')
  const enAxe = await axeCheck('en-login', summary)
  check('axe: no serious or critical violation on the login page (en, ko)', koAxe.length + enAxe.length === 0,
    [...koAxe, ...enAxe].map((v) => `${v.id} (${v.impact})`).join(', '))
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
  // The signed-in shell opens the progress stream: wait until it is live (its catch-up ended).
  const live = await page
    .waitForFunction(() => (window.__e2eStream ?? []).some((e) => e.type === 'sync'), null, { timeout: 15_000 })
    .then(() => true, () => false)
  check('stream: live after login (a `sync` event through nginx from the ASGI server)', live,
    JSON.stringify((await streamEvents()).slice(0, 4)))
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

  // The encode's progress came over the stream; the row's progress query read once when it
  // mounted and never polled while the stream was live.
  const progressPath = `/media/videos/${id}/progress/`
  const streamed = (await streamEvents()).filter((e) => e.type === 'video' && e.id === id)
  const ended = streamed.find((e) => TERMINAL.has(e.status))
  if (ended && !terminalAt.has(progressPath)) terminalAt.set(progressPath, fromEpoch(ended.at))
  const polls = countGets(progressPath)
  const errors = (await streamEvents()).filter((e) => e.type === 'error').length
  summary.video.stream = { events: streamed.length, polls, errors }
  check('stream: the encode\'s progress arrived over the stream (intermediate %, then READY), no progress polls',
    streamed.some((e) => e.status === 'PROCESSING' && e.percent > 0 && e.percent < 100) && ended?.status === 'READY' &&
      polls <= 1 && errors === 0,
    `${streamed.length} video events (${streamed.map((e) => `${e.percent ?? ''}${e.status === 'PROCESSING' ? '' : e.status}`).join(' → ')}), ` +
      `GET ${progressPath} × ${polls} (the row's first read), stream errors ${errors}`)
  if (status !== 'READY') throw new Error(`video ended ${status}`)
  return id
}

async function playVideo(id, summary) {
  // The library lists the uploaded video, READY with its title; its Play button opens it.
  await page.locator(byTestId('nav-library')).click()
  const item = page.locator(`${byTestId('library-item')}[data-video-id="${id}"]`)
  await item.waitFor()
  const listed = { status: await item.getAttribute('data-status'), title: (await item.locator(byTestId('library-title')).textContent())?.trim() }
  check('library: lists the uploaded video, READY, with its title', listed.status === 'READY' && listed.title === 'E2E clip',
    `status ${listed.status}, title "${listed.title}"`)
  await shot('06-library')
  await item.locator(byTestId('library-play')).click()
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
  // Switching the language while it plays must not stop or rewind it.
  const before = await page.evaluate(() => document.querySelector('[data-testid="video-player"]').currentTime)
  await page.locator(byTestId('language-switch')).selectOption('ko')
  await page.waitForTimeout(1_200)
  const after = await page.evaluate(() => {
    const v = document.querySelector('[data-testid="video-player"]')
    return { time: v.currentTime, paused: v.paused, label: document.querySelector('[data-testid="video-status"]')?.textContent }
  })
  await page.locator(byTestId('language-switch')).selectOption('en')
  summary.video.languageSwitch = { before, after }
  check('video page: playback goes on through a language switch (not paused, not rewound)',
    !after.paused && after.time > before + 0.3, `currentTime ${before.toFixed(2)} → ${after.time.toFixed(2)} s, paused=${after.paused}, status "${after.label}"`)
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
  const codes = await page.$$eval('[data-testid="account-row"]', (trs) => trs.map((tr) => tr.cells[3]?.textContent ?? ''))
  check('import: one distinct activation code per created student',
    String(codes.length) === counts.created && new Set(codes).size === codes.length &&
      codes.every((c) => /^[0-9A-Z]{4}(-[0-9A-Z]{4}){3}$/.test(c)),
    `${codes.length} codes for ${counts.created} created`)
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

// --- server texts (what must never show in Korean) ----------------------------------------

/** English texts the server sent (details, failure reasons, step names, job titles). */
const serverTexts = new Set()
const ENGLISH_FIELDS = new Set(['detail', 'error_message', 'error_reason', 'error', 'encoding_step_name',
  'step_name_display', 'title'])

function trackServerTexts(p) {
  p.on('response', async (response) => {
    const url = new URL(response.url())
    if (url.origin !== ORIGIN || !/^\/(api|media)\//.test(url.pathname) || url.pathname.startsWith('/media/hls/')) return
    if (!(response.headers()['content-type'] ?? '').includes('json')) return
    let body
    try {
      body = await response.json()
    } catch {
      return
    }
    const walk = (value, key, parentKey) => {
      if (Array.isArray(value)) value.forEach((item) => walk(item, key, parentKey))
      else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) walk(v, k, key)
      // A video's title is the user's own text; a job's title is the server's English.
      else if (typeof value === 'string' && ENGLISH_FIELDS.has(key) && /[A-Za-z]{3}/.test(value)) {
        if (key === 'title' && (url.pathname.startsWith('/media/') || value === 'E2E clip')) return
        serverTexts.add(value)
      }
    }
    walk(body, '', '')
  })
}

// --- accessibility -------------------------------------------------------------------------

/** Run axe-core on the page as it is; return the serious and critical violations. */
async function axeCheck(name, summary) {
  // Evaluated through the DevTools protocol, not added as a <script>: the app's CSP forbids
  // inline scripts, and the test must run under that CSP (playback included).
  if (!(await page.evaluate(() => Boolean(window.axe)))) await page.evaluate(`${AXE_SOURCE}\n;void 0`)
  const result = await page.evaluate(async () => {
    const { violations } = await window.axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] },
      resultTypes: ['violations'],
    })
    return violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.length, target: v.nodes[0]?.target?.join(' ') }))
  })
  const bad = result.filter((v) => v.impact === 'serious' || v.impact === 'critical')
  summary.axe ??= {}
  summary.axe[name] = result
  return bad
}

// --- the workspace pages -------------------------------------------------------------------

const text = async (locator) => ((await locator.textContent()) ?? '').trim()

async function waitStatus(selector, statuses, timeout = 90_000) {
  await page.waitForFunction(
    ({ sel, want }) => want.includes(document.querySelector(sel)?.dataset.status),
    { sel: selector, want: statuses },
    { timeout },
  )
  return page.locator(selector).getAttribute('data-status')
}

async function rosterPage(summary) {
  await page.locator(byTestId('nav-students')).click()
  await page.locator(byTestId('roster-table')).waitFor()
  const rows = page.locator(byTestId('roster-row'))
  const names = await rows.locator(byTestId('roster-name')).allTextContents()
  const expected = Number(env.EXPECTED_CREATED)
  check('roster: lists the imported students', names.length === expected, `${names.length} rows, ${expected} imported`)
  await shot('07-roster')
  // Soft-delete one (as an admin would), find it among the deleted, restore it.
  const first = rows.first()
  const id = await first.getAttribute('data-student-id')
  const name = await text(first.locator(byTestId('roster-name')))
  const grade = await text(first.locator('td').nth(1))
  await first.locator(byTestId('roster-delete')).click()
  await page.waitForFunction((sid) => !document.querySelector(`[data-testid="roster-row"][data-student-id="${sid}"]`), id)
  await page.locator(byTestId('roster-deleted')).selectOption('true')
  const deleted = page.locator(`${byTestId('roster-row')}[data-student-id="${id}"][data-deleted="true"]`)
  await deleted.waitFor()
  await shot('08-roster-deleted')
  await deleted.locator(byTestId('roster-restore')).click()
  await page.waitForFunction((sid) => !document.querySelector(`[data-testid="roster-row"][data-student-id="${sid}"]`), id)
  await page.locator(byTestId('roster-deleted')).selectOption('false')
  const back = page.locator(`${byTestId('roster-row')}[data-student-id="${id}"][data-deleted="false"]`)
  await back.waitFor()
  summary.roster = { listed: names.length, restored: { id, name, grade } }
  check('roster: a soft-deleted student is listed as deleted and restored', (await back.count()) === 1,
    `student ${id} "${name}" deleted, then restored`)
  return { grade: Number(grade) }
}

function outboxLines() {
  const dir = path.join(env.MEDIA_ROOT ?? '', 'outbox')
  if (!env.MEDIA_ROOT || !fs.existsSync(dir)) return []
  return fs.readdirSync(dir).filter((f) => f.endsWith('.jsonl'))
    .flatMap((f) => fs.readFileSync(path.join(dir, f), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)))
}

async function messageByGrade({ grade }, summary) {
  await page.locator(byTestId('nav-messages')).click()
  await page.locator(byTestId('message-form')).waitFor()
  await page.locator(byTestId('message-grade')).selectOption(String(grade))
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="message-student"]').length > 0)
  await page.waitForTimeout(300) // the grade's list replaces the full one
  await page.locator(byTestId('message-select-all')).check()
  const picked = await page.locator(`${byTestId('message-student')}:checked`).count()
  const subject = `E2E 공지 ${Date.now()}`
  await page.locator(byTestId('message-subject')).fill(subject)
  await page.locator(byTestId('message-body')).fill('내일 수업은 오후 4시에 시작합니다.')
  await shot('09-message-composer')
  await page.locator(byTestId('message-submit')).click()
  const status = await waitStatus(byTestId('message-result'), ['DONE', 'FAILED'], 60_000)
  await shot('10-message-sent')
  const sent = outboxLines().filter((line) => line.subject === subject)
  summary.message = { grade, picked, subject, outbox: sent.length }
  check('messages: a message composed by grade reaches the outbox with its subject',
    status === 'DONE' && picked > 0 && sent.length === picked,
    `grade ${grade}: ${picked} students picked, job ${status}, ${sent.length} outbox lines with subject "${subject}"`)
}

async function aiGrading(summary) {
  await page.locator(byTestId('nav-ai')).click()
  await page.locator(byTestId('ai-form')).waitFor()
  await page.locator(byTestId('ai-answer-key')).fill('1 + 1 = ? | 2\n대한민국의 수도는? | 서울\n물의 화학식은? | H2O')
  await page.locator(byTestId('ai-submissions')).fill(
    ['김민수: 2 | 서울 | H2O', '이지우: 3 | 부산 | 물 분자 두개', '박서연: 3 | 부산 | 물 분자 두개', '최하준: 2 | 서울특별시 | h2o'].join('\n'))
  await page.locator(byTestId('ai-submit')).click()
  const status = await waitStatus(byTestId('ai-result'), ['DONE', 'FAILED'], 60_000)
  await page.locator(byTestId('ai-table-students')).waitFor()
  const tables = await page.$$eval('[data-testid="ai-result-tables"] table', (ts) => ts.map((t) => ({
    id: t.dataset.testid, rows: t.tBodies[0]?.rows.length ?? 0 })))
  const raw = await page.locator(byTestId('ai-raw-result')).count()
  summary.ai = { status, tables }
  await shot('11-ai-tables')
  const rows = Object.fromEntries(tables.map((t) => [t.id, t.rows]))
  check('AI: the grading result shows as tables (students, questions, duplicates), no JSON',
    status === 'DONE' && raw === 0 && rows['ai-table-students'] === 4 && rows['ai-table-questions'] === 3 && rows['ai-table-duplicates'] >= 1,
    tables.map((t) => `${t.id}: ${t.rows} rows`).join(', '))
}

async function uploadVideo(file, title) {
  await page.locator(byTestId('nav-upload')).click()
  await page.locator(byTestId('upload-title')).fill(title)
  await page.locator(byTestId('upload-file')).setInputFiles(file)
  const answer = page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/media/videos/')
  await page.locator(byTestId('upload-submit')).click()
  const created = await (await answer).json()
  await page.locator(byTestId('upload-done')).waitFor()
  return String(created.id)
}

async function failedVideoRetried(summary) {
  const sources = path.join(env.MEDIA_ROOT ?? '', 'videos')
  const id = await uploadVideo(env.BROKEN_VIDEO_PATH, 'Broken upload')
  const formReset = (await page.locator(byTestId('upload-file')).inputValue()) === '' &&
    (await page.locator(byTestId('upload-title')).inputValue()) === ''
  check('upload: the form is empty again after an upload', formReset, formReset ? '' : 'file or title kept')
  await page.locator(byTestId('nav-library')).click()
  const item = `${byTestId('library-item')}[data-video-id="${id}"]`
  const failed = await waitStatus(item, ['FAILED', 'READY'], 60_000)
  const reason = await text(page.locator(`${item} ${byTestId('library-error')}`))
  await shot('12-library-failed')
  // The stored source was unreadable (as after a storage glitch); put the real clip in its
  // place, as an operator would, then retry from the library.
  const broken = fs.statSync(env.BROKEN_VIDEO_PATH).size
  const stored = fs.readdirSync(sources, { recursive: true }).map((f) => path.join(sources, f))
    .filter((f) => f.includes(`${path.sep}sources${path.sep}`) && fs.statSync(f).isFile() && fs.statSync(f).size === broken)
  if (stored.length !== 1) throw new Error(`expected one stored broken source, found ${stored.length}`)
  fs.copyFileSync(env.VIDEO_PATH, stored[0])
  const answer = page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === `/media/videos/${id}/retry/`)
  await page.locator(`${item} ${byTestId('library-retry')}`).click()
  const retry = await answer
  if (retry.status() !== 202) throw new Error(`POST /media/videos/${id}/retry/ answered ${retry.status()}`)
  await waitStatus(item, ['PENDING', 'PROCESSING', 'READY'], 30_000) // the new attempt, not the old end
  const ended = await waitStatus(item, ['READY', 'FAILED', 'CANCELLED'], 90_000)
  await shot('13-library-retried')
  summary.failedVideo = { id, failed, reason, ended }
  check('library: a failed video shows its reason and is retried to READY', failed === 'FAILED' && reason !== '' && ended === 'READY',
    `video ${id}: ${failed} ("${reason}"), after retry ${ended}`)
}

async function encodeCancelled(summary) {
  const id = await uploadVideo(env.VIDEO_PATH, 'To be cancelled')
  await page.locator(byTestId('nav-library')).click()
  const item = `${byTestId('library-item')}[data-video-id="${id}"]`
  await waitStatus(item, ['PROCESSING'], 60_000)
  const answer = page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === `/media/videos/${id}/cancel/`)
  await page.locator(`${item} ${byTestId('library-cancel')}`).click()
  const cancel = await answer
  if (cancel.status() !== 202) throw new Error(`POST /media/videos/${id}/cancel/ answered ${cancel.status()}`)
  const ended = await waitStatus(item, ['CANCELLED', 'FAILED', 'READY'], 60_000)
  const actionError = await page.locator(`${item} ${byTestId('library-action-error')}`).count()
  await shot('14-library-cancelled')
  summary.cancelled = { id, ended }
  check('library: a running encode is cancelled', ended === 'CANCELLED' && actionError === 0, `video ${id} ended ${ended}`)
}

async function historyPage(summary) {
  await page.locator(byTestId('nav-history')).click()
  await page.locator(byTestId('history-table')).waitFor()
  const rows = await page.$$eval('[data-testid="history-row"]', (trs) => trs.map((tr) => ({
    type: tr.dataset.jobType, status: tr.dataset.status,
    title: tr.querySelector('[data-testid="history-title"]')?.textContent ?? '',
    who: tr.querySelector('[data-testid="history-who"]')?.textContent ?? '',
    duration: tr.querySelector('[data-testid="history-duration"]')?.textContent ?? '' })))
  summary.history = rows
  const types = new Set(rows.filter((r) => r.status === 'DONE').map((r) => r.type))
  const uuid = rows.filter((r) => /[0-9a-f]{8}-[0-9a-f]{4}-/.test(r.title))
  check('history: AI, message and import jobs listed DONE with who, how long and a title (no UUID)',
    ['short_answer_grading', 'message_send', 'excel_student_import'].every((t) => types.has(t)) && uuid.length === 0 &&
      rows.every((r) => r.who.trim() !== '' && r.duration.trim() !== ''),
    rows.map((r) => `${r.type} ${r.status} "${r.title}" by ${r.who} in ${r.duration}`).join('; '))
  await page.locator(`${byTestId('history-row')}[data-job-type="short_answer_grading"] ${byTestId('history-show-result')}`).first().click()
  await page.locator(`${byTestId('history-result')} ${byTestId('ai-table-questions')}`).waitFor()
  await shot('15-history')
}

const PAGES = [
  ['library', '#/videos', 'library-page'],
  ['upload', '#/upload', 'upload-form'],
  ['history', '#/jobs', 'history-table'],
  ['students', '#/students', 'roster-table'],
  ['import', '#/import', 'import-form'],
  ['messages', '#/messages', 'message-form'],
  ['ai', '#/ai', 'ai-form'],
]

/** Visit every page in one language: screenshot, axe, and in Korean no English server text. */
async function everyPage(lang, summary) {
  await page.locator(byTestId('language-switch')).selectOption(lang)
  const visits = [...PAGES, ['video', `#/videos/${summary.video?.id ?? 1}`, 'video-page']]
  const found = []
  const uuids = []
  const axeBad = []
  for (const [name, hash, ready] of visits) {
    await page.evaluate((h) => { window.location.hash = h }, hash)
    await page.locator(byTestId(ready)).first().waitFor()
    if (name === 'history') {
      // Open the import's result: its failed-rows reasons are server text too.
      await page.locator(`${byTestId('history-row')}[data-job-type="excel_student_import"] ${byTestId('history-show-result')}`).first().click()
      await page.locator(`${byTestId('history-result')} ${byTestId('failed-rows-table')}`).waitFor()
    }
    await page.waitForTimeout(300)
    await shot(`${lang}-${name}`)
    const bad = await axeCheck(`${lang}-${name}`, summary)
    axeBad.push(...bad.map((v) => `${name}: ${v.id} (${v.impact}, ${v.nodes}× ${v.target})`))
    const body = await page.evaluate(() => document.body.innerText)
    const uuid = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/.exec(body)
    if (uuid) uuids.push(`${name}: ${uuid[0]}`)
    if (lang === 'ko') {
      for (const english of serverTexts) if (body.includes(english)) found.push(`${name}: "${english}"`)
    }
  }
  check(`axe (${lang}): no serious or critical violation on ${visits.length} pages`, axeBad.length === 0, axeBad.slice(0, 6).join('; '))
  check(`${lang}: no task shown by its UUID on any page (titles only)`, uuids.length === 0, uuids.slice(0, 4).join('; '))
  if (lang === 'ko') {
    summary.serverTexts = [...serverTexts]
    check('Korean: no English text from the server on any page', found.length === 0 && serverTexts.size > 0,
      found.length ? found.slice(0, 6).join('; ') : `${serverTexts.size} English server texts known, none shown`)
  }
}

async function narrow(summary) {
  await page.setViewportSize({ width: 390, height: 844 })
  await page.evaluate(() => { window.location.hash = '#/videos' })
  await page.locator(byTestId('library-page')).waitFor()
  await page.waitForTimeout(300)
  const layout = await page.evaluate(() => {
    const box = (id) => document.querySelector(`[data-testid="${id}"]`)?.getBoundingClientRect()
    const logout = box('logout')
    const header = document.querySelector('[data-testid="topbar"]')
    return {
      viewport: window.innerWidth,
      pageWidth: document.documentElement.scrollWidth,
      headerOverflow: header.scrollWidth - header.clientWidth,
      logout: logout && { left: logout.left, right: logout.right, top: logout.top },
      language: box('language-switch')?.right,
    }
  })
  summary.narrow = layout
  await shot('16-390px')
  const bad = await axeCheck('ko-390px', summary)
  check('390 px: the whole header shows (log out and language inside the screen, nothing wider than it)',
    layout.logout && layout.logout.right <= layout.viewport && layout.language <= layout.viewport &&
      layout.pageWidth <= layout.viewport && layout.headerOverflow <= 0,
    JSON.stringify(layout))
  check('axe (390 px): no serious or critical violation', bad.length === 0, bad.map((v) => v.id).join(', '))
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
    // Read once when it ended; a task the stream announced before the upload's answer arrived
    // may also have been read while it ran (its row's title), which is not this check's point.
    const detailsAfter = ended === undefined ? details : requests.filter((r) => r.method === 'GET' && r.path === task.detail && r.t >= ended - 250).length
    check(`requests: exactly one detail request for the finished ${task.kind}, once it ended`, detailsAfter === 1,
      `GET ${task.detail} × ${details}, ${detailsAfter} of them after its terminal answer`)
    check(`requests: no progress request for the ${task.kind} after its terminal answer`,
      ended !== undefined && late.length === 0,
      ended === undefined
        ? 'no terminal progress answer seen'
        : `${polls.length} progress requests, terminal answer at ${(ended / 1000).toFixed(1)} s, ${late.length} after it`)
  }
  summary.requestCounts.activeList = countGets('/api/v1/tasks/active/')
  // run.mjs stopped the stream server before the import: the page noticed and polled.
  const streams = countGets('/api/v1/progress/stream/')
  const tickets = requests.filter((r) => r.method === 'POST' && r.path === '/api/v1/progress/stream-ticket/').length
  summary.requestCounts.streamAttempts = streams
  if (job && streamStoppedAt !== undefined) {
    const progress = `/api/v1/jobs/${job}/progress/`
    const polls = requests.filter((r) => r.method === 'GET' && r.path === progress)
    const answered = progressAnswers.get(progress) ?? []
    check('stream: with the stream server stopped, polling took over (the import\'s progress came by polls)',
      polls.length > 0 && answered.some((a) => TERMINAL.has(a.status)) && streams >= 1 && tickets >= streams,
      `${polls.length} progress polls of the import, answers ${answered.map((a) => a.status).join(',')}; ` +
        `${tickets} tickets, ${streams} stream requests`)
  }
}

process.exitCode = await main()

// What the two real-browser drivers share: run.js (Chromium) and firefox.js (Firefox ESR, with
// Chromium beside it). Command line, prerequisites, the namespace, signald and rtcpeer processes,
// the test files, pages (what is the same in playwright-core and puppeteer-core), the flows of
// the scenarios both drivers run, and the scenario runner with its report. A driver keeps what
// is its browser's own: how it is launched, how its pages are made and driven where the two
// libraries differ (page.io), and the scenarios only it runs. See README.md beside this file.
//
// One driver per process: the state here (STATE, the processes) is the process's.
'use strict';

const { spawn, spawnSync } = require('child_process');
const crypto = require('crypto');
const fs = require('fs');
const os = require('os');
const path = require('path');
const readline = require('readline');

const HERE = __dirname;
const REPO = path.resolve(HERE, '..', '..');
const MiB = 1024 * 1024;
const T0 = Date.now();

// ------------------------------------------------------------------------------------------------
// small helpers

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const secs = (ms) => (ms / 1000).toFixed(2);
const info = (msg) => console.log(`    info: ${msg}`);

class Failure extends Error {}
function fail(msg) {
  throw new Failure(msg);
}
function check(cond, msg) {
  if (!cond) fail(msg);
}
function checkEq(got, want, what) {
  if (got !== want) fail(`${what}: got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
}

function sha256File(p) {
  const h = crypto.createHash('sha256');
  const fd = fs.openSync(p, 'r');
  const buf = Buffer.alloc(MiB);
  try {
    for (;;) {
      const n = fs.readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      h.update(buf.subarray(0, n));
    }
  } finally {
    fs.closeSync(fd);
  }
  return h.digest('hex');
}

// Writes `size` random bytes to p; returns their sha256.
function randomFile(p, size) {
  const h = crypto.createHash('sha256');
  const fd = fs.openSync(p, 'w');
  try {
    for (let left = size; left > 0;) {
      const b = crypto.randomBytes(Math.min(left, MiB));
      h.update(b);
      fs.writeSync(fd, b);
      left -= b.length;
    }
  } finally {
    fs.closeSync(fd);
  }
  return h.digest('hex');
}

async function withTimeout(promise, ms, what) {
  let timer;
  const t = new Promise((_, rej) => {
    timer = setTimeout(() => rej(new Failure(`timeout after ${secs(ms)} s: ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, t]);
  } finally {
    clearTimeout(timer);
  }
}

// ------------------------------------------------------------------------------------------------
// command line and prerequisites

let SCRIPT = 'harness.js';

function usage(msg) {
  if (msg) console.error(`${SCRIPT}: ${msg}`);
  console.error(`usage: node ${SCRIPT} [--signald PATH] [--rtcpeer PATH] [--web-root DIR] [SCENARIO...]`);
  process.exit(2);
}

function skip(why) {
  console.log(`SKIP: ${why}`);
  process.exit(77);
}

// The options both drivers take. `env` is the prefix of the driver's variables (RTCBR, RTCFF):
// <env>_NS, _ADDR, _SUITE_TIMEOUT (seconds), _KEEP, _RTCPEER_ARGS; `ns` and `suiteTimeout` are
// the defaults of the first and the third. Exits 2 (usage) on a bad command line.
function parseOptions({ script, env, ns, suiteTimeout }) {
  SCRIPT = script;
  const cfg = {
    signald: process.env.SIGNALD || '',
    rtcpeer: process.env.RTCPEER || '',
    webRoot: process.env.RTCBR_WEB_ROOT || path.join(REPO, 'web'),
    ns: process.env[`${env}_NS`] || ns,
    addr: process.env[`${env}_ADDR`] || '10.203.0.2',
    suiteTimeout: Number(process.env[`${env}_SUITE_TIMEOUT`] || suiteTimeout) * 1000,
    keep: process.env[`${env}_KEEP`] === '1',
    // Extra rtcpeer flags for a diagnosis run, e.g. "-v".
    peerArgs: (process.env[`${env}_RTCPEER_ARGS`] || '').split(' ').filter(Boolean),
    only: [],
  };
  const a = process.argv.slice(2);
  for (let i = 0; i < a.length; i++) {
    const next = () => (i + 1 < a.length ? a[++i] : usage(`${a[i]} needs a value`));
    if (a[i] === '--signald') cfg.signald = next();
    else if (a[i] === '--rtcpeer') cfg.rtcpeer = next();
    else if (a[i] === '--web-root') cfg.webRoot = next();
    else if (a[i] === '-h' || a[i] === '--help') usage();
    else if (a[i].startsWith('-')) usage(`unknown option ${a[i]}`);
    else cfg.only.push(a[i]);
  }
  // Default binaries: the first build tree under the repository that has both.
  if (!cfg.signald || !cfg.rtcpeer) {
    for (const c of ['build', 'build/gcc', 'build/release', 'build/asan', 'build/debug']) {
      const s = path.join(REPO, c, 'signald', 'signald');
      const r = path.join(REPO, c, 'rtcpeer', 'rtcpeer');
      if (fs.existsSync(s) && fs.existsSync(r)) {
        cfg.signald = cfg.signald || s;
        cfg.rtcpeer = cfg.rtcpeer || r;
        break;
      }
    }
  }
  if (cfg.signald && !cfg.rtcpeer) {
    // ctest passes signald only: rtcpeer is BUILD/rtcpeer/rtcpeer beside BUILD/signald/.
    cfg.rtcpeer = path.join(path.dirname(path.dirname(path.resolve(cfg.signald))), 'rtcpeer', 'rtcpeer');
  }
  for (const k of ['signald', 'rtcpeer']) {
    if (!cfg[k]) usage(`no ${k} binary: pass --${k} PATH or set ${k.toUpperCase()}`);
    cfg[k] = path.resolve(cfg[k]);
    if (!fs.existsSync(cfg[k])) usage(`${k} not found at ${cfg[k]}`);
  }
  if (!/^rtcbr-[A-Za-z0-9_-]{1,9}$/.test(cfg.ns)) usage(`${env}_NS must be rtcbr-<1..9 of [A-Za-z0-9_-]>`);
  return cfg;
}

function checkScenarioIds(only) {
  const ids = SCENARIOS.map((s) => s.id);
  for (const id of only) if (!ids.includes(id)) usage(`unknown scenario ${id} (have: ${ids.join(' ')})`);
}

// Exits 77 unless root, what `browser()` checks (it calls skip() itself) and iproute2 are there.
function requirePrereqs(browser) {
  if (process.getuid && process.getuid() !== 0) skip('needs root (network namespaces)');
  browser();
  if (spawnSync('ip', ['-V']).status !== 0) skip('no `ip` (iproute2)');
}

// netns.sh up|down for namespace `ns`, address `addr`/24.
function netns(ns, addr, cmd) {
  const r = spawnSync(path.join(HERE, 'netns.sh'), [cmd], {
    env: { ...process.env, RTCBR_NS: ns, RTCBR_ADDR: `${addr}/24` },
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`netns.sh ${cmd} failed (${r.status}): ${r.stderr}`);
}

// ------------------------------------------------------------------------------------------------
// the run's state

const STATE = {
  opt: null,        // the driver's options (parseOptions() and its own)
  procPrefix: [],   // before every child's argv: ['ip', 'netns', 'exec', NS] from the root namespace
  diagEvents: 15,   // how many of a page's last events a failure prints
  diagDetail: false, // failures also print the page's info() and ICE record
  tmp: null,
  signald: null,
  wsUrl: null,
  httpBase: null,
  browsers: {},     // key -> browser (.kind 'chromium' | 'firefox', .afterClose())
  contexts: [],     // Chromium contexts, closed before the browsers
  onTeardown: [],   // after the processes have ended (run.js: the namespace)
  ran: [],          // ids of the scenarios that ran to their report
  tornDown: false,
  interrupted: false, // a signal or the watchdog: the driver reports, runSuite() does not
};

function configure(o) {
  Object.assign(STATE, o);
}

// ------------------------------------------------------------------------------------------------
// child processes (all inside the namespace; `ip netns exec` execs, so the pid is the program's)

const PROCS = [];
const SANITIZER_RE = /AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|runtime error:/;

class Proc {
  constructor(name, argv, { stdin = 'ignore' } = {}) {
    const full = [...STATE.procPrefix, ...argv];
    this.name = name;
    this.lines = [];
    this.out = [];
    this.code = undefined;
    this.signal = undefined;
    this.waiters = new Set();
    this.child = spawn(full[0], full.slice(1), { stdio: [stdin, 'pipe', 'pipe'] });
    PROCS.push(this);
    this.exited = new Promise((res) => {
      this.child.on('exit', (code, signal) => {
        this.code = code;
        this.signal = signal;
        this._notify();
        res();
      });
    });
    this.child.on('error', (e) => {
      this.lines.push(`spawn error: ${e.message}`);
      this._notify();
    });
    const rl = readline.createInterface({ input: this.child.stderr });
    rl.on('line', (l) => {
      this.lines.push(l);
      this._notify();
    });
    this.errOpen = true;
    this.outOpen = true;
    this.stderrDone = new Promise((res) => rl.on('close', () => {
      this.errOpen = false;
      this._notify();
      res();
    }));
    this.child.stdout.on('data', (b) => {
      this.out.push(b);
      this._notify();
    });
    this.child.stdout.on('close', () => {
      this.outOpen = false;
      this._notify();
    });
  }

  // Exited, and everything it wrote has been read.
  get over() {
    return !this.running && !this.errOpen && !this.outOpen;
  }

  get pid() {
    return this.child.pid;
  }

  get running() {
    return this.code === undefined && this.signal === undefined;
  }

  stdout() {
    return Buffer.concat(this.out);
  }

  // The --json events on stderr.
  events() {
    const evs = [];
    for (const l of this.lines) {
      if (!l.startsWith('{')) continue;
      try {
        const o = JSON.parse(l);
        if (o && typeof o === 'object') evs.push(o);
      } catch (e) {
        /* not JSON */
      }
    }
    return evs;
  }

  event(name) {
    return this.events().find((e) => e.event === name);
  }

  status() {
    if (this.running) return 'still running';
    return this.signal ? `killed by ${this.signal}` : `exit status ${this.code}`;
  }

  describe(n = 20) {
    const tail = this.lines.slice(-n).map((l) => `      | ${l}`).join('\n') || '      | (empty)';
    return `${this.name} (pid ${this.pid}, ${this.status()}); stderr:\n${tail}`;
  }

  _notify() {
    for (const w of this.waiters) w();
  }

  // Resolves with pred()'s truthy value; fails after ms, or when the process ended first.
  waitFor(pred, ms, what) {
    return new Promise((resolve, reject) => {
      let timer;
      let tick;
      const done = (fn, v) => {
        clearTimeout(timer);
        clearInterval(tick);
        this.waiters.delete(poll);
        fn(v);
      };
      const poll = () => {
        let v;
        try {
          v = pred();
        } catch (e) {
          return done(reject, e);
        }
        if (v) return done(resolve, v);
        if (this.over) return done(reject, new Failure(`${this.name} ended before ${what}: ${this.describe()}`));
      };
      timer = setTimeout(() => done(reject, new Failure(`no ${what} within ${secs(ms)} s: ${this.describe()}`)), ms);
      this.waiters.add(poll);
      tick = setInterval(poll, 50); // for conditions that do not come with output
      poll();
    });
  }

  waitEvent(name, ms) {
    return this.waitFor(() => this.event(name), ms, `--json event "${name}"`);
  }

  async expectExit(want, ms) {
    try {
      await withTimeout(this.exited, ms, `${this.name} to exit`);
    } catch (e) {
      throw new Failure(`${e.message}: ${this.describe()}`);
    }
    await Promise.race([this.stderrDone, sleep(1000)]);
    if (this.code !== want) fail(`${this.name}: ${this.status()}, want exit status ${want}: ${this.describe()}`);
  }

  kill(sig = 'SIGTERM') {
    if (this.running) {
      try {
        process.kill(this.pid, sig);
      } catch (e) {
        /* gone */
      }
    }
  }
}

// SIGCONT (one may have been left stopped), SIGTERM, and SIGKILL for what is still there after
// `grace` ms; then up to 1 s for their stderr.
async function endProcs(procs, grace) {
  for (const p of procs) p.kill('SIGCONT');
  for (const p of procs) p.kill('SIGTERM');
  await Promise.race([Promise.all(procs.map((p) => p.exited)), sleep(grace)]);
  for (const p of procs) p.kill('SIGKILL');
  await Promise.race([Promise.all(procs.map((p) => p.stderrDone)), sleep(1000)]);
}

function sanitizerReport(p) {
  if (!p.lines.some((l) => SANITIZER_RE.test(l))) return '';
  const report = p.lines.filter((l) => !l.startsWith('{')).slice(-40).map((l) => `      | ${l}`).join('\n');
  return `${p.name} printed a sanitizer report:\n${report}`;
}

function rtcpeer(name, args, o) {
  return new Proc(name, [STATE.opt.rtcpeer, ...args], o);
}

function peerArgs(extra = []) {
  return ['--server', STATE.wsUrl, '--bind-addr', STATE.opt.addr, '--timeout', '30', '--json',
    ...STATE.opt.peerArgs, ...extra];
}

// signald on the namespace's address, port 0; sets STATE.wsUrl and STATE.httpBase from the port
// it prints.
async function startSignald() {
  const opt = STATE.opt;
  const sig = new Proc('signald', [opt.signald, '--listen', `${opt.addr}:0`, '--web-root', opt.webRoot,
    '--log-level', 'info']);
  STATE.signald = sig;
  const line = await sig.waitFor(() => sig.lines.find((l) => /listening on \S+:\d+/.test(l)), 10000, '"listening on"');
  const port = /listening on \S+:(\d+)/.exec(line)[1];
  STATE.wsUrl = `ws://${opt.addr}:${port}/ws`;
  STATE.httpBase = `http://${opt.addr}:${port}`;
  info(`namespace ${opt.ns}, signald at ${STATE.httpBase} (web root ${opt.webRoot}), rtcpeer ${opt.rtcpeer}`);
}

const CODE_RE = /([a-z2-7]{12})-([a-z2-7]{25}[aeimquy4])/;

function linkFor(code) {
  const [room, secret] = code.split('-');
  return `${STATE.httpBase}/r/${room}#${secret}`;
}

// ------------------------------------------------------------------------------------------------
// browsers and pages

// Wraps every RTCPeerConnection the page makes, independently of the page's code, to record the
// local candidates it gathered, the candidate pair selected once it is connected, and the SDP
// then. Firefox has no RTCTransportStats.selectedCandidatePairId: there the pair is the one
// marked `selected`.
const INSTRUMENT = `(() => {
  const Orig = window.RTCPeerConnection;
  if (!Orig || window.__rtcbr) return;
  const rec = { cands: [], pairs: [], sdp: [] };
  Object.defineProperty(window, '__rtcbr', { value: rec });
  const pairOf = async (pc) => {
    const s = await pc.getStats();
    let p = null;
    s.forEach((v) => { if (v.type === 'transport' && v.selectedCandidatePairId) p = s.get(v.selectedCandidatePairId) || p; });
    if (!p) s.forEach((v) => { if (v.type === 'candidate-pair' && (v.selected || (v.nominated && v.state === 'succeeded'))) p = p || v; });
    if (!p) return null;
    const l = s.get(p.localCandidateId) || {}, r = s.get(p.remoteCandidateId) || {};
    return l.candidateType + ' ' + (l.address || '?') + ':' + l.port + ' -> ' + r.candidateType + ' ' + (r.address || '(hidden)') + ':' + r.port;
  };
  class PC extends Orig {
    constructor(...a) {
      super(...a);
      this.addEventListener('icecandidate', (e) => {
        if (e.candidate && e.candidate.candidate) rec.cands.push(e.candidate.candidate);
      });
      this.addEventListener('connectionstatechange', () => {
        if (this.connectionState !== 'connected') return;
        rec.sdp.push({ local: this.localDescription && this.localDescription.sdp, remote: this.remoteDescription && this.remoteDescription.sdp });
        pairOf(this).then((p) => rec.pairs.push(p || '(no pair in stats)'), (e) => rec.pairs.push('getStats: ' + e));
      });
    }
  }
  window.RTCPeerConnection = PC;
})();`;

// A browser a driver launched, under STATE.browsers[key] (closed by teardown()); closed again
// at once if the run was torn down while it started.
async function keepBrowser(key, b) {
  if (STATE.tornDown) {
    await closeBrowser(b);
    fail('interrupted');
  }
  STATE.browsers[key] = b;
  return b;
}

async function closeBrowser(b) {
  await withTimeout(b.close(), 10000, `${b.kind} close`).catch(() => {});
  if (b.afterClose) b.afterClose();
}

// Chromium through playwright-core, once per `key`; mdns=false adds
// --disable-features=WebRtcHideLocalIpsWithMdns (host candidates carry the address), mdns=true is
// Chromium's default (host candidates are random .local names). `context` are the options of
// each page's browser context.
async function launchChromium(key, { executablePath, mdns, args = [], context = {} }) {
  if (STATE.browsers[key]) return STATE.browsers[key];
  const { chromium } = require(path.join(HERE, 'node_modules', 'playwright-core'));
  const all = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
    '--disable-dev-shm-usage'];
  if (!mdns) all.push('--disable-features=WebRtcHideLocalIpsWithMdns');
  const t = Date.now();
  const b = await withTimeout(chromium.launch({
    executablePath, headless: true, args: [...all, ...args], timeout: 30000,
    handleSIGINT: false, handleSIGTERM: false, handleSIGHUP: false, // teardown() does it
  }), 40000, 'Chromium to start');
  b.kind = 'chromium';
  b.contextOptions = { ...context, acceptDownloads: true };
  await keepBrowser(key, b);
  info(`Chromium ${b.version()} (${mdns ? 'mDNS host candidates' : 'IP host candidates'}) started in ${secs(Date.now() - t)} s`);
  return b;
}

// What a scenario does to a page where playwright-core and puppeteer-core differ; a driver's
// newPage() sets page.io. This is playwright-core's.
const PLAYWRIGHT_IO = {
  setFiles: (page, sel, file) => page.setInputFiles(sel, file),
  inputValue: (page, sel) => page.inputValue(sel),
  click: (page, sel) => page.click(sel, { timeout: 5000 }),
  // Clicks the Download link `sel` and saves what the browser downloads; returns the file.
  async download(page, sel, name) {
    const link = page.locator(sel);
    await link.waitFor({ timeout: 5000 });
    const [dl] = await Promise.all([page.waitForEvent('download', { timeout: 15000 }), link.click()]);
    checkEq(dl.suggestedFilename(), name, `${page.label}: the Download link's file name`);
    const saved = path.join(STATE.tmp, `download-${Date.now()}-${name}`);
    await dl.saveAs(saved);
    return saved;
  },
};

// The label, the console capture (errors, warnings, uncaught exceptions) and `io` of a new page;
// closeAll() closes it with its context.
function trackPage(page, { label, kind, io, closeAll }) {
  page.kind = kind;
  page.io = io;
  page.closeAll = closeAll;
  page.label = label;
  page.logs = [];
  page.on('console', (m) => {
    const type = m.type();
    if (type === 'error' || type === 'warn' || type === 'warning') page.logs.push(`console.${type}: ${m.text()}`);
  });
  page.on('pageerror', (e) => page.logs.push(`pageerror: ${e.message}`));
  page.on('crash', () => page.logs.push('page crashed'));
  return page;
}

// A page of a Chromium from launchChromium(), in a context of its own.
async function newChromiumPage(browser, label) {
  const context = await browser.newContext(browser.contextOptions);
  STATE.contexts.push(context);
  await context.addInitScript(INSTRUMENT);
  const page = await context.newPage();
  return trackPage(page, { label, kind: 'chromium', io: PLAYWRIGHT_IO, closeAll: () => context.close() });
}

// Opens url and waits for window.rtcTest.
async function openPage(page, url) {
  const resp = await page.goto(url, { timeout: 15000 });
  check(resp && resp.ok(), `${page.label}: GET ${url}: HTTP ${resp && resp.status()}`);
  await waitPage(page, () => !!(window.rtcTest && typeof window.rtcTest.state === 'function'),
    undefined, 10000, 'window.rtcTest');
}

// What the page says about itself, for failure messages: its last STATE.diagEvents events.
async function pageDiag(page) {
  let d;
  try {
    d = await withTimeout(page.evaluate((n) => {
      const t = window.rtcTest;
      if (!t) return { state: '(no window.rtcTest)', events: [] };
      const short = (x) => {
        try {
          const s = JSON.stringify(x);
          return s.length > 300 ? s.slice(0, 300) + '…' : s;
        } catch (e) {
          return String(x);
        }
      };
      let state;
      try {
        state = t.state();
      } catch (e) {
        state = `state() threw ${e}`;
      }
      return {
        state: short(state),
        info: short(t.info && t.info()),
        events: (t.events || []).slice(-n).map(short),
        received: short((t.received || []).map((r) => ({ from: r.from, name: r.name, size: r.size, sha256: r.sha256 }))),
        texts: short(t.texts),
        peers: typeof t.peers === 'function' ? short(t.peers()) : null,
        ice: short(window.__rtcbr ? { cands: window.__rtcbr.cands, pairs: window.__rtcbr.pairs } : null),
      };
    }, STATE.diagEvents), 5000, 'page diagnostics');
  } catch (e) {
    return `\n      ${page.label}: (could not read the page: ${e.message})`;
  }
  const ev = d.events.map((e) => `\n        ${e}`).join('');
  const logs = page.logs.slice(-10).map((l) => `\n        ${l}`).join('');
  return `\n      ${page.label}: state() = ${d.state};${STATE.diagDetail ? ` info() = ${d.info};` : ''} received = ${d.received}; texts = ${d.texts}` +
    (d.peers ? `\n      ${page.label}: peers() = ${d.peers}` : '') +
    (STATE.diagDetail ? `\n      ${page.label}: ice = ${d.ice}` : '') +
    `\n      ${page.label}: last events:${ev || ' (none)'}` + (logs ? `\n      ${page.label}: console:${logs}` : '');
}

// Adds the page's diagnostics to a failure of `promise`.
async function withDiag(page, promise) {
  try {
    return await promise;
  } catch (e) {
    throw new Failure(e.message + (await pageDiag(page)));
  }
}

// Polls fn(arg) in the page (every 100 ms, at most ms) until it returns a truthy value, which is
// returned. Fails early once the page's phase is "failed" (unless failOk), and names what was
// awaited and what the page said.
async function waitPage(page, fn, arg, ms, what, { failOk = false } = {}) {
  const deadline = Date.now() + ms;
  for (;;) {
    let v;
    let st;
    try {
      v = await page.evaluate(fn, arg);
      if (v) return v;
      st = await page.evaluate(() => (window.rtcTest && typeof window.rtcTest.state === 'function' ? window.rtcTest.state() : null));
    } catch (e) {
      throw new Failure(`${page.label}: waiting for ${what}: ${e.message.split('\n')[0]}${await pageDiag(page)}`);
    }
    if (st === 'failed' && !failOk) throw new Failure(`${page.label}: the page failed while waiting for ${what}${await pageDiag(page)}`);
    if (Date.now() >= deadline) throw new Failure(`${page.label}: no ${what} within ${secs(ms)} s${await pageDiag(page)}`);
    await sleep(100);
  }
}

// Waits until the page's phase (rtcTest.state()) is `want`; fails early on 'failed'.
async function waitPhase(page, want, ms) {
  const got = await waitPage(page, (w) => {
    const st = window.rtcTest.state();
    return st === w || st === 'failed' ? st : false;
  }, want, ms, `phase "${want}"`);
  if (got !== want) fail(`${page.label}: phase "${got}" while waiting for "${want}"${await pageDiag(page)}`);
}

// sha256 of the bytes behind a blob: URL in the page, hashed here in node (the page is served
// over plain http, not a secure context, so it has no WebCrypto; and the check must not use the
// page's own SHA-256 code anyway). The bytes come over in 4 MiB base64 pieces.
async function blobSha256(page, url) {
  const h = crypto.createHash('sha256');
  let size = 0;
  for (let off = 0; ; off += 4 * MiB) {
    const b64 = await page.evaluate(async ({ url, off, len }) => {
      const blob = await (await fetch(url)).blob();
      const u8 = new Uint8Array(await blob.slice(off, off + len).arrayBuffer());
      let bin = '';
      for (let i = 0; i < u8.length; i += 32768) bin += String.fromCharCode.apply(null, u8.subarray(i, i + 32768));
      return btoa(bin);
    }, { url, off, len: 4 * MiB });
    const buf = Buffer.from(b64, 'base64');
    if (buf.length === 0) break;
    h.update(buf);
    size += buf.length;
    if (buf.length < 4 * MiB) break;
  }
  return { size, sha256: h.digest('hex') };
}

// The bytes of a file the page received, hashed in node: through the Download link `sel` (via
// 'download': what a user saves) or read at its blob: URL (via 'blob'); checked against `want`.
async function checkBytes(page, want, via, { sel, url }) {
  let bytes;
  if (via === 'download') {
    const saved = await page.io.download(page, sel, want.name, want.size);
    bytes = { size: fs.statSync(saved).size, sha256: sha256File(saved) };
  } else {
    bytes = await blobSha256(page, url);
  }
  const where = via === 'download' ? 'downloaded' : 'at the blob URL';
  checkEq(bytes.size, want.size, `${page.label}: size of the bytes ${where}`);
  checkEq(bytes.sha256, want.sha256, `${page.label}: sha256 of the bytes ${where}`);
}

// Files the page received: checks name, size and the page's sha256, then the bytes themselves
// (checkBytes()).
async function checkReceived(page, want, via) {
  const got = await waitPage(page, (n) => {
    const r = window.rtcTest.received || [];
    return r.length >= n ? r.map((x) => ({ name: x.name, size: x.size, sha256: x.sha256, url: x.url })) : false;
  }, 1, 90000, 'received file');
  checkEq(got.length, 1, `${page.label}: number of received files`);
  checkEq(got[0].name, want.name, `${page.label}: received name`);
  checkEq(got[0].size, want.size, `${page.label}: received size`);
  checkEq(got[0].sha256, want.sha256, `${page.label}: sha256 the page reports`);
  await checkBytes(page, want, via, { sel: '#recv-list a[download]', url: got[0].url });
  return got[0];
}

// A File in the page with the bytes of a file made here (through an <input type=file> of our
// own, outside the page's UI), kept as window.__rtcbrFiles[name].
async function pageFileFromDisk(page, file) {
  const name = path.basename(file);
  await page.evaluate(() => {
    const i = document.createElement('input');
    i.type = 'file';
    i.id = '__rtcbr_input';
    i.style.display = 'none';
    document.body.appendChild(i);
  });
  await page.io.setFiles(page, '#__rtcbr_input', file);
  const n = await waitPage(page, (nm) => {
    const i = document.getElementById('__rtcbr_input');
    if (!i.files.length) return false;
    window.__rtcbrFiles = window.__rtcbrFiles || {};
    window.__rtcbrFiles[nm] = i.files[0];
    i.remove();
    return window.__rtcbrFiles[nm].size;
  }, name, 5000, 'the file in our <input type=file>');
  checkEq(n, fs.statSync(file).size, `${page.label}: size of the File made from ${name}`);
  return name;
}

// Makes a code in the page as its buttons do (rtcTest.create('send' | 'pipe')); returns it.
// create() resolves with the code once the page waits in the room (or returns it at once).
async function pageCreate(page, mode) {
  const r = await withTimeout(page.evaluate(async (m) => {
    const code = await window.rtcTest.create(m);
    return { code, info: window.rtcTest.info() };
  }, mode), 15000, `${page.label}: rtcTest.create('${mode}')`);
  check(typeof r.code === 'string' && CODE_RE.test(r.code) && r.code.match(CODE_RE)[0] === r.code,
    `${page.label}: rtcTest.create('${mode}') returned ${JSON.stringify(r.code)}, not a code`);
  checkEq(r.info.code, r.code, `${page.label}: rtcTest.info().code`);
  return r.code;
}

// Starts sending the named page-made file (rtcTest.sendFiles, or in a room
// rtcTest.peer(to).sendFiles); the per-file results it resolves with (once the receiver said
// bye) land in window.__rtcbrResults.
async function pageSendFile(page, name, to = null) {
  await page.evaluate(({ n, to }) => {
    const t = to ? window.rtcTest.peer(to) : window.rtcTest;
    Promise.resolve(t.sendFiles([window.__rtcbrFiles[n]])).then(
      (r) => { window.__rtcbrResults = JSON.parse(JSON.stringify(r)); },
      (e) => { window.__rtcbrResults = { error: String((e && e.stack) || e) }; });
  }, { n: name, to });
}

async function pageSendResults(page, ms) {
  const r = await waitPage(page, () => window.__rtcbrResults || false, undefined, ms, 'sendFiles() to resolve');
  if (r.error) fail(`${page.label}: sendFiles() rejected: ${r.error}${await pageDiag(page)}`);
  return r;
}

// Host candidates by kind: `ip` (our address), `mdns` (.local names), `other`.
function hostKinds(cands) {
  const k = { ip: 0, mdns: 0, other: 0 };
  for (const c of cands) {
    const f = c.replace(/^candidate:/, '').split(' ');
    if (f[7] !== 'host') continue;
    if (f[4] === STATE.opt.addr) k.ip++;
    else if (/\.local$/.test(f[4])) k.mdns++;
    else k.other++;
  }
  return k;
}

// One line on how ICE went in a page, after checking the host-candidate kind its mode promises.
async function iceReport(page, mdns) {
  const { cands, pairs } = await page.evaluate(() => {
    const rec = window.__rtcbr;
    return rec ? { cands: rec.cands.slice(), pairs: rec.pairs.slice() } : { cands: [], pairs: [] };
  });
  const k = hostKinds(cands);
  if (mdns) {
    check(k.mdns > 0 && k.ip === 0, `${page.label}: mDNS host candidates were expected: ${JSON.stringify(k)}: ${cands.join(' | ')}`);
  } else {
    check(k.ip > 0 && k.mdns === 0, `${page.label}: plain-IP host candidates were expected: ${JSON.stringify(k)}: ${cands.join(' | ')}`);
  }
  return `${page.label} host candidates: ${mdns ? `${k.mdns} .local` : `${k.ip} ${STATE.opt.addr}`}; selected pair: ${pairs.join(', ') || '(none)'}`;
}

// ------------------------------------------------------------------------------------------------
// flows of the scenarios both drivers run (their pages come from the driver's makePage())

// env: two RTCPeerConnections in a data: page exchange a message (no signald, no page of ours);
// the host candidates are of the kind `mdns` promises. Returns the candidates.
async function envDataChannel(page, mdns) {
  await page.goto('data:text/html,<title>env</title>');
  const r = await withTimeout(page.evaluate(async () => {
    const pc1 = new RTCPeerConnection(), pc2 = new RTCPeerConnection(), cands = [];
    pc1.onicecandidate = (e) => { if (e.candidate) { cands.push(e.candidate.candidate); pc2.addIceCandidate(e.candidate); } };
    pc2.onicecandidate = (e) => { if (e.candidate) pc1.addIceCandidate(e.candidate); };
    const dc = pc1.createDataChannel('env');
    const got = new Promise((res) => { pc2.ondatachannel = (e) => { e.channel.onmessage = (m) => res(m.data); }; });
    await pc1.setLocalDescription(); await pc2.setRemoteDescription(pc1.localDescription);
    await pc2.setLocalDescription(); await pc1.setRemoteDescription(pc2.localDescription);
    await new Promise((res) => { dc.onopen = res; });
    dc.send('ping');
    const msg = await got;
    pc1.close(); pc2.close();
    return { msg, cands };
  }), 15000, `a data channel between two PeerConnections (${mdns ? 'mDNS' : 'IP'})`);
  checkEq(r.msg, 'ping', 'message over the data channel');
  const k = hostKinds(r.cands);
  if (mdns) check(k.mdns > 0 && k.ip === 0, `mDNS mode: ${r.cands.join(' | ')}`);
  else check(k.ip > 0 && k.mdns === 0, `IP mode: ${r.cands.join(' | ')}`);
  return r.cands;
}

// a: `rtcpeer send` a 20 MiB random file; the page opens the link from its code event (checked
// to be exactly the link built from the code); during(page, sender, size), if given, runs once
// rtcpeer authenticated; the page's Download link gives the bytes; rtcpeer exits 0 with the right
// summary and the page ends "done". Returns {page, sender, dt} (dt: from opening the link to
// the verified file).
async function rtcpeerSendsToPage(s, makePage, during) {
  const size = 20 * MiB;
  const file = path.join(STATE.tmp, 'a-random-20MiB.bin');
  const sha = randomFile(file, size);
  const sender = rtcpeer('rtcpeer send', ['send', ...peerArgs(), file]);
  s.procs.push(sender);
  const ev = await sender.waitEvent('code', 10000);
  check(typeof ev.code === 'string' && CODE_RE.test(ev.code), `rtcpeer's code event: ${JSON.stringify(ev)}`);
  const link = linkFor(ev.code);
  checkEq(ev.link, link, "the link in rtcpeer's code event");
  const page = await makePage();
  s.pages.push(page);
  const t = Date.now();
  await openPage(page, link);
  await sender.waitEvent('authenticated', 30000);
  if (during) await during(page, sender, size);
  await checkReceived(page, { name: path.basename(file), size, sha256: sha }, 'download');
  const dt = Date.now() - t;
  await sender.expectExit(0, 20000);
  const sum = sender.event('summary') || {};
  checkEq(sum.files, 1, "rtcpeer send's summary: files");
  checkEq(sum.bytes, size, "rtcpeer send's summary: bytes");
  await waitPhase(page, 'done', 10000);
  return { page, sender, dt };
}

// b: the page at /, through its UI: "Send files", the file input (a 20 MiB random file), "Send";
// `rtcpeer recv` with the code the page shows. The link and command it shows are exact; the one
// file rtcpeer writes has the source's size and sha256; the page's file-sent event is ok with
// it. Returns {page, recv, dt} (dt: from starting rtcpeer recv to its exit).
async function pageSendsToRtcpeer(s, makePage) {
  const size = 20 * MiB;
  const file = path.join(STATE.tmp, 'b-random-20MiB.bin');
  const name = path.basename(file);
  const sha = randomFile(file, size);
  const page = await makePage();
  s.pages.push(page);
  await openPage(page, `${STATE.httpBase}/`);
  checkEq(await page.evaluate(() => window.rtcTest.state()), 'home', 'phase of the page at /');
  await page.io.click(page, '#make-send');
  await waitPhase(page, 'waiting', 10000);
  const cmd = await page.io.inputValue(page, '#share-cmd');
  const shown = await page.io.inputValue(page, '#share-link');
  const code = (await page.evaluate(() => window.rtcTest.info())).code;
  check(typeof code === 'string' && CODE_RE.test(code), `rtcTest.info().code after "Send files": ${JSON.stringify(code)}`);
  checkEq(cmd, `rtcpeer recv ${code}`, 'the command the page shows');
  checkEq(shown, linkFor(code), 'the link the page shows');
  await page.io.setFiles(page, '#file-input', file);
  await page.io.click(page, '#send-go');
  const out = fs.mkdtempSync(path.join(STATE.tmp, 'b-out-'));
  const t = Date.now();
  const recv = rtcpeer('rtcpeer recv', ['recv', ...peerArgs(['-o', out]), code]);
  s.procs.push(recv);
  await withDiag(page, recv.expectExit(0, 90000));
  const dt = Date.now() - t;
  checkEq(JSON.stringify(fs.readdirSync(out)), JSON.stringify([name]), 'files in the output directory');
  checkEq(fs.statSync(path.join(out, name)).size, size, 'size of the received file');
  checkEq(sha256File(path.join(out, name)), sha, 'sha256 of the received file');
  const sum = recv.event('summary') || {};
  checkEq(sum.files, 1, "rtcpeer recv's summary: files");
  checkEq(sum.bytes, size, "rtcpeer recv's summary: bytes");
  await waitPhase(page, 'done', 10000);
  const sent = await page.evaluate(() => window.rtcTest.events.filter((e) => e.type === 'file-sent')
    .map((e) => [e.name, e.size, e.ok, e.sha256]));
  checkEq(JSON.stringify(sent), JSON.stringify([[name, size, true, sha]]), "the page's file-sent events [name, size, ok, sha256]");
  return { page, recv, dt };
}

// The pipe conversation of c and c2: `toPipe` (the page's text) one way, three lines the other,
// exact; `pageEndsFirst` picks who sends eof first; rtcpeer exits 0 and the page ends "done".
async function pipeTalk(s, page, pipe, pageEndsFirst, toPipe) {
  await pipe.waitEvent('authenticated', 30000);
  await waitPhase(page, 'piping', 20000);
  const toPage = ['hello from rtcpeer: ñ, ✓, 🛰', 'another line', 'no newline at the end'];
  checkEq(await page.evaluate((t) => window.rtcTest.sendText(t), toPipe), true, 'rtcTest.sendText()');
  await withDiag(page, pipe.waitFor(() => pipe.stdout().length >= Buffer.byteLength(toPipe), 15000, "the page's text on stdout"));
  checkEq(pipe.stdout().toString('utf8'), toPipe, "rtcpeer pipe's stdout");
  pipe.child.stdin.write(toPage.slice(0, 2).join('\n') + '\n');
  const got = await waitPage(page, (n) => (window.rtcTest.texts.length >= n ? window.rtcTest.texts.slice() : false),
    2, 15000, 'two lines from rtcpeer');
  checkEq(JSON.stringify(got), JSON.stringify(toPage.slice(0, 2)), 'rtcTest.texts');
  // The end, both ways: eof from each side (the last line has no newline), then both byes.
  const endPage = async () => checkEq(await page.evaluate(() => window.rtcTest.endText()), true, 'rtcTest.endText()');
  const endPipe = () => { pipe.child.stdin.end(toPage[2]); };
  if (pageEndsFirst) {
    await endPage();
    await waitPage(page, () => window.rtcTest.events.some((e) => e.type === 'eof-sent'), undefined, 5000, 'eof-sent');
    endPipe();
  } else {
    endPipe();
    await waitPage(page, () => window.rtcTest.events.some((e) => e.type === 'eof-received'), undefined, 10000, 'eof-received');
    await endPage();
  }
  await withDiag(page, pipe.expectExit(0, 15000));
  await waitPhase(page, 'done', 10000);
  const texts = await page.evaluate(() => window.rtcTest.texts.slice());
  checkEq(JSON.stringify(texts), JSON.stringify(toPage), 'rtcTest.texts after eof');
  checkEq(pipe.stdout().toString('utf8'), toPipe, "rtcpeer pipe's whole stdout");
  s.notes.push(`${Buffer.byteLength(toPipe)} bytes page->pipe, ${Buffer.byteLength(toPage.join('\n'))} bytes pipe->page, exact; ` +
    `${pageEndsFirst ? 'page' : 'rtcpeer'} ended first; rtcpeer exit 0, page "done"; rtcpeer: ${(pipe.event('connected') || {}).pair}`);
}

// c: `rtcpeer pipe` makes the code, the page opens its link; the page ends first.
async function rtcpeerPipeMakesCode(s, makePage, toPipe) {
  const pipe = rtcpeer('rtcpeer pipe', ['pipe', ...peerArgs()], { stdin: 'pipe' });
  s.procs.push(pipe);
  const ev = await pipe.waitEvent('code', 10000);
  const link = linkFor(ev.code);
  checkEq(ev.link, link, "the link in rtcpeer's code event");
  const page = await makePage();
  s.pages.push(page);
  await openPage(page, link);
  await pipeTalk(s, page, pipe, true, toPipe);
  return page;
}

// c2: the page makes the pipe code (create('pipe')), `rtcpeer pipe CODE` joins; rtcpeer ends
// first.
async function pageMakesPipeCode(s, makePage, toPipe) {
  const page = await makePage();
  s.pages.push(page);
  await openPage(page, `${STATE.httpBase}/`);
  const code = await pageCreate(page, 'pipe');
  await waitPhase(page, 'waiting', 10000);
  const pipe = rtcpeer('rtcpeer pipe', ['pipe', ...peerArgs(), code], { stdin: 'pipe' });
  s.procs.push(pipe);
  await pipeTalk(s, page, pipe, false, toPipe);
  return page;
}

// d: page `a` makes a code (create('send')) and sends `file` (sha256 `sha`) as a File
// (sendFiles); page `b` opens /#<room>-<secret>. The bytes behind b's blob URL (hashed here) and
// a's sendFiles() result have the source's sha256, both pages end "done". Returns the time from
// opening the link to the verified file.
async function pageSendsToPage(s, a, b, file, sha) {
  const size = fs.statSync(file).size;
  s.pages.push(a, b);
  await openPage(a, `${STATE.httpBase}/`);
  const name = await pageFileFromDisk(a, file);
  const code = await pageCreate(a, 'send');
  await waitPhase(a, 'waiting', 10000);
  await pageSendFile(a, name);
  const t = Date.now();
  await openPage(b, `${STATE.httpBase}/#${code}`); // the other address form, /#<room>-<secret>
  await checkReceived(b, { name, size, sha256: sha }, 'blob');
  const dt = Date.now() - t;
  const res = await pageSendResults(a, 10000);
  checkEq(JSON.stringify(res.map((r) => [r.name, r.size, r.ok, r.sha256])), JSON.stringify([[name, size, true, sha]]),
    `${a.label}: sendFiles() results [name, size, ok, sha256]`);
  await waitPhase(a, 'done', 10000);
  await waitPhase(b, 'done', 10000);
  return dt;
}

// ------------------------------------------------------------------------------------------------
// rooms: several pages in one room, a connection per pair (web/js/room.js)

// A room id for a plain room (/r/<room>, no key) of this run.
const roomId = () => `rtcbr-${crypto.randomBytes(12).toString('base64url')}`;

// Opens a room address in a new page from makePage() and waits until it is in the room;
// returns the page with .me (its peer id).
async function roomPage(makePage, url) {
  const page = await makePage();
  await openPage(page, url);
  await waitPhase(page, 'room', 10000);
  const me = await page.evaluate(() => window.rtcTest.info());
  page.me = me.me;
  page.roomName = me.name;
  check(/^[a-z2-7]{26}$/.test(page.me || ''), `${page.label}: rtcTest.info().me = ${JSON.stringify(page.me)}`);
  return page;
}

// Waits until the page's peers() lists exactly `want` (ids) in state `state` (others may be
// listed in other states); returns peers().
async function waitPeers(page, want, state, ms) {
  return waitPage(page, ({ want, state }) => {
    const p = window.rtcTest.peers();
    return want.every((id) => p.some((x) => x.id === id && x.state === state)) ? p : false;
  }, { want, state }, ms, `peers ${want.map((id) => id.slice(0, 6)).join(', ')} in state "${state}"`);
}

// peers() as [name, state, role, present, verified], for exact comparisons.
const roles = (list) => JSON.stringify(list.map((p) => [p.name, p.state, p.role, p.present, p.verified]));

const card = (id) => `article.peer[data-peer="${id}"]`;

// The page's presence list: the count line, the chips (`name=id`, none for itself) and the
// cards ([id, badge]).
const presence = (page) => page.evaluate(() => ({
  count: document.getElementById('presence-count').textContent,
  chips: [...document.querySelectorAll('#presence li')].map((li) => li.firstChild.textContent + (li.dataset.peer ? `=${li.dataset.peer}` : '')),
  cards: [...document.querySelectorAll('article.peer')].map((c) => [c.dataset.peer, c.querySelector('.badge').textContent]),
}));

// Lines the page received on its text channel with peer `id`.
const textsFrom = (page, id, n, ms) => waitPage(page, ({ id, n }) => {
  const h = window.rtcTest.peer(id);
  return h && h.texts.length >= n ? h.texts.slice() : false;
}, { id, n }, ms, `${n} line(s) of text from ${id.slice(0, 6)}`);

// The pages of a plain room (no key), in the order they joined. Each lists every other one
// `ready` within 20 s, in order of arrival, as [name, state, role, present, verified] exactly:
// the newcomer offered to everybody already there (PROTOCOL.md §5), who was `present` when it
// came; nobody is `verified` (no key). The presence list of pages[shown] reads `N in this room`,
// `You (name)` first, then a chip and a `connected` card per other member. Returns when all
// were ready.
async function checkPlainMesh(pages, shown) {
  const lists = [];
  for (const page of pages) lists.push(await waitPeers(page, pages.filter((o) => o !== page).map((o) => o.me), 'ready', 20000));
  const readyAt = Date.now();
  pages.forEach((page, i) => {
    const want = pages.map((o, j) => [o.roomName, 'ready', j > i ? 'answerer' : 'offerer', j < i, false]).filter((_, j) => j !== i);
    checkEq(roles(lists[i]), JSON.stringify(want), `${page.label}: peers() [name, state, role, present, verified]`);
  });
  const me = pages[shown];
  const others = pages.filter((o) => o !== me);
  checkEq(JSON.stringify(await presence(me)), JSON.stringify({
    count: `${pages.length} in this room`,
    chips: [`You (${me.roomName})`, ...others.map((o) => `${o.roomName}=${o.me}`)],
    cards: others.map((o) => [o.me, 'connected']),
  }), `${me.label}: presence list and cards`);
  return readyAt;
}

// `leaver` closes its page. Each [page, other] of `stay` (both stay; the other arrived before
// the leaver) lists it `left` within 10 s, after the other, which is still `ready`; the first
// page's presence reads `2 in this room` with itself and the other, its card of the leaver says
// `left`; no page that stays has an error on any member. Returns the time from closing the page
// to the last one seeing it gone.
async function leaveRoom(leaver, stay) {
  const t = Date.now();
  await withTimeout(leaver.close(), 5000, `closing ${leaver.label}`);
  for (const [page, other] of stay) {
    const p = await waitPeers(page, [leaver.me], 'left', 10000);
    checkEq(JSON.stringify(p.map((x) => [x.id, x.state])), JSON.stringify([[other.me, 'ready'], [leaver.me, 'left']]),
      `${page.label}: peers() [id, state] after ${leaver.roomName} left`);
  }
  const dt = Date.now() - t;
  const [first, other] = stay[0];
  const pres = await presence(first);
  checkEq(JSON.stringify([pres.count, pres.chips]), JSON.stringify(['2 in this room', [`You (${first.roomName})`, `${other.roomName}=${other.me}`]]),
    `${first.label}: presence after ${leaver.roomName} left`);
  checkEq(JSON.stringify(pres.cards), JSON.stringify([[other.me, 'connected'], [leaver.me, 'left']]),
    `${first.label}: cards after ${leaver.roomName} left`);
  const errs = await Promise.all(stay.map(([pg]) => pg.evaluate(() => window.rtcTest.peers().filter((x) => x.error).map((x) => x.error))));
  checkEq(JSON.stringify(errs), JSON.stringify(stay.map(() => [])), 'peer errors on the pages that stay');
  return dt;
}

// Files the page received from member `from`: [{from, name, size, sha256, url}], once there is one.
const filesFrom = (page, from) => waitPage(page, (from) => {
  const r = window.rtcTest.peer(from).received;
  return r.length ? r.map((x) => ({ from: x.from, name: x.name, size: x.size, sha256: x.sha256, url: x.url })) : false;
}, from, 30000, `a file from ${from.slice(0, 6)}`);

// The page's file-sent events [peer, name, size, ok, sha256], sorted, once there are n.
const filesSent = (page, n) => waitPage(page, (n) => {
  const e = window.rtcTest.events.filter((x) => x.type === 'file-sent');
  return e.length >= n ? e.map((x) => [x.peer, x.name, x.size, x.ok, x.sha256]).sort() : false;
}, n, 10000, `${n} file-sent event(s)`);

// ------------------------------------------------------------------------------------------------
// scenarios: registry, runner, report

const SCENARIOS = [];

// `tag`, if given, goes into the report line in brackets (run.js: the candidate mode).
function scenario(id, title, fn, tag) {
  SCENARIOS.push({ id, title, fn, tag });
}

// Runs one scenario within `limit` ms and prints its report: PASS/FAIL/SKIP line, then its
// notes. On failure the message gets the scenario's processes and pages' diagnostics. Then its
// processes are ended and its pages closed; a sanitizer report on a process's stderr fails it,
// and so does (with pageErrorsFail) an exception one of its pages did not catch. Returns 'pass',
// 'fail' or 'skip'.
async function runScenario(sc, { limit, pageErrorsFail }) {
  const s = { notes: [], pages: [], procs: [], skipped: null };
  s.skip = (why) => { s.skipped = why; };
  const t = Date.now();
  let err = null;
  try {
    await withTimeout(sc.fn(s), limit, `scenario ${sc.id}`);
  } catch (e) {
    err = e;
  }
  const dt = Date.now() - t;
  // An exception the page did not catch is a bug even when the scenario got what it wanted.
  if (!err && pageErrorsFail) {
    const thrown = s.pages.flatMap((pg) => pg.logs.filter((l) => l.startsWith('pageerror:')).map((l) => `${pg.label}: ${l}`));
    if (thrown.length) err = new Failure(`uncaught exception(s) in the page:\n        ${thrown.join('\n        ')}`);
  }
  let msg = '';
  if (err) {
    msg = err instanceof Failure ? err.message : (err.stack || String(err));
    for (const p of s.procs) if (!msg.includes(`${p.name} (pid ${p.pid}`)) msg += `\n      ${p.describe(12)}`;
    for (const pg of s.pages) if (!msg.includes(`${pg.label}: state() =`)) msg += await pageDiag(pg);
  }
  await endProcs(s.procs, 2000);
  for (const pg of s.pages) await withTimeout(pg.closeAll(), 5000, 'page close').catch(() => {});
  // Sanitizer builds: a report on any rtcpeer's stderr fails the scenario.
  for (const p of s.procs) {
    const report = sanitizerReport(p);
    if (report) msg += `${msg ? '\n      also: ' : ''}${report}`;
  }
  if (STATE.tornDown) return 'fail'; // interrupted: teardown() ran meanwhile, the outcome means nothing
  STATE.ran.push(sc.id);
  const head = `${sc.id}: ${sc.title}${sc.tag ? ` [${sc.tag}]` : ''} (${secs(dt)} s)`;
  if (!msg && s.skipped) {
    console.log(`SKIP ${head}: ${s.skipped}`);
    return 'skip';
  }
  console.log(msg ? `FAIL ${head}\n      ${msg}` : `PASS ${head}`);
  for (const n of s.notes) info(n);
  return msg ? 'fail' : 'pass';
}

// Once started, every caller waits for the same teardown (a signal handler and runSuite() both
// call it): the browsers, then every process, then STATE.onTeardown, then the temporary
// directory (kept with the driver's KEEP variable).
let teardownDone = null;
function teardown() {
  STATE.tornDown = true;
  if (!teardownDone) teardownDone = doTeardown();
  return teardownDone;
}
async function doTeardown() {
  for (const c of STATE.contexts) await withTimeout(c.close(), 5000, 'context close').catch(() => {});
  for (const b of Object.values(STATE.browsers)) await closeBrowser(b);
  await endProcs(PROCS, 3000);
  for (const f of STATE.onTeardown) {
    try {
      f();
    } catch (e) {
      console.error(e.message);
    }
  }
  if (STATE.tmp && !STATE.opt.keep) fs.rmSync(STATE.tmp, { recursive: true, force: true });
  else if (STATE.tmp) info(`kept ${STATE.tmp}`);
}

// The run: setup() (which makes STATE.tmp and calls startSignald()), the scenarios `chosen` in
// order, teardown(), and the report's end: a FAIL line if signald died or printed a sanitizer
// report, the time, `N passed, M failed[, K skipped]`. Returns the counts {pass, fail, skip},
// or null when the run was interrupted (STATE.interrupted: the driver reports that).
async function runSuite(chosen, setup, opts) {
  const n = { pass: 0, fail: 0, skip: 0 };
  try {
    await setup();
    for (const sc of chosen) {
      if (STATE.tornDown) break;
      n[await runScenario(sc, opts)]++;
    }
    if (!STATE.signald.running && !STATE.interrupted) {
      console.log(`FAIL signald died during the run: ${STATE.signald.describe()}`);
      n.fail++;
    }
  } catch (e) {
    console.log(`FAIL setup: ${e instanceof Failure ? e.message : e.stack || e}`);
    n.fail++;
  } finally {
    await teardown();
  }
  if (STATE.interrupted) return null;
  // After teardown: signald has had its SIGTERM, so a LeakSanitizer report would be out too.
  if (STATE.signald && STATE.signald.lines.some((l) => SANITIZER_RE.test(l))) {
    console.log(`FAIL signald printed a sanitizer report: ${STATE.signald.describe(40)}`);
    n.fail++;
  }
  info(`whole run ${secs(Date.now() - T0)} s`);
  console.log(`${n.pass} passed, ${n.fail} failed${n.skip ? `, ${n.skip} skipped` : ''}`);
  return n;
}

// A temporary directory of the run, STATE.tmp.
function makeTmp(prefix) {
  STATE.tmp = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  return STATE.tmp;
}

module.exports = {
  HERE, REPO, MiB, STATE, SCENARIOS, INSTRUMENT, CODE_RE, PLAYWRIGHT_IO,
  sleep, secs, info, Failure, fail, check, checkEq, sha256File, randomFile, withTimeout,
  usage, skip, parseOptions, checkScenarioIds, requirePrereqs, netns, configure, makeTmp,
  Proc, rtcpeer, peerArgs, startSignald, linkFor,
  keepBrowser, closeBrowser, launchChromium, trackPage, newChromiumPage,
  openPage, pageDiag, withDiag, waitPage, waitPhase, blobSha256, checkBytes, checkReceived,
  pageFileFromDisk, pageCreate, pageSendFile, pageSendResults, hostKinds, iceReport,
  envDataChannel, rtcpeerSendsToPage, pageSendsToRtcpeer, pipeTalk, rtcpeerPipeMakesCode,
  pageMakesPipeCode, pageSendsToPage,
  roomId, roomPage, waitPeers, card, presence, checkPlainMesh, leaveRoom, textsFrom, filesFrom, filesSent,
  scenario, runScenario, teardown, runSuite,
};

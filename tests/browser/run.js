#!/usr/bin/env node
// Real-browser tests: the web page in headless Debian Chromium against signald and rtcpeer.
//
//   node tests/browser/run.js [--signald PATH] [--rtcpeer PATH] [--web-root DIR] [SCENARIO...]
//
// Needs root (network namespace), /usr/bin/chromium and playwright-core in
// tests/browser/node_modules (scripts/browser-deps.sh installs both). Exits 77 (ctest's
// SKIP_RETURN_CODE) when one of these is missing, 1 when a scenario fails, 0 otherwise.
// See README.md beside this file for what each scenario proves.
//
// Environment: SIGNALD, RTCPEER (paths, instead of the flags), CHROMIUM (default
// /usr/bin/chromium), SCREENSHOT=FILE (write a PNG of the page in the middle of a transfer),
// SCREENSHOT_ROOM=FILE (a PNG of one page of the room scenario m, after its files and text),
// RTCBR_NS (namespace name, default rtcbr-<pid>), RTCBR_ADDR (default 10.203.0.2),
// RTCBR_SUITE_TIMEOUT (seconds, default 300), RTCBR_KEEP=1 (keep the temporary directory),
// RTCBR_DIAG_EVENTS (how many of a page's last events a failure prints, default 15).
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
// command line

function usage(msg) {
  if (msg) console.error(`run.js: ${msg}`);
  console.error('usage: node run.js [--signald PATH] [--rtcpeer PATH] [--web-root DIR] [SCENARIO...]');
  process.exit(2);
}

const opt = {
  signald: process.env.SIGNALD || '',
  rtcpeer: process.env.RTCPEER || '',
  webRoot: process.env.RTCBR_WEB_ROOT || path.join(REPO, 'web'),
  chromium: process.env.CHROMIUM || '/usr/bin/chromium',
  screenshot: process.env.SCREENSHOT || '',
  screenshotRoom: process.env.SCREENSHOT_ROOM || '',
  ns: process.env.RTCBR_NS || `rtcbr-${process.pid}`,
  addr: process.env.RTCBR_ADDR || '10.203.0.2',
  suiteTimeout: Number(process.env.RTCBR_SUITE_TIMEOUT || 300) * 1000,
  keep: process.env.RTCBR_KEEP === '1',
  only: [],
};
{
  const a = process.argv.slice(2);
  for (let i = 0; i < a.length; i++) {
    const next = () => (i + 1 < a.length ? a[++i] : usage(`${a[i]} needs a value`));
    if (a[i] === '--signald') opt.signald = next();
    else if (a[i] === '--rtcpeer') opt.rtcpeer = next();
    else if (a[i] === '--web-root') opt.webRoot = next();
    else if (a[i] === '-h' || a[i] === '--help') usage();
    else if (a[i].startsWith('-')) usage(`unknown option ${a[i]}`);
    else opt.only.push(a[i]);
  }
}
// Default binaries: the first build tree under the repository that has both.
if (!opt.signald || !opt.rtcpeer) {
  const cands = ['build', 'build/gcc', 'build/release', 'build/asan', 'build/debug'];
  for (const c of cands) {
    const s = path.join(REPO, c, 'signald', 'signald');
    const r = path.join(REPO, c, 'rtcpeer', 'rtcpeer');
    if (fs.existsSync(s) && fs.existsSync(r)) {
      opt.signald = opt.signald || s;
      opt.rtcpeer = opt.rtcpeer || r;
      break;
    }
  }
}
if (opt.signald && !opt.rtcpeer) {
  // ctest passes signald only: rtcpeer is BUILD/rtcpeer/rtcpeer beside BUILD/signald/.
  opt.rtcpeer = path.join(path.dirname(path.dirname(path.resolve(opt.signald))), 'rtcpeer', 'rtcpeer');
}
for (const k of ['signald', 'rtcpeer']) {
  if (!opt[k]) usage(`no ${k} binary: pass --${k} PATH or set ${k.toUpperCase()}`);
  opt[k] = path.resolve(opt[k]);
  if (!fs.existsSync(opt[k])) usage(`${k} not found at ${opt[k]}`);
}
if (!/^rtcbr-[A-Za-z0-9_-]{1,9}$/.test(opt.ns)) usage('RTCBR_NS must be rtcbr-<1..9 of [A-Za-z0-9_-]>');

function skip(why) {
  console.log(`SKIP: ${why}`);
  process.exit(77);
}
if (process.getuid && process.getuid() !== 0) skip('needs root (network namespaces)');
if (!fs.existsSync(opt.chromium)) skip(`no ${opt.chromium} (scripts/browser-deps.sh installs Debian's chromium)`);
let chromium;
try {
  ({ chromium } = require(path.join(HERE, 'node_modules', 'playwright-core')));
} catch (e) {
  skip('playwright-core is not installed in tests/browser/node_modules (run scripts/browser-deps.sh)');
}
if (spawnSync('ip', ['-V']).status !== 0) skip('no `ip` (iproute2)');

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
// child processes (all inside the namespace; `ip netns exec` execs, so the pid is the program's)

const PROCS = [];
const SANITIZER_RE = /AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|runtime error:/;

class Proc {
  constructor(name, argv, { stdin = 'ignore' } = {}) {
    this.name = name;
    this.argv = argv;
    this.lines = [];
    this.out = [];
    this.code = undefined;
    this.signal = undefined;
    this.waiters = new Set();
    this.child = spawn('ip', ['netns', 'exec', opt.ns, ...argv], {
      stdio: [stdin, 'pipe', 'pipe'],
    });
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

  // Resolves with pred()'s truthy value; fails after ms, or when the process exits first.
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
        if (this.over) {
          return done(reject, new Failure(`${this.name} ended before ${what}: ${this.describe()}`));
        }
      };
      timer = setTimeout(() => done(reject, new Failure(
        `no ${what} within ${secs(ms)} s: ${this.describe()}`)), ms);
      this.waiters.add(poll);
      tick = setInterval(poll, 50); // for conditions that do not come with output
      poll();
    });
  }

  waitEvent(name, ms) {
    return this.waitFor(() => this.event(name), ms, `--json event "${name}"`);
  }

  async waitExit(ms) {
    try {
      await withTimeout(this.exited, ms, `${this.name} to exit`);
    } catch (e) {
      throw new Failure(`${e.message}: ${this.describe()}`);
    }
    await Promise.race([this.stderrDone, sleep(1000)]);
    return this.code;
  }

  async expectExit(want, ms) {
    await this.waitExit(ms);
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

function rtcpeer(name, args, o) {
  return new Proc(name, [opt.rtcpeer, ...args], o);
}

// RTCBR_RTCPEER_ARGS: extra rtcpeer flags for a diagnosis run, e.g. "-v".
const EXTRA_PEER_ARGS = (process.env.RTCBR_RTCPEER_ARGS || '').split(' ').filter(Boolean);

function peerArgs(extra = []) {
  return ['--server', STATE.wsUrl, '--bind-addr', opt.addr, '--timeout', '30', '--json',
    ...EXTRA_PEER_ARGS, ...extra];
}

// ------------------------------------------------------------------------------------------------
// browsers and pages

// Wraps every RTCPeerConnection the page makes, independently of the page's code, to record the
// local candidates it gathered and the candidate pair selected once it is connected.
const INSTRUMENT = `(() => {
  const Orig = window.RTCPeerConnection;
  if (!Orig || window.__rtcbr) return;
  const rec = { cands: [], pairs: [] };
  Object.defineProperty(window, '__rtcbr', { value: rec });
  const pairOf = async (pc) => {
    const s = await pc.getStats();
    let out = null;
    s.forEach((v) => {
      if (v.type !== 'transport' || !v.selectedCandidatePairId) return;
      const p = s.get(v.selectedCandidatePairId);
      if (!p) return;
      const l = s.get(p.localCandidateId) || {}, r = s.get(p.remoteCandidateId) || {};
      out = l.candidateType + ' ' + (l.address || '?') + ':' + l.port + ' -> ' + r.candidateType + ' ' + (r.address || '(hidden)') + ':' + r.port;
    });
    return out;
  };
  class PC extends Orig {
    constructor(...a) {
      super(...a);
      this.addEventListener('icecandidate', (e) => {
        if (e.candidate && e.candidate.candidate) rec.cands.push(e.candidate.candidate);
      });
      this.addEventListener('connectionstatechange', () => {
        if (this.connectionState === 'connected') pairOf(this).then((p) => rec.pairs.push(p || '(no pair in stats)'), (e) => rec.pairs.push('getStats: ' + e));
      });
    }
  }
  window.RTCPeerConnection = PC;
})();`;

// The local candidates and the selected pairs of the PeerConnections the page made.
async function pageIce(page) {
  return page.evaluate(() => {
    const rec = window.__rtcbr;
    return rec ? { cands: rec.cands.slice(), pairs: rec.pairs.slice() } : { cands: [], pairs: [] };
  });
}

// Host candidates by kind: `ip` (our address), `mdns` (.local names), `other`.
function hostKinds(cands) {
  const k = { ip: 0, mdns: 0, other: 0 };
  for (const c of cands) {
    const f = c.replace(/^candidate:/, '').split(' ');
    if (f[7] !== 'host') continue;
    if (f[4] === opt.addr) k.ip++;
    else if (/\.local$/.test(f[4])) k.mdns++;
    else k.other++;
  }
  return k;
}

// Chromium with mdns=false gets --disable-features=WebRtcHideLocalIpsWithMdns (host candidates
// carry the address); mdns=true is Chromium's default (host candidates are random .local names).
async function getBrowser(mdns) {
  const key = mdns ? 'mdns' : 'ip';
  if (STATE.browsers[key]) return STATE.browsers[key];
  const args = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
    '--disable-dev-shm-usage'];
  if (!mdns) args.push('--disable-features=WebRtcHideLocalIpsWithMdns');
  const t = Date.now();
  const b = await withTimeout(chromium.launch({
    executablePath: STATE.wrapper, headless: true, args, timeout: 30000,
    handleSIGINT: false, handleSIGTERM: false, handleSIGHUP: false, // teardown() does it
  }), 40000, 'Chromium to start');
  STATE.browsers[key] = b;
  info(`Chromium ${b.version()} (${mdns ? 'mDNS host candidates' : 'IP host candidates'}) started in ${secs(Date.now() - t)} s`);
  return b;
}

async function newPage(browser, label) {
  const context = await browser.newContext({ viewport: { width: 1100, height: 760 }, acceptDownloads: true });
  STATE.contexts.push(context);
  await context.addInitScript(INSTRUMENT);
  const page = await context.newPage();
  page.label = label;
  page.logs = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') page.logs.push(`console.${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => page.logs.push(`pageerror: ${e.message}`));
  page.on('crash', () => page.logs.push('page crashed'));
  return page;
}

// Opens url and waits for window.rtcTest.
async function openPage(page, url) {
  const resp = await page.goto(url, { timeout: 15000 });
  check(resp && resp.ok(), `${page.label}: GET ${url}: HTTP ${resp && resp.status()}`);
  await waitPage(page, () => !!(window.rtcTest && typeof window.rtcTest.state === 'function'),
    undefined, 10000, 'window.rtcTest');
}

// What the page says about itself, for failure messages: its last RTCBR_DIAG_EVENTS events.
const DIAG_EVENTS = Number(process.env.RTCBR_DIAG_EVENTS || 15);
async function pageDiag(page) {
  let d;
  try {
    d = await withTimeout(page.evaluate((n) => {
      const t = window.rtcTest;
      if (!t) return { state: '(no window.rtcTest)', events: [] };
      let state;
      try {
        state = t.state();
      } catch (e) {
        state = `state() threw ${e}`;
      }
      const short = (x) => {
        try {
          const s = JSON.stringify(x);
          return s.length > 300 ? s.slice(0, 300) + '…' : s;
        } catch (e) {
          return String(x);
        }
      };
      return {
        state: short(state),
        events: (t.events || []).slice(-n).map(short),
        received: short((t.received || []).map((r) => ({ from: r.from, name: r.name, size: r.size, sha256: r.sha256 }))),
        texts: short(t.texts),
        peers: typeof t.peers === 'function' ? short(t.peers()) : null,
      };
    }, DIAG_EVENTS), 5000, 'page diagnostics');
  } catch (e) {
    return `\n      ${page.label}: (could not read the page: ${e.message})`;
  }
  const ev = d.events.map((e) => `\n        ${e}`).join('');
  const logs = page.logs.slice(-10).map((l) => `\n        ${l}`).join('');
  return `\n      ${page.label}: state() = ${d.state}; received = ${d.received}; texts = ${d.texts}` +
    (d.peers ? `\n      ${page.label}: peers() = ${d.peers}` : '') +
    `\n      ${page.label}: last events:${ev || ' (none)'}` + (logs ? `\n      ${page.label}: console:${logs}` : '');
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

// Files the page received: checks name, size and the page's sha256, then the bytes themselves,
// either through the page's Download link (via 'download': what a user saves) or by reading the
// blob: URL (via 'blob').
async function checkReceived(page, want, via) {
  const got = await waitPage(page, (n) => {
    const r = window.rtcTest.received || [];
    return r.length >= n ? r.map((x) => ({ name: x.name, size: x.size, sha256: x.sha256, url: x.url })) : false;
  }, 1, 90000, 'received file');
  checkEq(got.length, 1, `${page.label}: number of received files`);
  checkEq(got[0].name, want.name, `${page.label}: received name`);
  checkEq(got[0].size, want.size, `${page.label}: received size`);
  checkEq(got[0].sha256, want.sha256, `${page.label}: sha256 the page reports`);
  let bytes;
  if (via === 'download') {
    const link = page.locator('#recv-list a[download]');
    await link.waitFor({ timeout: 5000 });
    const [dl] = await Promise.all([page.waitForEvent('download', { timeout: 15000 }), link.click()]);
    checkEq(dl.suggestedFilename(), want.name, `${page.label}: the Download link's file name`);
    const saved = path.join(STATE.tmp, `download-${Date.now()}-${want.name}`);
    await dl.saveAs(saved);
    bytes = { size: fs.statSync(saved).size, sha256: sha256File(saved) };
  } else {
    bytes = await blobSha256(page, got[0].url);
  }
  checkEq(bytes.size, want.size, `${page.label}: size of the bytes ${via === 'download' ? 'downloaded' : 'at the blob URL'}`);
  checkEq(bytes.sha256, want.sha256, `${page.label}: sha256 of the bytes ${via === 'download' ? 'downloaded' : 'at the blob URL'}`);
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
  await page.setInputFiles('#__rtcbr_input', file);
  const n = await page.evaluate((name) => {
    const i = document.getElementById('__rtcbr_input');
    window.__rtcbrFiles = window.__rtcbrFiles || {};
    window.__rtcbrFiles[name] = i.files[0];
    i.remove();
    return window.__rtcbrFiles[name].size;
  }, name);
  checkEq(n, fs.statSync(file).size, `${page.label}: size of the File made from ${name}`);
  return name;
}

// Makes a code in the page as its buttons do (rtcTest.create('send' | 'pipe')); returns it.
// create() resolves once the page waits in the room.
async function pageCreate(page, mode) {
  // create() resolves with the code once the page waits in the room (or returns it at once).
  const r = await withTimeout(page.evaluate(async (m) => {
    const code = await window.rtcTest.create(m);
    return { code, info: window.rtcTest.info() };
  }, mode), 15000, `${page.label}: rtcTest.create('${mode}')`);
  check(typeof r.code === 'string' && CODE_RE.test(r.code) && r.code.match(CODE_RE)[0] === r.code,
    `${page.label}: rtcTest.create('${mode}') returned ${JSON.stringify(r.code)}, not a code`);
  checkEq(r.info.code, r.code, `${page.label}: rtcTest.info().code`);
  return r.code;
}

// Starts sending the named page-made file (rtcTest.sendFiles); the per-file results it resolves
// with (once the receiver said bye) land in window.__rtcbrResults.
async function pageSendFile(page, name) {
  await page.evaluate((n) => {
    Promise.resolve(window.rtcTest.sendFiles([window.__rtcbrFiles[n]])).then(
      (r) => { window.__rtcbrResults = JSON.parse(JSON.stringify(r)); },
      (e) => { window.__rtcbrResults = { error: String((e && e.stack) || e) }; });
  }, name);
}

async function pageSendResults(page, ms) {
  const r = await waitPage(page, () => window.__rtcbrResults || false, undefined, ms, 'sendFiles() to resolve');
  if (r.error) fail(`${page.label}: sendFiles() rejected: ${r.error}${await pageDiag(page)}`);
  return r;
}

// Waits until the page's phase (rtcTest.state()) is `want`; fails early on 'failed'.
async function waitPhase(page, want, ms) {
  const got = await waitPage(page, (w) => {
    const st = window.rtcTest.state();
    return st === w || st === 'failed' ? st : false;
  }, want, ms, `phase "${want}"`);
  if (got !== want) fail(`${page.label}: phase "${got}" while waiting for "${want}"${await pageDiag(page)}`);
}

const CODE_RE = /([a-z2-7]{12})-([a-z2-7]{25}[aeimquy4])/;

function linkFor(code) {
  const [room, secret] = code.split('-');
  return `${STATE.httpBase}/r/${room}#${secret}`;
}

// One line on how ICE went in a page, plus a check of the host-candidate kind.
async function iceReport(page, mdns) {
  const { cands, pairs } = await pageIce(page);
  const k = hostKinds(cands);
  if (mdns) {
    check(k.mdns > 0 && k.ip === 0, `${page.label}: mDNS obfuscation was expected: host candidates ${JSON.stringify(k)}: ${cands.join(' | ')}`);
  } else {
    check(k.ip > 0 && k.mdns === 0, `${page.label}: plain-IP host candidates were expected: host candidates ${JSON.stringify(k)}: ${cands.join(' | ')}`);
  }
  return `${page.label} host candidates: ${mdns ? `${k.mdns} .local` : `${k.ip} ${opt.addr}`}; selected pair: ${pairs.join(', ') || '(none)'}`;
}

// ------------------------------------------------------------------------------------------------
// scenarios

const SCENARIOS = [];
function scenario(id, title, mdns, fn) {
  SCENARIOS.push({ id, title, mdns, fn });
}

// 0. The environment itself: Chromium in the namespace gathers a non-loopback host candidate and
// two PeerConnections in one page open a data channel (no signald, no page of ours).
scenario('env', 'Chromium in the namespace: host candidate + loopback-free data channel, both candidate modes', null, async (s) => {
  for (const mdns of [false, true]) {
    const page = await newPage(await getBrowser(mdns), mdns ? 'chromium(mdns)' : 'chromium(ip)');
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
    s.notes.push(`${mdns ? 'mDNS' : 'IP'}: ${r.cands[0].split(' ').slice(4, 8).join(' ')}`);
    await page.context().close();
  }
});

// a. rtcpeer send -> the page opened at the link; screenshot in the middle of it.
scenario('a', 'rtcpeer send 20 MiB -> page opened at /r/<room>#<secret>', false, async (s) => {
  const size = 20 * MiB;
  const file = path.join(STATE.tmp, 'a-random-20MiB.bin');
  const sha = randomFile(file, size);
  const sender = rtcpeer('rtcpeer send', ['send', ...peerArgs(), file]);
  s.procs.push(sender);
  const ev = await sender.waitEvent('code', 10000);
  check(typeof ev.code === 'string' && CODE_RE.test(ev.code), `rtcpeer's code event: ${JSON.stringify(ev)}`);
  const link = linkFor(ev.code);
  checkEq(ev.link, link, "the link in rtcpeer's code event");
  const page = await newPage(await getBrowser(false), 'page');
  s.pages.push(page);
  const t = Date.now();
  await openPage(page, link);
  await sender.waitEvent('authenticated', 30000);
  // Freeze the sender (SIGSTOP) once the page shows 5 % of the file, so that the page is caught
  // in the middle of the transfer for the screenshot (and has to cope with a stall). What is in
  // flight then (rtcpeer's SCTP buffer, the page's queue) still arrives: 25..40 % of this file.
  const progress = (total) => {
    const p = window.rtcTest.events.filter((e) => e.type === 'file-progress' && e.dir === 'recv');
    const last = p[p.length - 1];
    return last ? { bytes: last.bytes, phase: window.rtcTest.state() } : { bytes: 0, phase: window.rtcTest.state() };
  };
  let early = null;
  try {
    const h = await page.waitForFunction((total) => {
      const p = window.rtcTest.events.filter((e) => e.type === 'file-progress' && e.dir === 'recv');
      return p.length > 0 && p[p.length - 1].bytes >= total / 20;
    }, size, { timeout: 30000, polling: 20 });
    await h.dispose();
    early = true;
  } catch (e) {
    s.notes.push(`no progress event past 5 % of the file (${e.message.split('\n')[0]})`);
  }
  if (early && sender.running) {
    sender.kill('SIGSTOP');
    try {
      await sleep(400); // what was in flight arrives, and the page paints it
      const mid = await page.evaluate(progress, size);
      s.notes.push(`sender stopped at ${Math.round((100 * mid.bytes) / size)} % received (page phase "${mid.phase}")`);
      if (mid.bytes >= size) s.notes.push('everything was in flight already: no mid-transfer screenshot this time');
      else if (opt.screenshot) {
        fs.mkdirSync(path.dirname(path.resolve(opt.screenshot)), { recursive: true });
        await page.screenshot({ path: opt.screenshot, timeout: 10000 });
        s.notes.push(`screenshot written to ${opt.screenshot}`);
      }
    } finally {
      sender.kill('SIGCONT');
    }
  }
  await checkReceived(page, { name: path.basename(file), size, sha256: sha }, 'download');
  const dt = Date.now() - t;
  await sender.expectExit(0, 20000);
  const sum = sender.event('summary') || {};
  checkEq(sum.files, 1, "rtcpeer send's summary: files");
  checkEq(sum.bytes, size, "rtcpeer send's summary: bytes");
  await waitPhase(page, 'done', 10000);
  s.notes.push(`${secs(dt)} s from opening the link to the verified file (incl. the pause); rtcpeer: ${(sender.event('connected') || {}).pair}`);
  s.notes.push(await iceReport(page, false));
});

// b. the page, driven through its UI, makes a code and sends a file -> rtcpeer recv.
scenario('b', 'page sends 20 MiB (UI: "Send files", file input, "Send") -> rtcpeer recv CODE', false, async (s) => {
  const size = 20 * MiB;
  const file = path.join(STATE.tmp, 'b-random-20MiB.bin');
  const name = path.basename(file);
  const sha = randomFile(file, size);
  const page = await newPage(await getBrowser(false), 'page');
  s.pages.push(page);
  await openPage(page, `${STATE.httpBase}/`);
  checkEq(await page.evaluate(() => window.rtcTest.state()), 'home', 'phase of the page at /');
  await page.click('#make-send', { timeout: 5000 });
  await waitPhase(page, 'waiting', 10000);
  const cmd = await page.inputValue('#share-cmd');
  const shown = await page.inputValue('#share-link');
  const code = (await page.evaluate(() => window.rtcTest.info())).code;
  check(typeof code === 'string' && CODE_RE.test(code), `rtcTest.info().code after "Send files": ${JSON.stringify(code)}`);
  checkEq(cmd, `rtcpeer recv ${code}`, 'the command the page shows');
  checkEq(shown, linkFor(code), 'the link the page shows');
  await page.setInputFiles('#file-input', file);
  await page.click('#send-go', { timeout: 5000 });
  const out = fs.mkdtempSync(path.join(STATE.tmp, 'b-out-'));
  const t = Date.now();
  const recv = rtcpeer('rtcpeer recv', ['recv', ...peerArgs(['-o', out]), code]);
  s.procs.push(recv);
  try {
    await recv.expectExit(0, 90000);
  } catch (e) {
    throw new Failure(e.message + (await pageDiag(page)));
  }
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
  s.notes.push(`${secs(dt)} s from starting rtcpeer recv to its exit; rtcpeer: ${(recv.event('connected') || {}).pair}`);
  s.notes.push(await iceReport(page, false));
});

// The pipe conversation of c and c2; `pageEndsFirst` picks who sends eof first.
async function pipeTalk(s, page, pipe, pageEndsFirst) {
  await pipe.waitEvent('authenticated', 30000);
  await waitPhase(page, 'piping', 20000);
  const toPipe = 'hello from the browser: grüße, ✓, 🚀\nsecond line\n';
  const toPage = ['hello from rtcpeer: ñ, ✓, 🛰', 'another line', 'no newline at the end'];
  checkEq(await page.evaluate((t) => window.rtcTest.sendText(t), toPipe), true, 'rtcTest.sendText()');
  await pipe.waitFor(() => pipe.stdout().length >= Buffer.byteLength(toPipe), 15000, 'the page\'s text on stdout')
    .catch(async (e) => { throw new Failure(e.message + (await pageDiag(page))); });
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
  try {
    await pipe.expectExit(0, 15000);
  } catch (e) {
    throw new Failure(e.message + (await pageDiag(page)));
  }
  await waitPhase(page, 'done', 10000);
  const texts = await page.evaluate(() => window.rtcTest.texts.slice());
  checkEq(JSON.stringify(texts), JSON.stringify(toPage), 'rtcTest.texts after eof');
  checkEq(pipe.stdout().toString('utf8'), toPipe, "rtcpeer pipe's whole stdout");
  s.notes.push(`${Buffer.byteLength(toPipe)} bytes page->pipe, ${Buffer.byteLength(toPage.join('\n'))} bytes pipe->page, exact; ` +
    `${pageEndsFirst ? 'page' : 'rtcpeer'} ended first; rtcpeer exit 0, page "done"; rtcpeer: ${(pipe.event('connected') || {}).pair}`);
}

// c. text both ways, rtcpeer pipe makes the code and the page opens the link.
scenario('c', 'text both ways: rtcpeer pipe makes the code, page opens the link', true, async (s) => {
  const pipe = rtcpeer('rtcpeer pipe', ['pipe', ...peerArgs()], { stdin: 'pipe' });
  s.procs.push(pipe);
  const ev = await pipe.waitEvent('code', 10000);
  const link = linkFor(ev.code);
  checkEq(ev.link, link, "the link in rtcpeer's code event");
  const page = await newPage(await getBrowser(true), 'page');
  s.pages.push(page);
  await openPage(page, link);
  await pipeTalk(s, page, pipe, true);
  s.notes.push(await iceReport(page, true));
});

// c2. the other way round: the page makes the pipe code, rtcpeer pipe CODE joins.
scenario('c2', 'text both ways: page makes the code (create("pipe")), rtcpeer pipe CODE', false, async (s) => {
  const page = await newPage(await getBrowser(false), 'page');
  s.pages.push(page);
  await openPage(page, `${STATE.httpBase}/`);
  const code = await pageCreate(page, 'pipe');
  await waitPhase(page, 'waiting', 10000);
  const pipe = rtcpeer('rtcpeer pipe', ['pipe', ...peerArgs(), code], { stdin: 'pipe' });
  s.procs.push(pipe);
  await pipeTalk(s, page, pipe, false);
  s.notes.push(await iceReport(page, false));
});

// d. browser <-> browser: two contexts through signald (rtcTest.create + sendFiles).
scenario('d', 'browser -> browser (two contexts) 10 MiB through signald, receiver at /#<room>-<secret>', true, async (s) => {
  const size = 10 * MiB;
  const file = path.join(STATE.tmp, 'd-random-10MiB.bin');
  const sha = randomFile(file, size);
  const browser = await getBrowser(true);
  const a = await newPage(browser, 'sender page');
  const b = await newPage(browser, 'receiver page');
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
    'sendFiles() results [name, size, ok, sha256]');
  await waitPhase(a, 'done', 10000);
  await waitPhase(b, 'done', 10000);
  s.notes.push(`${secs(dt)} s from opening the link to the verified file`);
  s.notes.push(await iceReport(a, true));
  s.notes.push(await iceReport(b, true));
});


// ------------------------------------------------------------------------------------------------
// rooms: several pages in one room, a connection per pair (web/js/room.js)

// RFC 4648 base32, lower case, no padding: how the page writes room ids and keys.
function base32(buf) {
  const A = 'abcdefghijklmnopqrstuvwxyz234567';
  let out = '';
  let acc = 0;
  let bits = 0;
  for (const b of buf) {
    acc = (acc << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += A[(acc >>> (bits - 5)) & 31];
      bits -= 5;
    }
    acc &= (1 << bits) - 1;
  }
  return bits ? out + A[(acc << (5 - bits)) & 31] : out;
}

// Opens a room address in a new page of `browser` and waits until it is in the room; returns
// the page with .me (its peer id).
async function roomPage(browser, label, url) {
  const page = await newPage(browser, label);
  await openPage(page, url);
  await waitPhase(page, 'room', 10000);
  page.me = await page.evaluate(() => window.rtcTest.info().me);
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

const card = (id) => `article.peer[data-peer="${id}"]`;

// Lines the page received on its text channel with peer `id`.
const textsFrom = (page, id, n, ms) => waitPage(page, ({ id, n }) => {
  const h = window.rtcTest.peer(id);
  return h && h.texts.length >= n ? h.texts.slice() : false;
}, { id, n }, ms, `${n} line(s) of text from ${id.slice(0, 6)}`);

// m. three pages in one room without a key: presence, A sends B and C a different file each
// (B by its card's file picker, C by a drop onto its card), B and C exchange a line each way,
// then C leaves and A and B still see the right members and still talk.
scenario('m', 'room of three pages (/r/<room>, no key): A -> B and A -> C files, text B <-> C, C leaves', false, async (s) => {
  const browser = await getBrowser(false);
  const room = `rtcbr-${crypto.randomBytes(12).toString('base64url')}`;
  const url = (name) => `${STATE.httpBase}/r/${room}?name=${name}`;
  const t = Date.now();
  const A = await roomPage(browser, 'page A', url('A'));
  s.pages.push(A);
  const B = await roomPage(browser, 'page B', url('B'));
  s.pages.push(B);
  const C = await roomPage(browser, 'page C', url('C'));
  s.pages.push(C);
  const pa = await waitPeers(A, [B.me, C.me], 'ready', 20000);
  const pb = await waitPeers(B, [A.me, C.me], 'ready', 20000);
  const pc = await waitPeers(C, [A.me, B.me], 'ready', 20000);
  const tMesh = Date.now() - t;
  // Who offered: the newcomer, to everybody already there (PROTOCOL.md §5).
  const roles = (list) => JSON.stringify(list.map((p) => [p.name, p.state, p.role, p.present, p.verified]));
  checkEq(roles(pa), JSON.stringify([['B', 'ready', 'answerer', false, false], ['C', 'ready', 'answerer', false, false]]), "A's peers() [name, state, role, present, verified]");
  checkEq(roles(pb), JSON.stringify([['A', 'ready', 'offerer', true, false], ['C', 'ready', 'answerer', false, false]]), "B's peers()");
  checkEq(roles(pc), JSON.stringify([['A', 'ready', 'offerer', true, false], ['B', 'ready', 'offerer', true, false]]), "C's peers()");
  const presence = (page) => page.evaluate(() => ({
    count: document.getElementById('presence-count').textContent,
    chips: [...document.querySelectorAll('#presence li')].map((li) => li.firstChild.textContent + (li.dataset.peer ? `=${li.dataset.peer}` : '')),
    cards: [...document.querySelectorAll('article.peer')].map((c) => [c.dataset.peer, c.querySelector('.badge').textContent]),
  }));
  checkEq(JSON.stringify(await presence(A)), JSON.stringify({ count: '3 in this room', chips: ['You (A)', `B=${B.me}`, `C=${C.me}`],
    cards: [[B.me, 'connected'], [C.me, 'connected']] }), "A's presence list and cards");

  // Files: a different one to each, through the two ways a user has.
  const fb = path.join(STATE.tmp, 'm-to-B.bin');
  const fc = path.join(STATE.tmp, 'm-to-C.bin');
  const sizeB = 3 * MiB + 17;
  const sizeC = 2 * MiB + 5;
  const shaB = randomFile(fb, sizeB);
  const shaC = randomFile(fc, sizeC);
  await A.setInputFiles(`${card(B.me)} input[type=file]`, fb); // B's card: "Choose files…"
  const nameC = await pageFileFromDisk(A, fc);
  const dt = await A.evaluateHandle((n) => {
    const d = new DataTransfer();
    d.items.add(window.__rtcbrFiles[n]);
    return d;
  }, nameC);
  await A.dispatchEvent(card(C.me), 'drop', { dataTransfer: dt }); // dropped onto C's card
  await dt.dispose();
  const got = async (page, from) => waitPage(page, (from) => {
    const r = window.rtcTest.peer(from).received;
    return r.length ? r.map((x) => ({ from: x.from, name: x.name, size: x.size, sha256: x.sha256, url: x.url })) : false;
  }, from, 30000, `a file from ${from.slice(0, 6)}`);
  const [rb, rc] = [await got(B, A.me), await got(C, A.me)];
  checkEq(JSON.stringify(rb.map((r) => [r.from, r.name, r.size, r.sha256])), JSON.stringify([[A.me, 'm-to-B.bin', sizeB, shaB]]), "B's files from A [from, name, size, sha256]");
  checkEq(JSON.stringify(rc.map((r) => [r.from, r.name, r.size, r.sha256])), JSON.stringify([[A.me, 'm-to-C.bin', sizeC, shaC]]), "C's files from A");
  // B saves its file through the Download link on A's card; C's bytes are read at the blob URL.
  const link = B.locator(`${card(A.me)} a[download]`);
  const [dl] = await Promise.all([B.waitForEvent('download', { timeout: 15000 }), link.click()]);
  checkEq(dl.suggestedFilename(), 'm-to-B.bin', "B: the Download link's file name");
  const saved = path.join(STATE.tmp, 'm-downloaded-by-B.bin');
  await dl.saveAs(saved);
  checkEq(sha256File(saved), shaB, 'B: sha256 of the downloaded bytes');
  const bc = await blobSha256(C, rc[0].url);
  checkEq(`${bc.size} ${bc.sha256}`, `${sizeC} ${shaC}`, 'C: size and sha256 of the bytes at the blob URL');
  const sent = await waitPage(A, (n) => {
    const e = window.rtcTest.events.filter((x) => x.type === 'file-sent');
    return e.length >= n ? e.map((x) => [x.peer, x.name, x.size, x.ok, x.sha256]).sort() : false;
  }, 2, 10000, 'two file-sent events');
  checkEq(JSON.stringify(sent), JSON.stringify([[B.me, 'm-to-B.bin', sizeB, true, shaB], [C.me, 'm-to-C.bin', sizeC, true, shaC]].sort()),
    "A's file-sent events [peer, name, size, ok, sha256]");
  const counts = async () => Promise.all([A, B, C].map((p) => p.evaluate(() => window.rtcTest.received.length)));
  checkEq(JSON.stringify(await counts()), '[0,1,1]', 'files received by A, B, C');

  // Text between B and C: B through the hook, C through its card's text line.
  const toC = 'hello C, this is B: grüße ✓';
  const toB = 'hi B, C here 🛰';
  checkEq(await B.evaluate(([id, t]) => window.rtcTest.peer(id).sendText(`${t}\n`), [C.me, toC]), true, "B: peer(C).sendText()");
  checkEq(JSON.stringify(await textsFrom(C, B.me, 1, 10000)), JSON.stringify([toC]), "C: lines from B");
  await C.fill(`${card(B.me)} .text-form input`, toB);
  await C.press(`${card(B.me)} .text-form input`, 'Enter');
  checkEq(JSON.stringify(await textsFrom(B, C.me, 1, 10000)), JSON.stringify([toB]), "B: lines from C");
  checkEq(JSON.stringify(await A.evaluate(() => window.rtcTest.peers().map((p) => window.rtcTest.peer(p.id).texts.length))), '[0,0]',
    "A: lines from B and C (none: the text went B <-> C only)");
  if (opt.screenshotRoom) {
    fs.mkdirSync(path.dirname(path.resolve(opt.screenshotRoom)), { recursive: true });
    await B.screenshot({ path: opt.screenshotRoom, fullPage: true, timeout: 10000 });
    s.notes.push(`screenshot of page B written to ${opt.screenshotRoom}`);
  }

  // C leaves: only its links go; A and B see two members and still talk.
  const tLeave = Date.now();
  await withTimeout(C.close(), 5000, 'closing page C');
  for (const [page, other] of [[A, B], [B, A]]) {
    const p = await waitPeers(page, [C.me], 'left', 10000);
    // peers() lists in order of arrival: the other one came before C for both A and B.
    checkEq(JSON.stringify(p.map((x) => [x.id, x.state])), JSON.stringify([[other.me, 'ready'], [C.me, 'left']]),
      `${page.label}: peers() [id, state] after C left`);
  }
  const dtLeave = Date.now() - tLeave;
  const pres = await presence(A);
  checkEq(JSON.stringify([pres.count, pres.chips]), JSON.stringify(['2 in this room', ['You (A)', `B=${B.me}`]]), "A's presence after C left");
  checkEq(JSON.stringify(pres.cards), JSON.stringify([[B.me, 'connected'], [C.me, 'left']]), "A's cards after C left");
  checkEq(await A.evaluate((id) => window.rtcTest.peer(id).sendText('still here\n'), B.me), true, 'A: peer(B).sendText() after C left');
  checkEq(JSON.stringify(await textsFrom(B, A.me, 1, 10000)), JSON.stringify(['still here']), 'B: lines from A after C left');
  const errs = await Promise.all([A, B].map((p) => p.evaluate(() => window.rtcTest.peers().filter((x) => x.error).map((x) => x.error))));
  checkEq(JSON.stringify(errs), '[[],[]]', 'peer errors on A and B');
  s.notes.push(`mesh of 3 ready ${secs(tMesh)} s after A opened the room; C's leaving seen by A and B within ${secs(dtLeave)} s`);
  s.notes.push(await iceReport(A, false));
});

// m2. a room with a key, made through the page's "New room" button: members verify each other
// with it; a page that opens the room with another key is refused by both and refuses them,
// and the two carry on.
scenario('m2', 'room with a key ("New room"): A and B verified; D with a wrong key refused both ways; A <-> B unharmed', true, async (s) => {
  const browser = await getBrowser(true);
  const A = await newPage(browser, 'page A');
  s.pages.push(A);
  await openPage(A, `${STATE.httpBase}/?name=A`);
  // The page's own checks first (SHA-256, HMAC, codes and room addresses, the control parser).
  const t0 = Date.now();
  const self = await withTimeout(A.evaluate(() => window.rtcTest.selfCheck().then((r) => ({ ok: r.ok, count: r.count, failed: r.failed }))), 30000, 'rtcTest.selfCheck()');
  check(self.ok, `A: rtcTest.selfCheck() failed: ${JSON.stringify(self.failed)}`);
  s.notes.push(`rtcTest.selfCheck(): ${self.count} checks passed in ${secs(Date.now() - t0)} s`);
  await A.click('#make-room', { timeout: 5000 });
  await waitPhase(A, 'room', 10000);
  const link = await A.inputValue('#room-link');
  const m = /^(.*)\/r\/([a-z2-7]{26})#key=([a-z2-7]{25}[aeimquy4])$/.exec(link);
  check(m && m[1] === STATE.httpBase, `the room link the page shows: ${link}`);
  const [, , room, key] = m;
  const infoA = await A.evaluate(() => window.rtcTest.info());
  checkEq(JSON.stringify([infoA.room, infoA.keyed]), JSON.stringify([room, true]), "A's rtcTest.info() [room, keyed]");
  checkEq(await A.evaluate(() => location.pathname + location.hash), `/r/${room}#key=${key}`, "A's address (the key stays: a reload rejoins)");
  A.me = infoA.me;
  const B = await roomPage(browser, 'page B', `${STATE.httpBase}/r/${room}?name=B#key=${key}`);
  s.pages.push(B);
  const t = Date.now();
  const pa = await waitPeers(A, [B.me], 'ready', 20000);
  const pb = await waitPeers(B, [A.me], 'ready', 20000);
  const tAB = Date.now() - t;
  checkEq(JSON.stringify([pa[0].verified, pb[0].verified]), '[true,true]', 'A and B: verified');
  checkEq(await A.textContent(`${card(B.me)} .peer-head .badge`), 'verified', "A: the badge on B's card");
  // The intruder knows the room id but not the key.
  let wrong;
  do wrong = base32(crypto.randomBytes(16)); while (wrong === key);
  const t2 = Date.now();
  const D = await roomPage(browser, 'page D', `${STATE.httpBase}/r/${room}?name=D#key=${wrong}`);
  s.pages.push(D);
  const pd = await waitPeers(D, [A.me, B.me], 'failed', 20000);
  const tD = Date.now() - t2;
  checkEq(JSON.stringify(pd.map((p) => [p.name, p.state, p.error && p.error.code])), JSON.stringify([['A', 'failed', 'auth'], ['B', 'failed', 'auth']]),
    "D's peers() [name, state, error code]");
  for (const page of [A, B]) {
    const p = await waitPeers(page, [D.me], 'failed', 20000);
    const d = p.find((x) => x.id === D.me);
    checkEq(`${d.name} ${d.error && d.error.code}`, 'D auth', `${page.label}: D's state`);
    const shown = await page.textContent(`${card(D.me)} .peer-error`);
    check(/authenticat|could not verify|hung up before proving/i.test(shown || ''), `${page.label}: the error on D's card says why: ${JSON.stringify(shown)}`);
  }
  checkEq(await A.evaluate((id) => window.rtcTest.peer(id).sendText('only for B\n'), B.me), true, 'A: peer(B).sendText() after D was refused');
  checkEq(JSON.stringify(await textsFrom(B, A.me, 1, 10000)), JSON.stringify(['only for B']), 'B: lines from A');
  checkEq(JSON.stringify(await waitPeers(A, [B.me], 'ready', 1000).then((p) => p.map((x) => [x.name, x.state]))),
    JSON.stringify([['B', 'ready'], ['D', 'failed']]), "A's peers() at the end");
  s.notes.push(`A <-> B verified ${secs(tAB)} s after B was in the room; D (wrong key) refused both ways with "auth" ${secs(tD)} s after opening its page`);
  s.notes.push(await iceReport(A, true));
});

// e. the page as a hostile sender (rtcTest.sendFiles with checkNames false offers names it would
// never offer): rtcpeer recv -o DIR must refuse every unsafe name (TRANSFER.md §8), write
// nothing outside DIR, and not overwrite a file that is already there; a good file still comes.
scenario('e', 'hostile file names from the page -> rtcpeer recv -o DIR: refused, nothing outside DIR, no overwrite', false, async (s) => {
  const base = fs.mkdtempSync(path.join(STATE.tmp, 'e-'));
  const out = path.join(base, 'out');
  fs.mkdirSync(out);
  const precious = 'precious: written before rtcpeer ran\n';
  fs.writeFileSync(path.join(out, 'existing.txt'), precious);
  const abs = path.join(os.tmpdir(), `rtcbr-abs-${process.pid}-${crypto.randomBytes(4).toString('hex')}`);
  check(!fs.existsSync(abs), `${abs} exists before the test`);
  const fresh = crypto.randomBytes(100 * 1024 + 3);
  const freshSha = crypto.createHash('sha256').update(fresh).digest('hex');
  // [name the page offers, what rtcpeer says about it]
  const offers = [
    ['../x', "name contains '/' (byte 2): only a base name is allowed"],
    [abs, "name contains '/' (byte 0): only a base name is allowed"],
    ['evil\u001b[2J.txt', 'name contains control character U+001B (byte 4)'],
    ['..', 'name ".." is not a file name'],
    ['..\\x', "name contains '\\' (byte 2): only a base name is allowed"],
    ['existing.txt', null],
    ['fresh.txt', null],
  ];
  const page = await newPage(await getBrowser(false), 'page');
  s.pages.push(page);
  await openPage(page, `${STATE.httpBase}/`);
  const code = await pageCreate(page, 'send');
  await page.evaluate(({ names, fresh }) => {
    const bytes = Uint8Array.from(atob(fresh), (c) => c.charCodeAt(0));
    const files = names.map((n) => (n === 'fresh.txt' ? new File([bytes], n)
      : new File([new TextEncoder().encode(`overwritten by ${n}\n`)], n)));
    Promise.resolve(window.rtcTest.sendFiles(files, { checkNames: false })).then(
      (r) => { window.__rtcbrResults = JSON.parse(JSON.stringify(r)); },
      (e) => { window.__rtcbrResults = { error: String(e) }; });
  }, { names: offers.map((o) => o[0]), fresh: fresh.toString('base64') });
  const recv = rtcpeer('rtcpeer recv', ['recv', ...peerArgs(['-o', out]), code]);
  s.procs.push(recv);
  await recv.expectExit(9, 30000); // EXIT_REFUSED: "a file was refused (it exists, or its name is unsafe)"
  // What rtcpeer said, in order: one line per refusal.
  const said = recv.lines.filter((l) => /^rtcpeer: (refusing|.* exists;)/.test(l));
  const want = [...offers.filter((o) => o[1]).map((o) => `rtcpeer: refusing a file with an unsafe name: ${o[1]}`),
    'rtcpeer: existing.txt exists; not overwriting it (use --force)'];
  checkEq(JSON.stringify(said), JSON.stringify(want), "rtcpeer's refusals on stderr");
  const sum = recv.event('summary') || {};
  checkEq(`${sum.files} ${sum.bytes}`, `1 ${fresh.length}`, "rtcpeer's summary: files, bytes");
  // The file system: DIR holds the old file untouched and the good new one, nothing else is new.
  checkEq(JSON.stringify(fs.readdirSync(out).sort()), JSON.stringify(['existing.txt', 'fresh.txt']), 'files in DIR');
  checkEq(fs.readFileSync(path.join(out, 'existing.txt'), 'utf8'), precious, 'DIR/existing.txt (not overwritten)');
  checkEq(sha256File(path.join(out, 'fresh.txt')), freshSha, 'sha256 of DIR/fresh.txt');
  checkEq(JSON.stringify(fs.readdirSync(base)), JSON.stringify(['out']), "DIR's parent (no ../x)");
  check(!fs.existsSync(abs), `${abs} was written`);
  // The page's view: each offer refused for the reason rtcpeer gave, the good file verified.
  const res = await pageSendResults(page, 10000);
  checkEq(JSON.stringify(res.map((r) => [r.name, r.ok, r.reason || null])),
    JSON.stringify(offers.map(([n]) => [n, n === 'fresh.txt', n === 'fresh.txt' ? null : n === 'existing.txt' ? 'exists' : 'bad-name'])),
    'sendFiles() results [name, ok, reason]');
  checkEq(res[res.length - 1].sha256, freshSha, "sendFiles(): fresh.txt's sha256");
  await waitPhase(page, 'done', 10000);
  s.notes.push(`rtcpeer exit 9; ${offers.length - 2} unsafe names refused (bad-name), existing.txt refused (exists), fresh.txt verified`);
});

// ------------------------------------------------------------------------------------------------
// setup, run, teardown

const STATE = {
  tmp: null,
  wrapper: null,
  signald: null,
  wsUrl: null,
  httpBase: null,
  browsers: {},
  contexts: [],
  nsUp: false,
};

function netns(cmd) {
  const r = spawnSync(path.join(HERE, 'netns.sh'), [cmd], {
    env: { ...process.env, RTCBR_NS: opt.ns, RTCBR_ADDR: `${opt.addr}/24` },
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`netns.sh ${cmd} failed (${r.status}): ${r.stderr}`);
}

async function setup() {
  STATE.tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rtcbr-'));
  netns('up');
  STATE.nsUp = true;
  STATE.wrapper = path.join(STATE.tmp, 'chromium-in-netns.sh');
  fs.writeFileSync(STATE.wrapper,
    `#!/bin/sh\n# Chromium inside the test namespace (ip netns exec execs: the pid stays Chromium's)\n` +
    `exec ip netns exec '${opt.ns}' '${opt.chromium}' "$@"\n`, { mode: 0o755 });
  const sig = new Proc('signald', [opt.signald, '--listen', `${opt.addr}:0`, '--web-root', opt.webRoot,
    '--log-level', 'info']);
  STATE.signald = sig;
  const line = await sig.waitFor(() => sig.lines.find((l) => /listening on \S+:\d+/.test(l)), 10000, '"listening on"');
  const port = /listening on \S+:(\d+)/.exec(line)[1];
  STATE.wsUrl = `ws://${opt.addr}:${port}/ws`;
  STATE.httpBase = `http://${opt.addr}:${port}`;
  info(`namespace ${opt.ns}, signald at ${STATE.httpBase} (web root ${opt.webRoot}), rtcpeer ${opt.rtcpeer}`);
}

let tornDown = false;
async function teardown() {
  if (tornDown) return;
  tornDown = true;
  for (const c of STATE.contexts) await withTimeout(c.close(), 5000, 'context close').catch(() => {});
  for (const b of Object.values(STATE.browsers)) await withTimeout(b.close(), 10000, 'browser close').catch(() => {});
  for (const p of PROCS) p.kill('SIGCONT');
  for (const p of PROCS) p.kill('SIGTERM');
  await Promise.race([Promise.all(PROCS.map((p) => p.exited)), sleep(3000)]);
  for (const p of PROCS) p.kill('SIGKILL');
  await Promise.race([Promise.all(PROCS.map((p) => p.stderrDone)), sleep(1000)]);
  if (STATE.nsUp) {
    try {
      netns('down');
    } catch (e) {
      console.error(e.message);
    }
  }
  if (STATE.tmp && !opt.keep) fs.rmSync(STATE.tmp, { recursive: true, force: true });
  else if (STATE.tmp) info(`kept ${STATE.tmp}`);
}

async function runScenario(sc) {
  const s = { notes: [], pages: [], procs: [] };
  const t = Date.now();
  let err = null;
  try {
    await withTimeout(sc.fn(s), 150000, `scenario ${sc.id}`);
  } catch (e) {
    err = e;
  }
  const dt = Date.now() - t;
  // An exception the page did not catch is a bug even when the scenario got what it wanted.
  if (!err) {
    const thrown = s.pages.flatMap((pg) => pg.logs.filter((l) => l.startsWith('pageerror:')).map((l) => `${pg.label}: ${l}`));
    if (thrown.length) err = new Failure(`uncaught exception(s) in the page:\n        ${thrown.join('\n        ')}`);
  }
  let msg = '';
  if (err) {
    msg = err instanceof Failure ? err.message : (err.stack || String(err));
    for (const p of s.procs) if (!msg.includes(`${p.name} (pid ${p.pid}`)) msg += `\n      ${p.describe(12)}`;
    for (const pg of s.pages) if (!msg.includes(`${pg.label}: state() =`)) msg += await pageDiag(pg);
  }
  // The scenario's processes (SIGCONT in case one was left stopped) and browser contexts.
  for (const p of s.procs) p.kill('SIGCONT');
  for (const p of s.procs) p.kill('SIGTERM');
  await Promise.race([Promise.all(s.procs.map((p) => p.exited)), sleep(2000)]);
  for (const p of s.procs) p.kill('SIGKILL');
  await Promise.race([Promise.all(s.procs.map((p) => p.stderrDone)), sleep(1000)]);
  for (const pg of s.pages) await withTimeout(pg.context().close(), 5000, 'context close').catch(() => {});
  // Sanitizer builds: a report on any rtcpeer's stderr fails the scenario.
  for (const p of s.procs) {
    if (p.lines.some((l) => SANITIZER_RE.test(l))) {
      const report = p.lines.filter((l) => !l.startsWith('{')).slice(-40).map((l) => `      | ${l}`).join('\n');
      msg += `${msg ? '\n      also: ' : ''}${p.name} printed a sanitizer report:\n${report}`;
    }
  }
  const mode = sc.mdns === null ? 'both modes' : sc.mdns ? 'mDNS on' : 'mDNS off';
  const head = `${sc.id}: ${sc.title} [${mode}] (${secs(dt)} s)`;
  console.log(msg ? `FAIL ${head}\n      ${msg}` : `PASS ${head}`);
  for (const n of s.notes) info(n);
  return !msg;
}

async function main() {
  const chosen = opt.only.length ? SCENARIOS.filter((s) => opt.only.includes(s.id)) : SCENARIOS;
  for (const id of opt.only) if (!SCENARIOS.some((s) => s.id === id)) usage(`unknown scenario ${id} (have: ${SCENARIOS.map((s) => s.id).join(' ')})`);
  let passed = 0;
  let failed = 0;
  try {
    await setup();
    for (const sc of chosen) {
      if (await runScenario(sc)) passed++;
      else failed++;
    }
    if (!STATE.signald.running) {
      console.log(`FAIL signald died during the run: ${STATE.signald.describe()}`);
      failed++;
    }
  } catch (e) {
    console.log(`FAIL setup: ${e instanceof Failure ? e.message : e.stack || e}`);
    failed++;
  } finally {
    await teardown();
  }
  // After teardown: signald has had its SIGTERM, so a LeakSanitizer report would be out too.
  if (STATE.signald && STATE.signald.lines.some((l) => SANITIZER_RE.test(l))) {
    console.log(`FAIL signald printed a sanitizer report: ${STATE.signald.describe(40)}`);
    failed++;
  }
  info(`whole run ${secs(Date.now() - T0)} s`);
  console.log(`${passed} passed, ${failed} failed`);
  process.exitCode = failed ? 1 : 0;
}

for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    console.log(`interrupted (${sig})`);
    teardown().finally(() => process.exit(130));
  });
}
const watchdog = setTimeout(() => {
  console.log(`FAIL the whole suite took longer than ${secs(opt.suiteTimeout)} s`);
  teardown().finally(() => {
    console.log('0 passed, 1 failed');
    process.exit(1);
  });
}, opt.suiteTimeout);
watchdog.unref();

main();

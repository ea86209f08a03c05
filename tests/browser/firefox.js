#!/usr/bin/env node
// Real-browser tests in headless Firefox ESR: the web page against signald and rtcpeer, and
// against the same page in Chromium.
//
//   node tests/browser/firefox.js [--signald PATH] [--rtcpeer PATH] [--web-root DIR] [SCENARIO...]
//
// Needs root (network namespace), /usr/bin/firefox-esr and puppeteer-core in
// tests/browser/node_modules (scripts/browser-deps.sh installs them); scenario d also needs
// /usr/bin/chromium and playwright-core (skipped alone without them). Exits 77 (ctest's
// SKIP_RETURN_CODE) when root, Firefox or puppeteer-core is missing, 1 when a scenario fails,
// 0 otherwise. See "Firefox" in README.md beside this file.
//
// Firefox is driven over WebDriver BiDi, its own remote protocol (no patched build, no
// geckodriver): puppeteer-core launches it with --remote-debugging-port=0 and talks to the
// WebSocket it opens on 127.0.0.1. That endpoint is inside the test namespace, so the driver
// runs there too: this script (the "outer" process, root namespace) makes the namespace with
// netns.sh, runs itself again inside it (`ip netns exec NS node firefox.js --inner`), and
// deletes the namespace when that ends, however it ends. The inner process runs signald,
// rtcpeer, Firefox and Chromium; they all inherit the namespace.
//
// Environment: SIGNALD, RTCPEER (paths, instead of the flags), FIREFOX (default
// /usr/bin/firefox-esr), CHROMIUM (default /usr/bin/chromium), RTCFF_NS (namespace name,
// default rtcbr-ff<pid>), RTCFF_ADDR (default 10.203.0.2), RTCFF_SUITE_TIMEOUT (seconds,
// default 240), RTCFF_KEEP=1 (keep the temporary directory: test files, profiles, downloads),
// RTCFF_RTCPEER_ARGS (extra rtcpeer flags for a diagnosis run, e.g. "-v").
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
const INNER = process.argv[2] === '--inner';

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

function skip(why) {
  console.log(`SKIP: ${why}`);
  process.exit(77);
}

// ------------------------------------------------------------------------------------------------
// outer process: options, prerequisites, the namespace, the inner process

function usage(msg) {
  if (msg) console.error(`firefox.js: ${msg}`);
  console.error('usage: node firefox.js [--signald PATH] [--rtcpeer PATH] [--web-root DIR] [SCENARIO...]');
  process.exit(2);
}

function outerOptions() {
  const cfg = {
    signald: process.env.SIGNALD || '',
    rtcpeer: process.env.RTCPEER || '',
    webRoot: process.env.RTCBR_WEB_ROOT || path.join(REPO, 'web'),
    firefox: process.env.FIREFOX || '/usr/bin/firefox-esr',
    chromium: process.env.CHROMIUM || '/usr/bin/chromium',
    ns: process.env.RTCFF_NS || `rtcbr-ff${process.pid}`,
    addr: process.env.RTCFF_ADDR || '10.203.0.2',
    suiteTimeout: Number(process.env.RTCFF_SUITE_TIMEOUT || 240) * 1000,
    keep: process.env.RTCFF_KEEP === '1',
    peerArgs: (process.env.RTCFF_RTCPEER_ARGS || '').split(' ').filter(Boolean),
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
    cfg.rtcpeer = path.join(path.dirname(path.dirname(path.resolve(cfg.signald))), 'rtcpeer', 'rtcpeer');
  }
  for (const k of ['signald', 'rtcpeer']) {
    if (!cfg[k]) usage(`no ${k} binary: pass --${k} PATH or set ${k.toUpperCase()}`);
    cfg[k] = path.resolve(cfg[k]);
    if (!fs.existsSync(cfg[k])) usage(`${k} not found at ${cfg[k]}`);
  }
  cfg.webRoot = path.resolve(cfg.webRoot);
  if (!/^rtcbr-[A-Za-z0-9_-]{1,9}$/.test(cfg.ns)) usage('RTCFF_NS must be rtcbr-<1..9 of [A-Za-z0-9_-]>');
  for (const id of cfg.only) if (!SCENARIO_IDS.includes(id)) usage(`unknown scenario ${id} (have: ${SCENARIO_IDS.join(' ')})`);
  return cfg;
}

function netns(cfg, cmd) {
  const r = spawnSync(path.join(HERE, 'netns.sh'), [cmd], {
    env: { ...process.env, RTCBR_NS: cfg.ns, RTCBR_ADDR: `${cfg.addr}/24` },
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`netns.sh ${cmd} failed (${r.status}): ${r.stderr}`);
}

function outer() {
  const cfg = outerOptions();
  if (process.getuid && process.getuid() !== 0) skip('needs root (network namespaces)');
  if (!fs.existsSync(cfg.firefox)) skip(`no ${cfg.firefox} (scripts/browser-deps.sh installs Debian's firefox-esr)`);
  if (!fs.existsSync(path.join(HERE, 'node_modules', 'puppeteer-core', 'package.json'))) {
    skip('puppeteer-core is not installed in tests/browser/node_modules (run scripts/browser-deps.sh)');
  }
  if (spawnSync('ip', ['-V']).status !== 0) skip('no `ip` (iproute2)');

  try {
    netns(cfg, 'up');
  } catch (e) {
    console.log(`FAIL setup: ${e.message}`);
    console.log('0 passed, 1 failed');
    process.exit(1);
  }
  let downed = false;
  const down = () => {
    if (downed) return;
    downed = true;
    try {
      netns(cfg, 'down'); // also ends whatever of ours still runs in it (a Firefox child, say)
    } catch (e) {
      console.error(e.message);
    }
  };
  const child = spawn('ip', ['netns', 'exec', cfg.ns, process.execPath, __filename, '--inner'], {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, RTCFF_OPT: JSON.stringify(cfg) },
  });
  let killTimer = null;
  const stop = (why) => {
    if (why) console.log(why);
    try {
      child.kill('SIGTERM'); // the inner process tears down and exits
    } catch (e) {
      /* gone */
    }
    if (!killTimer) {
      killTimer = setTimeout(() => {
        try {
          child.kill('SIGKILL');
        } catch (e) {
          /* gone */
        }
      }, 15000);
    }
  };
  let timedOut = false;
  const watchdog = setTimeout(() => {
    timedOut = true;
    stop(`FAIL the whole suite took longer than ${secs(cfg.suiteTimeout)} s`);
  }, cfg.suiteTimeout);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => stop(`interrupted (${sig})`));
  child.on('exit', (code, signal) => {
    clearTimeout(watchdog);
    clearTimeout(killTimer);
    down();
    if (timedOut) {
      console.log('0 passed, 1 failed');
      process.exit(1);
    }
    process.exit(signal ? 1 : code);
  });
  child.on('error', (e) => {
    console.log(`FAIL could not start the inner process: ${e.message}`);
    down();
    process.exit(1);
  });
}

// ------------------------------------------------------------------------------------------------
// inner process: child processes (all inherit the namespace)

const SCENARIO_IDS = ['env', 'a', 'b', 'c', 'c2', 'd', 'offline'];
const PROCS = [];
const SANITIZER_RE = /AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|runtime error:/;
let opt = null; // the outer process's options, in the inner process

class Proc {
  constructor(name, argv, { stdin = 'ignore' } = {}) {
    this.name = name;
    this.lines = [];
    this.out = [];
    this.code = undefined;
    this.signal = undefined;
    this.waiters = new Set();
    this.child = spawn(argv[0], argv.slice(1), { stdio: [stdin, 'pipe', 'pipe'] });
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
      tick = setInterval(poll, 50);
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

function rtcpeer(name, args, o) {
  return new Proc(name, [opt.rtcpeer, ...args], o);
}

function peerArgs(extra = []) {
  return ['--server', STATE.wsUrl, '--bind-addr', opt.addr, '--timeout', '30', '--json', ...opt.peerArgs, ...extra];
}

// ------------------------------------------------------------------------------------------------
// browsers and pages

// Wraps every RTCPeerConnection the page makes, independently of the page's code, to record the
// local candidates and the candidate pair selected once connected. Firefox has no
// RTCTransportStats.selectedCandidatePairId: there the pair is the one marked `selected`.
const INSTRUMENT = `(() => {
  const Orig = window.RTCPeerConnection;
  if (!Orig || window.__rtcff) return;
  const rec = { cands: [], pairs: [], sdp: [] };
  Object.defineProperty(window, '__rtcff', { value: rec });
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

// Preferences written to the profile's user.js (puppeteer-core adds its own test defaults:
// no first-run pages, no updates, no safe browsing, no data reporting). These keep Firefox off
// the internet (the namespace has no way out anyway), make downloads land in `dl` without a
// dialog, and set the WebRTC behaviour the scenario wants.
function firefoxPrefs(mdns, dl) {
  return {
    // WebRTC. Host candidates: mDNS names (Firefox's default) or the address. Loopback and
    // link-local candidates stay off (Firefox's defaults): the namespace's eth0 is the host.
    'media.peerconnection.ice.obfuscate_host_addresses': mdns,
    'media.peerconnection.ice.loopback': false,
    'media.peerconnection.ice.link_local': false,
    'media.peerconnection.ice.default_address_only': false,
    // Downloads: straight into `dl`, no dialog, no panel.
    'browser.download.dir': dl,
    'browser.download.folderList': 2,
    'browser.download.useDownloadDir': true,
    'browser.download.always_ask_before_handling_new_types': false,
    'browser.helperApps.neverAsk.saveToDisk': 'application/octet-stream',
    'browser.download.manager.showWhenStarting': false,
    'browser.download.alwaysOpenPanel': false,
    'browser.download.start_downloads_in_tmp_dir': false,
    // Nothing that reaches the internet. Remote Settings (blocklists, CRLite, ...) only honours
    // its server pref with MOZ_REMOTE_SETTINGS_DEVTOOLS=1 in the environment (release builds):
    // without both, Firefox 153 ESR looks up firefox.settings.services.mozilla.com every few
    // seconds. It is pointed at a closed port on loopback instead.
    'services.settings.server': 'http://127.0.0.1:9/v1',
    'app.normandy.enabled': false,
    'app.shield.optoutstudies.enabled': false,
    'app.update.auto': false,
    'browser.aboutwelcome.enabled': false,
    'browser.discovery.enabled': false,
    'browser.newtabpage.activity-stream.feeds.telemetry': false,
    'browser.newtabpage.activity-stream.telemetry': false,
    'browser.ping-centre.telemetry': false,
    'browser.region.network.url': '',
    'browser.region.update.enabled': false,
    'browser.safebrowsing.provider.google4.updateURL': '',
    'browser.safebrowsing.provider.mozilla.updateURL': '',
    'browser.topsites.contile.enabled': false,
    'datareporting.policy.firstRunURL': '',
    'dom.push.connection.enabled': false,
    'extensions.getAddons.showPane': false,
    'extensions.systemAddon.update.enabled': false,
    'identity.fxaccounts.enabled': false,
    'messaging-system.rsexperimentloader.enabled': false,
    'network.captive-portal-service.enabled': false,
    'network.connectivity-service.enabled': false,
    'network.dns.disablePrefetch': true,
    'network.predictor.enabled': false,
    'network.prefetch-next': false,
    'network.proxy.type': 0,
    'network.trr.mode': 5,
    'security.OCSP.enabled': 0,
    'toolkit.telemetry.archive.enabled': false,
    'toolkit.telemetry.enabled': false,
    'toolkit.telemetry.server': '',
    'toolkit.telemetry.unified': false,
    'toolkit.telemetry.updatePing.enabled': false,
  };
}

// Firefox with mDNS host candidates (mdns=true, Firefox's default) or with the address.
async function getFirefox(mdns) {
  const key = mdns ? 'ff-mdns' : 'ff-ip';
  if (STATE.browsers[key]) return STATE.browsers[key];
  const puppeteer = require(path.join(HERE, 'node_modules', 'puppeteer-core'));
  const dir = path.join(STATE.tmp, key);
  const profile = path.join(dir, 'profile');
  const dl = path.join(dir, 'downloads');
  fs.mkdirSync(profile, { recursive: true });
  fs.mkdirSync(dl, { recursive: true });
  const t = Date.now();
  const b = await withTimeout(puppeteer.launch({
    browser: 'firefox',
    executablePath: opt.firefox,
    headless: true,
    userDataDir: profile,
    extraPrefsFirefox: firefoxPrefs(mdns, dl),
    env: { ...process.env, MOZ_HEADLESS: '1', MOZ_CRASHREPORTER_DISABLE: '1', MOZ_REMOTE_SETTINGS_DEVTOOLS: '1', HOME: dir },
    timeout: 30000,
    protocolTimeout: 30000,
    handleSIGINT: false,
    handleSIGTERM: false,
    handleSIGHUP: false,
  }), 40000, 'Firefox to start');
  b.kind = 'firefox';
  b.dl = dl;
  if (tornDown) { // interrupted while it started
    await closeBrowser(b);
    fail('interrupted');
  }
  STATE.browsers[key] = b;
  info(`${await b.version()} (${mdns ? 'mDNS host candidates' : 'IP host candidates'}) started in ${secs(Date.now() - t)} s, ` +
    `pid ${b.process() && b.process().pid}, WebDriver BiDi at ${b.wsEndpoint()}`);
  return b;
}

// Chromium (for d), through playwright-core as in run.js, with IP host candidates.
async function getChromium() {
  if (STATE.browsers.chromium) return STATE.browsers.chromium;
  const { chromium } = require(path.join(HERE, 'node_modules', 'playwright-core'));
  const t = Date.now();
  const b = await withTimeout(chromium.launch({
    executablePath: opt.chromium, headless: true, timeout: 30000,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage',
      '--disable-features=WebRtcHideLocalIpsWithMdns',
      // No name lookups at all (its update, sign-in and autofill services would try; the page is
      // at an address, and both pages give address host candidates here).
      `--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE ${opt.addr}`],
    handleSIGINT: false, handleSIGTERM: false, handleSIGHUP: false,
  }), 40000, 'Chromium to start');
  b.kind = 'chromium';
  if (tornDown) {
    await closeBrowser(b);
    fail('interrupted');
  }
  STATE.browsers.chromium = b;
  info(`Chromium ${b.version()} (IP host candidates) started in ${secs(Date.now() - t)} s`);
  return b;
}

// A new page (Firefox: a tab in its own user context; Chromium: a context) with the
// instrumentation and console capture. page.evaluate(fn, arg) and page.goto() are the same in
// puppeteer-core and playwright-core; the few other calls go through the helpers below.
async function newPage(browser, label) {
  let page;
  if (browser.kind === 'firefox') {
    const ctx = await browser.createBrowserContext();
    page = await ctx.newPage();
    await page.evaluateOnNewDocument(INSTRUMENT);
    page.closeAll = () => ctx.close();
  } else {
    const ctx = await browser.newContext({ acceptDownloads: true });
    await ctx.addInitScript(INSTRUMENT);
    page = await ctx.newPage();
    page.closeAll = () => ctx.close();
  }
  page.kind = browser.kind;
  page.browser_ = browser;
  page.label = label;
  page.logs = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warn' || m.type() === 'warning') page.logs.push(`console.${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => page.logs.push(`pageerror: ${e.message}`));
  return page;
}

async function inputValue(page, sel) {
  return page.kind === 'firefox' ? page.$eval(sel, (e) => e.value) : page.inputValue(sel);
}

async function setFiles(page, sel, file) {
  if (page.kind !== 'firefox') return page.setInputFiles(sel, file);
  const el = await page.waitForSelector(sel, { timeout: 5000 });
  try {
    await el.uploadFile(file);
  } finally {
    await el.dispose();
  }
}

async function openPage(page, url) {
  const resp = await page.goto(url, { timeout: 15000 });
  check(resp && resp.ok(), `${page.label}: GET ${url}: HTTP ${resp && resp.status()}`);
  await waitPage(page, () => !!(window.rtcTest && typeof window.rtcTest.state === 'function'), undefined, 10000, 'window.rtcTest');
}

async function pageDiag(page) {
  let d;
  try {
    d = await withTimeout(page.evaluate(() => {
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
        events: (t.events || []).slice(-15).map(short),
        received: short((t.received || []).map((r) => ({ name: r.name, size: r.size, sha256: r.sha256 }))),
        texts: short(t.texts),
        ice: short(window.__rtcff ? { cands: window.__rtcff.cands, pairs: window.__rtcff.pairs } : null),
      };
    }), 5000, 'page diagnostics');
  } catch (e) {
    return `\n      ${page.label}: (could not read the page: ${e.message})`;
  }
  const ev = d.events.map((e) => `\n        ${e}`).join('');
  const logs = page.logs.slice(-10).map((l) => `\n        ${l}`).join('');
  return `\n      ${page.label}: state() = ${d.state}; info() = ${d.info}; received = ${d.received}; texts = ${d.texts}` +
    `\n      ${page.label}: ice = ${d.ice}` +
    `\n      ${page.label}: last events:${ev || ' (none)'}` + (logs ? `\n      ${page.label}: console:${logs}` : '');
}

// Polls fn(arg) in the page every 100 ms, at most ms, until it is truthy; fails early once the
// page's phase is "failed".
async function waitPage(page, fn, arg, ms, what) {
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
    if (st === 'failed') throw new Failure(`${page.label}: the page failed while waiting for ${what}${await pageDiag(page)}`);
    if (Date.now() >= deadline) throw new Failure(`${page.label}: no ${what} within ${secs(ms)} s${await pageDiag(page)}`);
    await sleep(100);
  }
}

async function waitPhase(page, want, ms) {
  const got = await waitPage(page, (w) => {
    const st = window.rtcTest.state();
    return st === w || st === 'failed' ? st : false;
  }, want, ms, `phase "${want}"`);
  if (got !== want) fail(`${page.label}: phase "${got}" while waiting for "${want}"${await pageDiag(page)}`);
}

// sha256 of the bytes behind a blob: URL in the page, hashed here in node, in 4 MiB pieces.
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

// Firefox saves a download as NAME.part and renames it to NAME when complete (both in the
// profile's download directory, prefs above). Waits for NAME alone, at its full size.
async function firefoxDownload(page, name, size, ms) {
  const dir = page.browser_.dl;
  const file = path.join(dir, name);
  const deadline = Date.now() + ms;
  for (;;) {
    const names = fs.readdirSync(dir);
    if (names.includes(name) && !names.some((n) => n.endsWith('.part')) && fs.statSync(file).size >= size) return file;
    if (Date.now() >= deadline) fail(`${page.label}: no complete download of ${name} in ${dir} within ${secs(ms)} s: ${JSON.stringify(names)}`);
    await sleep(100);
  }
}

// The page's received file: name, size and the page's sha256, then the bytes themselves, through
// the page's Download link (what a user saves; Firefox) or read from the blob: URL.
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
    check(page.kind === 'firefox', 'download checks are written for Firefox');
    await page.waitForSelector('#recv-list a[download]', { timeout: 5000 });
    checkEq(await page.$eval('#recv-list a[download]', (a) => a.getAttribute('download')), want.name,
      `${page.label}: the Download link's file name`);
    await page.click('#recv-list a[download]');
    const saved = await firefoxDownload(page, want.name, want.size, 20000);
    bytes = { size: fs.statSync(saved).size, sha256: sha256File(saved) };
  } else {
    bytes = await blobSha256(page, got[0].url);
  }
  checkEq(bytes.size, want.size, `${page.label}: size of the bytes ${via === 'download' ? 'downloaded' : 'at the blob URL'}`);
  checkEq(bytes.sha256, want.sha256, `${page.label}: sha256 of the bytes ${via === 'download' ? 'downloaded' : 'at the blob URL'}`);
}

// A File in the page with the bytes of a file made here, through an <input type=file> of our
// own outside the page's UI, kept as window.__rtcffFiles[name].
async function pageFileFromDisk(page, file) {
  const name = path.basename(file);
  await page.evaluate(() => {
    const i = document.createElement('input');
    i.type = 'file';
    i.id = '__rtcff_input';
    i.style.display = 'none';
    document.body.appendChild(i);
  });
  await setFiles(page, '#__rtcff_input', file);
  const n = await waitPage(page, (nm) => {
    const i = document.getElementById('__rtcff_input');
    if (!i.files.length) return false;
    window.__rtcffFiles = window.__rtcffFiles || {};
    window.__rtcffFiles[nm] = i.files[0];
    i.remove();
    return window.__rtcffFiles[nm].size;
  }, name, 5000, 'the file in our <input type=file>');
  checkEq(n, fs.statSync(file).size, `${page.label}: size of the File made from ${name}`);
  return name;
}

const CODE_RE = /([a-z2-7]{12})-([a-z2-7]{25}[aeimquy4])/;

function linkFor(code) {
  const [room, secret] = code.split('-');
  return `${STATE.httpBase}/r/${room}#${secret}`;
}

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

async function pageSendFile(page, name) {
  await page.evaluate((n) => {
    Promise.resolve(window.rtcTest.sendFiles([window.__rtcffFiles[n]])).then(
      (r) => { window.__rtcffResults = JSON.parse(JSON.stringify(r)); },
      (e) => { window.__rtcffResults = { error: String((e && e.stack) || e) }; });
  }, name);
}

async function pageSendResults(page, ms) {
  const r = await waitPage(page, () => window.__rtcffResults || false, undefined, ms, 'sendFiles() to resolve');
  if (r.error) fail(`${page.label}: sendFiles() rejected: ${r.error}${await pageDiag(page)}`);
  return r;
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

// One line on ICE in a page, after checking the host-candidate kind its mode promises.
async function iceReport(page, mdns) {
  const { cands, pairs } = await page.evaluate(() => {
    const r = window.__rtcff;
    return r ? { cands: r.cands.slice(), pairs: r.pairs.slice() } : { cands: [], pairs: [] };
  });
  const k = hostKinds(cands);
  if (mdns) check(k.mdns > 0 && k.ip === 0, `${page.label}: mDNS host candidates were expected: ${JSON.stringify(k)}: ${cands.join(' | ')}`);
  else check(k.ip > 0 && k.mdns === 0, `${page.label}: plain-IP host candidates were expected: ${JSON.stringify(k)}: ${cands.join(' | ')}`);
  return `${page.label} host candidates: ${mdns ? `${k.mdns} .local` : `${k.ip} ${opt.addr}`}; selected pair: ${pairs.join(', ') || '(none)'}`;
}

// The attributes of Firefox's SDP that matter to rtcpeer, from the page's connected PCs.
async function sdpReport(page) {
  const sdp = await page.evaluate(() => (window.__rtcff ? window.__rtcff.sdp.slice() : []));
  if (!sdp.length) return `${page.label}: no connected PeerConnection`;
  const pick = (s) => (s || '').split(/\r?\n/).filter((l) => /^a=(setup|sctp-port|max-message-size):/.test(l)).join(' ');
  return `${page.label} SDP: local ${pick(sdp[0].local)}; remote ${pick(sdp[0].remote)}`;
}

// ------------------------------------------------------------------------------------------------
// scenarios

const SCENARIOS = [];
function scenario(id, title, fn) {
  SCENARIOS.push({ id, title, fn });
}

// env. Firefox in the namespace: a non-loopback host candidate of the kind each mode promises,
// and a data channel between two PeerConnections of one page (no signald, no page of ours).
scenario('env', 'Firefox in the namespace: host candidate + data channel, IP and mDNS modes', async (s) => {
  for (const mdns of [false, true]) {
    const page = await newPage(await getFirefox(mdns), mdns ? 'firefox(mdns)' : 'firefox(ip)');
    s.pages.push(page);
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
    s.notes.push(`${mdns ? 'mDNS' : 'IP'}: ${r.cands.filter(Boolean).map((c) => c.split(' ').slice(2, 8).join(' ')).join(', ')}`);
  }
});

// a. rtcpeer send -> Firefox page opened at the link; the file saved through the Download link.
scenario('a', 'rtcpeer send 20 MiB -> Firefox page opened at /r/<room>#<secret>, saved via Download', async (s) => {
  const size = 20 * MiB;
  const file = path.join(STATE.tmp, 'a-random-20MiB.bin');
  const sha = randomFile(file, size);
  const sender = rtcpeer('rtcpeer send', ['send', ...peerArgs(), file]);
  s.procs.push(sender);
  const ev = await sender.waitEvent('code', 10000);
  check(typeof ev.code === 'string' && CODE_RE.test(ev.code), `rtcpeer's code event: ${JSON.stringify(ev)}`);
  const link = linkFor(ev.code);
  checkEq(ev.link, link, "the link in rtcpeer's code event");
  const page = await newPage(await getFirefox(false), 'firefox page');
  s.pages.push(page);
  const t = Date.now();
  await openPage(page, link);
  await sender.waitEvent('authenticated', 30000);
  await checkReceived(page, { name: path.basename(file), size, sha256: sha }, 'download');
  const dt = Date.now() - t;
  await sender.expectExit(0, 20000);
  const sum = sender.event('summary') || {};
  checkEq(sum.files, 1, "rtcpeer send's summary: files");
  checkEq(sum.bytes, size, "rtcpeer send's summary: bytes");
  await waitPhase(page, 'done', 10000);
  s.notes.push(`${secs(dt)} s from opening the link to the downloaded, verified file; rtcpeer: ${(sender.event('connected') || {}).pair}`);
  s.notes.push(await iceReport(page, false));
  s.notes.push(await sdpReport(page));
});

// b. the Firefox page, driven through its UI, makes a code and sends a file -> rtcpeer recv.
scenario('b', 'Firefox page sends 20 MiB (UI: "Send files", file input, "Send") -> rtcpeer recv CODE', async (s) => {
  const size = 20 * MiB;
  const file = path.join(STATE.tmp, 'b-random-20MiB.bin');
  const name = path.basename(file);
  const sha = randomFile(file, size);
  const page = await newPage(await getFirefox(false), 'firefox page');
  s.pages.push(page);
  await openPage(page, `${STATE.httpBase}/`);
  checkEq(await page.evaluate(() => window.rtcTest.state()), 'home', 'phase of the page at /');
  await page.click('#make-send');
  await waitPhase(page, 'waiting', 10000);
  const cmd = await inputValue(page, '#share-cmd');
  const shown = await inputValue(page, '#share-link');
  const code = (await page.evaluate(() => window.rtcTest.info())).code;
  check(typeof code === 'string' && CODE_RE.test(code), `rtcTest.info().code after "Send files": ${JSON.stringify(code)}`);
  checkEq(cmd, `rtcpeer recv ${code}`, 'the command the page shows');
  checkEq(shown, linkFor(code), 'the link the page shows');
  await setFiles(page, '#file-input', file);
  await page.click('#send-go');
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
  s.notes.push(await sdpReport(page));
});

// The pipe conversation of c and c2; `pageEndsFirst` picks who sends eof first.
async function pipeTalk(s, page, pipe, pageEndsFirst) {
  await pipe.waitEvent('authenticated', 30000);
  await waitPhase(page, 'piping', 20000);
  const toPipe = 'hello from Firefox: grüße, ✓, 🦊\nsecond line\n';
  const toPage = ['hello from rtcpeer: ñ, ✓, 🛰', 'another line', 'no newline at the end'];
  checkEq(await page.evaluate((t) => window.rtcTest.sendText(t), toPipe), true, 'rtcTest.sendText()');
  await pipe.waitFor(() => pipe.stdout().length >= Buffer.byteLength(toPipe), 15000, "the page's text on stdout")
    .catch(async (e) => { throw new Failure(e.message + (await pageDiag(page))); });
  checkEq(pipe.stdout().toString('utf8'), toPipe, "rtcpeer pipe's stdout");
  pipe.child.stdin.write(toPage.slice(0, 2).join('\n') + '\n');
  const got = await waitPage(page, (n) => (window.rtcTest.texts.length >= n ? window.rtcTest.texts.slice() : false),
    2, 15000, 'two lines from rtcpeer');
  checkEq(JSON.stringify(got), JSON.stringify(toPage.slice(0, 2)), 'rtcTest.texts');
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

// c. text both ways; rtcpeer pipe makes the code, the Firefox page (mDNS host candidates only)
// opens the link.
scenario('c', 'text both ways: rtcpeer pipe makes the code, Firefox page (mDNS) opens the link', async (s) => {
  const pipe = rtcpeer('rtcpeer pipe', ['pipe', ...peerArgs()], { stdin: 'pipe' });
  s.procs.push(pipe);
  const ev = await pipe.waitEvent('code', 10000);
  const link = linkFor(ev.code);
  checkEq(ev.link, link, "the link in rtcpeer's code event");
  const page = await newPage(await getFirefox(true), 'firefox page');
  s.pages.push(page);
  await openPage(page, link);
  await pipeTalk(s, page, pipe, true);
  s.notes.push(await iceReport(page, true));
});

// c2. the other way round: the Firefox page makes the pipe code, rtcpeer pipe CODE joins.
scenario('c2', 'text both ways: Firefox page makes the code (create("pipe")), rtcpeer pipe CODE', async (s) => {
  const page = await newPage(await getFirefox(false), 'firefox page');
  s.pages.push(page);
  await openPage(page, `${STATE.httpBase}/`);
  const code = await pageCreate(page, 'pipe');
  await waitPhase(page, 'waiting', 10000);
  const pipe = rtcpeer('rtcpeer pipe', ['pipe', ...peerArgs(), code], { stdin: 'pipe' });
  s.procs.push(pipe);
  await pipeTalk(s, page, pipe, false);
  s.notes.push(await iceReport(page, false));
});

// d. Firefox <-> Chromium through signald: each page sends a 10 MiB file to the other.
scenario('d', 'Firefox page <-> Chromium page, 10 MiB each way through signald', async (s) => {
  if (!fs.existsSync(opt.chromium)) return s.skip(`no ${opt.chromium}`);
  if (!fs.existsSync(path.join(HERE, 'node_modules', 'playwright-core', 'package.json'))) return s.skip('no playwright-core in tests/browser/node_modules');
  const size = 10 * MiB;
  const ff = await getFirefox(false);
  const cr = await getChromium();
  for (const [from, to] of [[ff, cr], [cr, ff]]) {
    const file = path.join(STATE.tmp, `d-${from.kind}-to-${to.kind}-10MiB.bin`);
    const sha = randomFile(file, size);
    const a = await newPage(from, `${from.kind} sender`);
    const b = await newPage(to, `${to.kind} receiver`);
    s.pages.push(a, b);
    await openPage(a, `${STATE.httpBase}/`);
    const name = await pageFileFromDisk(a, file);
    const code = await pageCreate(a, 'send');
    await waitPhase(a, 'waiting', 10000);
    await pageSendFile(a, name);
    const t = Date.now();
    await openPage(b, `${STATE.httpBase}/#${code}`);
    await checkReceived(b, { name, size, sha256: sha }, 'blob');
    const dt = Date.now() - t;
    const res = await pageSendResults(a, 10000);
    checkEq(JSON.stringify(res.map((r) => [r.name, r.size, r.ok, r.sha256])), JSON.stringify([[name, size, true, sha]]),
      `${a.label}: sendFiles() results [name, size, ok, sha256]`);
    await waitPhase(a, 'done', 10000);
    await waitPhase(b, 'done', 10000);
    s.notes.push(`${from.kind} -> ${to.kind}: ${secs(dt)} s from opening the link to the verified file; ${await iceReport(b, false)}`);
    if (from.kind === 'firefox') s.notes.push(await sdpReport(b));
  }
});

// offline. Last: nothing in the namespace tried to reach a host outside it. The namespace's
// default route leads straight out of eth0 without a gateway, so every packet to any address but
// our own (a DNS query to the resolver in /etc/resolv.conf, a connection to a Mozilla or Google
// service) first makes the kernel ask for that address on eth0 and leaves an entry in eth0's
// neighbour table, answered or not. Multicast (Firefox's mDNS) needs no entry. The table must
// be empty: without MOZ_REMOTE_SETTINGS_DEVTOOLS=1 it holds the resolver, because Firefox looks
// up firefox.settings.services.mozilla.com.
scenario('offline', 'no process in the namespace tried to reach anything outside it (eth0 neighbour table empty)', async (s) => {
  const r = spawnSync('ip', ['-j', 'neigh', 'show', 'dev', 'eth0'], { encoding: 'utf8' });
  checkEq(r.status, 0, `ip neigh show dev eth0 (${r.stderr.trim()})`);
  const ents = JSON.parse(r.stdout || '[]').map((e) => `${e.dst} ${(e.state || []).join(',')}`);
  check(ents.length === 0, `addresses something asked for on eth0 (an attempt to reach beyond the namespace): ${ents.join('; ')}`);
  s.notes.push(`eth0 neighbour table empty after ${STATE.ran.join(' ') || 'no scenario'}`);
});

// ------------------------------------------------------------------------------------------------
// inner setup, run, teardown

const STATE = { tmp: null, signald: null, wsUrl: null, httpBase: null, browsers: {}, ran: [] };

async function setup() {
  STATE.tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rtcff-'));
  const sig = new Proc('signald', [opt.signald, '--listen', `${opt.addr}:0`, '--web-root', opt.webRoot, '--log-level', 'info']);
  STATE.signald = sig;
  const line = await sig.waitFor(() => sig.lines.find((l) => /listening on \S+:\d+/.test(l)), 10000, '"listening on"');
  const port = /listening on \S+:(\d+)/.exec(line)[1];
  STATE.wsUrl = `ws://${opt.addr}:${port}/ws`;
  STATE.httpBase = `http://${opt.addr}:${port}`;
  info(`namespace ${opt.ns}, signald at ${STATE.httpBase} (web root ${opt.webRoot}), rtcpeer ${opt.rtcpeer}`);
}

async function closeBrowser(b) {
  const proc = b.kind === 'firefox' ? b.process() : null;
  await withTimeout(b.close(), 10000, `${b.kind} close`).catch(() => {});
  if (proc && proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
}

// Once started, every caller waits for the same teardown (the signal handler and main both call it).
let tornDown = false;
let teardownDone = null;
function teardown() {
  tornDown = true;
  if (!teardownDone) teardownDone = doTeardown();
  return teardownDone;
}
async function doTeardown() {
  for (const b of Object.values(STATE.browsers)) await closeBrowser(b);
  for (const p of PROCS) p.kill('SIGCONT');
  for (const p of PROCS) p.kill('SIGTERM');
  await Promise.race([Promise.all(PROCS.map((p) => p.exited)), sleep(3000)]);
  for (const p of PROCS) p.kill('SIGKILL');
  await Promise.race([Promise.all(PROCS.map((p) => p.stderrDone)), sleep(1000)]);
  if (STATE.tmp && !opt.keep) fs.rmSync(STATE.tmp, { recursive: true, force: true });
  else if (STATE.tmp) info(`kept ${STATE.tmp}`);
}

async function runScenario(sc) {
  const s = { notes: [], pages: [], procs: [], skipped: null };
  s.skip = (why) => { s.skipped = why; };
  const t = Date.now();
  let err = null;
  try {
    await withTimeout(sc.fn(s), 120000, `scenario ${sc.id}`);
  } catch (e) {
    err = e;
  }
  const dt = Date.now() - t;
  let msg = '';
  if (err) {
    msg = err instanceof Failure ? err.message : (err.stack || String(err));
    for (const p of s.procs) if (!msg.includes(`${p.name} (pid ${p.pid}`)) msg += `\n      ${p.describe(12)}`;
    for (const pg of s.pages) if (!msg.includes(`${pg.label}: state() =`)) msg += await pageDiag(pg);
  }
  for (const p of s.procs) p.kill('SIGTERM');
  await Promise.race([Promise.all(s.procs.map((p) => p.exited)), sleep(2000)]);
  for (const p of s.procs) p.kill('SIGKILL');
  await Promise.race([Promise.all(s.procs.map((p) => p.stderrDone)), sleep(1000)]);
  for (const pg of s.pages) await withTimeout(pg.closeAll(), 5000, 'page close').catch(() => {});
  for (const p of s.procs) {
    if (p.lines.some((l) => SANITIZER_RE.test(l))) {
      const report = p.lines.filter((l) => !l.startsWith('{')).slice(-40).map((l) => `      | ${l}`).join('\n');
      msg += `${msg ? '\n      also: ' : ''}${p.name} printed a sanitizer report:\n${report}`;
    }
  }
  if (tornDown) return 'fail'; // interrupted: teardown() ran meanwhile, the outcome means nothing
  STATE.ran.push(sc.id);
  const head = `${sc.id}: ${sc.title} (${secs(dt)} s)`;
  if (!msg && s.skipped) {
    console.log(`SKIP ${head}: ${s.skipped}`);
    return 'skip';
  }
  console.log(msg ? `FAIL ${head}\n      ${msg}` : `PASS ${head}`);
  for (const n of s.notes) info(n);
  return msg ? 'fail' : 'pass';
}

async function inner() {
  opt = JSON.parse(process.env.RTCFF_OPT);
  const n = { pass: 0, fail: 0, skip: 0 };
  let interrupted = false; // by the outer process (its watchdog, or a signal): it reports
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(sig, () => {
      if (interrupted) return;
      interrupted = true;
      console.log(`inner: ${sig}, tearing down`);
      teardown().finally(() => process.exit(130));
    });
  }
  // `offline` always runs, last: it checks what the others did.
  const chosen = opt.only.length ? SCENARIOS.filter((s) => opt.only.includes(s.id) || s.id === 'offline') : SCENARIOS;
  try {
    await setup();
    for (const sc of chosen) {
      if (tornDown) break;
      n[await runScenario(sc)]++;
    }
    if (!STATE.signald.running && !interrupted) {
      console.log(`FAIL signald died during the run: ${STATE.signald.describe()}`);
      n.fail++;
    }
  } catch (e) {
    console.log(`FAIL setup: ${e instanceof Failure ? e.message : e.stack || e}`);
    n.fail++;
  } finally {
    await teardown();
  }
  if (interrupted) return; // the signal handler exits
  if (STATE.signald && STATE.signald.lines.some((l) => SANITIZER_RE.test(l))) {
    console.log(`FAIL signald printed a sanitizer report: ${STATE.signald.describe(40)}`);
    n.fail++;
  }
  info(`whole run ${secs(Date.now() - T0)} s`);
  console.log(`${n.pass} passed, ${n.fail} failed${n.skip ? `, ${n.skip} skipped` : ''}`);
  process.exit(n.fail ? 1 : 0);
}

if (INNER) inner();
else outer();

#!/usr/bin/env node
// Real-browser tests in headless Firefox ESR: the web page against signald and rtcpeer, and
// against the same page in Chromium.
//
//   node tests/browser/firefox.js [--signald PATH] [--rtcpeer PATH] [--web-root DIR] [SCENARIO...]
//
// Needs root (network namespace), /usr/bin/firefox-esr and puppeteer-core in
// tests/browser/node_modules (scripts/browser-deps.sh installs them); scenarios d and m also
// need /usr/bin/chromium and playwright-core (skipped alone without them). Exits 77 (ctest's
// SKIP_RETURN_CODE) when root, Firefox or puppeteer-core is missing, 1 when a scenario fails,
// 0 otherwise. See "Firefox" in README.md beside this file; what run.js does the same way
// (processes, pages, the runner, the flows of a, b, c, c2, d) is in harness.js.
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
const fs = require('fs');
const path = require('path');
const H = require('./harness');

const { MiB, STATE, sleep, secs, info, fail, check, checkEq, randomFile, withTimeout } = H;
const { iceReport, card, textsFrom } = H;
const INNER = process.argv[2] === '--inner';

// ------------------------------------------------------------------------------------------------
// outer process: options, prerequisites, the namespace, the inner process

function outer() {
  const cfg = H.parseOptions({ script: 'firefox.js', env: 'RTCFF', ns: `rtcbr-ff${process.pid}`, suiteTimeout: 240 });
  cfg.firefox = process.env.FIREFOX || '/usr/bin/firefox-esr';
  cfg.chromium = process.env.CHROMIUM || '/usr/bin/chromium';
  cfg.webRoot = path.resolve(cfg.webRoot);
  H.checkScenarioIds(cfg.only);
  H.requirePrereqs(() => {
    if (!fs.existsSync(cfg.firefox)) H.skip(`no ${cfg.firefox} (scripts/browser-deps.sh installs Debian's firefox-esr)`);
    if (!fs.existsSync(path.join(H.HERE, 'node_modules', 'puppeteer-core', 'package.json'))) {
      H.skip('puppeteer-core is not installed in tests/browser/node_modules (run scripts/browser-deps.sh)');
    }
  });

  try {
    H.netns(cfg.ns, cfg.addr, 'up');
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
      H.netns(cfg.ns, cfg.addr, 'down'); // also ends whatever of ours still runs in it (a Firefox child, say)
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
// inner process: browsers and pages

let opt = null; // the outer process's options, in the inner process

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
  const puppeteer = require(path.join(H.HERE, 'node_modules', 'puppeteer-core'));
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
  const proc = b.process();
  b.afterClose = () => { // close() may leave it running
    if (proc && proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
  };
  await H.keepBrowser(key, b);
  info(`${await b.version()} (${mdns ? 'mDNS host candidates' : 'IP host candidates'}) started in ${secs(Date.now() - t)} s, ` +
    `pid ${proc && proc.pid}, WebDriver BiDi at ${b.wsEndpoint()}`);
  return b;
}

// Why Chromium cannot run here (d and m are skipped then), or ''.
function noChromium() {
  if (!fs.existsSync(opt.chromium)) return `no ${opt.chromium}`;
  if (!fs.existsSync(path.join(H.HERE, 'node_modules', 'playwright-core', 'package.json'))) return 'no playwright-core in tests/browser/node_modules';
  return '';
}

// Chromium (for d and m), through playwright-core as in run.js, with IP host candidates.
function getChromium() {
  return H.launchChromium('chromium', {
    executablePath: opt.chromium,
    mdns: false,
    // No name lookups at all (its update, sign-in and autofill services would try; the page is
    // at an address, and both pages give address host candidates here).
    args: [`--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE ${opt.addr}`],
  });
}

// Firefox saves a download as NAME.part and renames it to NAME when complete (both in the
// profile's download directory, prefs above). Waits for NAME alone, at its full size.
async function firefoxDownload(page, name, size, ms) {
  const dir = page.dl;
  const file = path.join(dir, name);
  const deadline = Date.now() + ms;
  for (;;) {
    const names = fs.readdirSync(dir);
    if (names.includes(name) && !names.some((n) => n.endsWith('.part')) && fs.statSync(file).size >= size) return file;
    if (Date.now() >= deadline) fail(`${page.label}: no complete download of ${name} in ${dir} within ${secs(ms)} s: ${JSON.stringify(names)}`);
    await sleep(100);
  }
}

// What a scenario does to a Firefox page where puppeteer-core differs from playwright-core
// (harness.js PLAYWRIGHT_IO).
const PUPPETEER_IO = {
  async setFiles(page, sel, file) {
    const el = await page.waitForSelector(sel, { timeout: 5000 });
    try {
      await el.uploadFile(file);
    } finally {
      await el.dispose();
    }
  },
  inputValue: (page, sel) => page.$eval(sel, (e) => e.value),
  click: (page, sel) => page.click(sel),
  // Clicks the Download link `sel`; Firefox saves the file into the profile's download directory.
  async download(page, sel, name, size) {
    await page.waitForSelector(sel, { timeout: 5000 });
    checkEq(await page.$eval(sel, (a) => a.getAttribute('download')), name, `${page.label}: the Download link's file name`);
    await page.click(sel);
    return firefoxDownload(page, name, size, 20000);
  },
};

// A new page (Firefox: a tab in its own user context; Chromium: a context) with the
// instrumentation and console capture. page.evaluate(fn, arg) and page.goto() are the same in
// puppeteer-core and playwright-core; the few other calls go through page.io.
async function newPage(browser, label) {
  if (browser.kind !== 'firefox') return H.newChromiumPage(browser, label);
  const ctx = await browser.createBrowserContext();
  const page = await ctx.newPage();
  await page.evaluateOnNewDocument(H.INSTRUMENT);
  page.dl = browser.dl;
  return H.trackPage(page, { label, kind: 'firefox', io: PUPPETEER_IO, closeAll: () => ctx.close() });
}

// The attributes of Firefox's SDP that matter to rtcpeer, from the page's connected PCs.
async function sdpReport(page) {
  const sdp = await page.evaluate(() => (window.__rtcbr ? window.__rtcbr.sdp.slice() : []));
  if (!sdp.length) return `${page.label}: no connected PeerConnection`;
  const pick = (s) => (s || '').split(/\r?\n/).filter((l) => /^a=(setup|sctp-port|max-message-size):/.test(l)).join(' ');
  return `${page.label} SDP: local ${pick(sdp[0].local)}; remote ${pick(sdp[0].remote)}`;
}

// ------------------------------------------------------------------------------------------------
// scenarios

const scenario = H.scenario;

// env. Firefox in the namespace: a non-loopback host candidate of the kind each mode promises,
// and a data channel between two PeerConnections of one page (no signald, no page of ours).
scenario('env', 'Firefox in the namespace: host candidate + data channel, IP and mDNS modes', async (s) => {
  for (const mdns of [false, true]) {
    const page = await newPage(await getFirefox(mdns), mdns ? 'firefox(mdns)' : 'firefox(ip)');
    s.pages.push(page);
    const cands = await H.envDataChannel(page, mdns);
    s.notes.push(`${mdns ? 'mDNS' : 'IP'}: ${cands.filter(Boolean).map((c) => c.split(' ').slice(2, 8).join(' ')).join(', ')}`);
  }
});

// a. rtcpeer send -> Firefox page opened at the link; the file saved through the Download link.
scenario('a', 'rtcpeer send 20 MiB -> Firefox page opened at /r/<room>#<secret>, saved via Download', async (s) => {
  const { page, sender, dt } = await H.rtcpeerSendsToPage(s, async () => newPage(await getFirefox(false), 'firefox page'));
  s.notes.push(`${secs(dt)} s from opening the link to the downloaded, verified file; rtcpeer: ${(sender.event('connected') || {}).pair}`);
  s.notes.push(await iceReport(page, false));
  s.notes.push(await sdpReport(page));
});

// b. the Firefox page, driven through its UI, makes a code and sends a file -> rtcpeer recv.
scenario('b', 'Firefox page sends 20 MiB (UI: "Send files", file input, "Send") -> rtcpeer recv CODE', async (s) => {
  const { page, recv, dt } = await H.pageSendsToRtcpeer(s, async () => newPage(await getFirefox(false), 'firefox page'));
  s.notes.push(`${secs(dt)} s from starting rtcpeer recv to its exit; rtcpeer: ${(recv.event('connected') || {}).pair}`);
  s.notes.push(await iceReport(page, false));
  s.notes.push(await sdpReport(page));
});

const TO_PIPE = 'hello from Firefox: grüße, ✓, 🦊\nsecond line\n';

// c. text both ways; rtcpeer pipe makes the code, the Firefox page (mDNS host candidates only)
// opens the link.
scenario('c', 'text both ways: rtcpeer pipe makes the code, Firefox page (mDNS) opens the link', async (s) => {
  const page = await H.rtcpeerPipeMakesCode(s, async () => newPage(await getFirefox(true), 'firefox page'), TO_PIPE);
  s.notes.push(await iceReport(page, true));
});

// c2. the other way round: the Firefox page makes the pipe code, rtcpeer pipe CODE joins.
scenario('c2', 'text both ways: Firefox page makes the code (create("pipe")), rtcpeer pipe CODE', async (s) => {
  const page = await H.pageMakesPipeCode(s, async () => newPage(await getFirefox(false), 'firefox page'), TO_PIPE);
  s.notes.push(await iceReport(page, false));
});

// d. Firefox <-> Chromium through signald: each page sends a 10 MiB file to the other.
scenario('d', 'Firefox page <-> Chromium page, 10 MiB each way through signald', async (s) => {
  const why = noChromium();
  if (why) return s.skip(why);
  const ff = await getFirefox(false);
  const cr = await getChromium();
  for (const [from, to] of [[ff, cr], [cr, ff]]) {
    const file = path.join(STATE.tmp, `d-${from.kind}-to-${to.kind}-10MiB.bin`);
    const sha = randomFile(file, 10 * MiB);
    const a = await newPage(from, `${from.kind} sender`);
    const b = await newPage(to, `${to.kind} receiver`);
    const dt = await H.pageSendsToPage(s, a, b, file, sha);
    s.notes.push(`${from.kind} -> ${to.kind}: ${secs(dt)} s from opening the link to the verified file; ${await iceReport(b, false)}`);
    if (from.kind === 'firefox') s.notes.push(await sdpReport(b));
  }
});

// m. a plain room (/r/<room>, no key) of three: Chromium page C1, the Firefox page F, Chromium
// page C2, joining in that order, so that Firefox offers to C1 and answers C2 (the newcomer
// offers, PROTOCOL.md §5). F and C1 send each other a file at the same time
// (rtcTest.peer(id).sendFiles), F and C2 a line each way; then C2 leaves.
scenario('m', 'room (/r/<room>) of Firefox and two Chromium pages: files Firefox <-> Chromium, text both ways, one leaves', async (s) => {
  const why = noChromium();
  if (why) return s.skip(why);
  const ff = await getFirefox(false);
  const cr = await getChromium();
  const room = H.roomId();
  const join = async (browser, name) => {
    const page = await H.roomPage(() => newPage(browser, `${browser.kind} page ${name}`), `${STATE.httpBase}/r/${room}?name=${name}`);
    s.pages.push(page);
    return page;
  };
  const t = Date.now();
  const C1 = await join(cr, 'C1');
  const F = await join(ff, 'F');
  const C2 = await join(cr, 'C2');
  // Firefox as offerer (to C1) and answerer (to C2); its presence list.
  const tMesh = await H.checkPlainMesh([C1, F, C2], 1) - t;

  // Files F <-> C1, both at once.
  const files = [[F, C1, 'm-firefox-to-C1.bin', 3 * MiB + 17], [C1, F, 'm-C1-to-firefox.bin', 2 * MiB + 5]].map(([from, to, name, size]) => {
    const file = path.join(STATE.tmp, name);
    return { from, to, file, name, size, sha: randomFile(file, size) };
  });
  for (const f of files) await H.pageSendFile(f.from, await H.pageFileFromDisk(f.from, f.file), f.to.me);
  for (const f of files) {
    const got = await H.filesFrom(f.to, f.from.me);
    checkEq(JSON.stringify(got.map((r) => [r.from, r.name, r.size, r.sha256])), JSON.stringify([[f.from.me, f.name, f.size, f.sha]]),
      `${f.to.label}: files from ${f.from.roomName} [from, name, size, sha256]`);
    // Firefox saves its file through the Download link on C1's card; C1's bytes are read at the blob URL.
    const want = { name: f.name, size: f.size, sha256: f.sha };
    if (f.to === F) await H.checkBytes(F, want, 'download', { sel: `${card(C1.me)} a[download]` });
    else await H.checkBytes(f.to, want, 'blob', { url: got[0].url });
    const res = await H.pageSendResults(f.from, 10000);
    checkEq(JSON.stringify(res.map((r) => [r.name, r.size, r.ok, r.sha256])), JSON.stringify([[f.name, f.size, true, f.sha]]),
      `${f.from.label}: peer(${f.to.roomName}).sendFiles() results [name, size, ok, sha256]`);
  }
  const counts = await Promise.all([F, C1, C2].map((p) => p.evaluate(() => window.rtcTest.received.length)));
  checkEq(JSON.stringify(counts), '[1,1,0]', 'files received by F, C1, C2');

  // Text F <-> C2.
  const toC2 = 'hello C2, Firefox here: grüße ✓';
  const toF = 'hi Firefox, C2 here 🛰';
  checkEq(await F.evaluate(([id, t]) => window.rtcTest.peer(id).sendText(`${t}\n`), [C2.me, toC2]), true, 'F: peer(C2).sendText()');
  checkEq(JSON.stringify(await textsFrom(C2, F.me, 1, 10000)), JSON.stringify([toC2]), 'C2: lines from F');
  checkEq(await C2.evaluate(([id, t]) => window.rtcTest.peer(id).sendText(`${t}\n`), [F.me, toF]), true, 'C2: peer(F).sendText()');
  checkEq(JSON.stringify(await textsFrom(F, C2.me, 1, 10000)), JSON.stringify([toF]), 'F: lines from C2');
  checkEq(JSON.stringify(await C1.evaluate(() => window.rtcTest.peers().map((p) => window.rtcTest.peer(p.id).texts.length))), '[0,0]',
    'C1: lines from F and C2 (none: the text went F <-> C2 only)');

  // C2 leaves: F and C1 see two members and still talk.
  const dtLeave = await H.leaveRoom(C2, [[F, C1], [C1, F]]);
  checkEq(await F.evaluate((id) => window.rtcTest.peer(id).sendText('still here\n'), C1.me), true, 'F: peer(C1).sendText() after C2 left');
  checkEq(JSON.stringify(await textsFrom(C1, F.me, 1, 10000)), JSON.stringify(['still here']), 'C1: lines from F after C2 left');
  s.notes.push(`mesh of 3 ready ${secs(tMesh)} s after C1 opened the room; C2's leaving seen by F and C1 within ${secs(dtLeave)} s`);
  s.notes.push(await iceReport(F, false));
  s.notes.push(await sdpReport(F));
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
// inner process: setup, run

async function setup() {
  H.makeTmp('rtcff-');
  await H.startSignald();
}

async function inner() {
  opt = JSON.parse(process.env.RTCFF_OPT);
  // The children inherit the namespace; failures also print the page's info() and ICE record.
  H.configure({ opt, procPrefix: [], diagDetail: true });
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(sig, () => {
      if (STATE.interrupted) return;
      STATE.interrupted = true; // by the outer process (its watchdog, or a signal): it reports
      console.log(`inner: ${sig}, tearing down`);
      H.teardown().finally(() => process.exit(130));
    });
  }
  // `offline` always runs, last: it checks what the others did.
  const chosen = opt.only.length ? H.SCENARIOS.filter((s) => opt.only.includes(s.id) || s.id === 'offline') : H.SCENARIOS;
  const n = await H.runSuite(chosen, setup, { limit: 120000, pageErrorsFail: true });
  if (n) process.exit(n.fail ? 1 : 0); // else the signal handler exits
}

if (INNER) inner();
else outer();

#!/usr/bin/env node
// Real-browser tests: the web page in headless Debian Chromium against signald and rtcpeer.
//
//   node tests/browser/run.js [--signald PATH] [--rtcpeer PATH] [--web-root DIR] [SCENARIO...]
//
// Needs root (network namespace), /usr/bin/chromium and playwright-core in
// tests/browser/node_modules (scripts/browser-deps.sh installs both). Exits 77 (ctest's
// SKIP_RETURN_CODE) when one of these is missing, 1 when a scenario fails, 0 otherwise.
// See README.md beside this file for what each scenario proves; what firefox.js does the same
// way (processes, pages, the runner, the flows of a, b, c, c2, d) is in harness.js.
//
// Environment: SIGNALD, RTCPEER (paths, instead of the flags), CHROMIUM (default
// /usr/bin/chromium), SCREENSHOT=FILE (write a PNG of the page in the middle of a transfer),
// SCREENSHOT_ROOM=FILE (a PNG of one page of the room scenario m, after its files and text),
// RTCBR_NS (namespace name, default rtcbr-<pid>), RTCBR_ADDR (default 10.203.0.2),
// RTCBR_SUITE_TIMEOUT (seconds, default 300), RTCBR_KEEP=1 (keep the temporary directory),
// RTCBR_DIAG_EVENTS (how many of a page's last events a failure prints, default 15),
// RTCBR_RTCPEER_ARGS (extra rtcpeer flags for a diagnosis run, e.g. "-v").
'use strict';

const crypto = require('crypto');
const fs = require('fs');
const os = require('os');
const path = require('path');
const H = require('./harness');

const { MiB, STATE, sleep, secs, check, checkEq, sha256File, randomFile, withTimeout } = H;
const { rtcpeer, peerArgs, openPage, waitPhase, pageCreate, pageSendResults, iceReport, card, textsFrom, waitPeers } = H;

// ------------------------------------------------------------------------------------------------
// command line, prerequisites

const opt = H.parseOptions({ script: 'run.js', env: 'RTCBR', ns: `rtcbr-${process.pid}`, suiteTimeout: 300 });
opt.chromium = process.env.CHROMIUM || '/usr/bin/chromium';
opt.screenshot = process.env.SCREENSHOT || '';
opt.screenshotRoom = process.env.SCREENSHOT_ROOM || '';

H.requirePrereqs(() => {
  if (!fs.existsSync(opt.chromium)) H.skip(`no ${opt.chromium} (scripts/browser-deps.sh installs Debian's chromium)`);
  try {
    require(path.join(H.HERE, 'node_modules', 'playwright-core'));
  } catch (e) {
    H.skip('playwright-core is not installed in tests/browser/node_modules (run scripts/browser-deps.sh)');
  }
});

// run.js stays in the root namespace: every child runs through `ip netns exec` (which execs, so
// the pid is the program's), Chromium through a wrapper script (setup()).
H.configure({
  opt,
  procPrefix: ['ip', 'netns', 'exec', opt.ns],
  diagEvents: Number(process.env.RTCBR_DIAG_EVENTS || 15),
});

// ------------------------------------------------------------------------------------------------
// browsers and pages

// Chromium with mdns=false gets --disable-features=WebRtcHideLocalIpsWithMdns (host candidates
// carry the address); mdns=true is Chromium's default (host candidates are random .local names).
function getBrowser(mdns) {
  return H.launchChromium(mdns ? 'mdns' : 'ip', {
    executablePath: STATE.wrapper, mdns, context: { viewport: { width: 1100, height: 760 } },
  });
}

const newPage = (browser, label) => H.newChromiumPage(browser, label);

// A page of `browser` in the room at `url`, with .me (roomPage()).
const roomPage = (browser, label, url) => H.roomPage(() => newPage(browser, label), url);

// ------------------------------------------------------------------------------------------------
// scenarios

// mdns: the candidate mode (true, false; null: both), shown in the report line.
function scenario(id, title, mdns, fn) {
  H.scenario(id, title, fn, mdns === null ? 'both modes' : mdns ? 'mDNS on' : 'mDNS off');
}

// 0. The environment itself: Chromium in the namespace gathers a non-loopback host candidate and
// two PeerConnections in one page open a data channel (no signald, no page of ours).
scenario('env', 'Chromium in the namespace: host candidate + loopback-free data channel, both candidate modes', null, async (s) => {
  for (const mdns of [false, true]) {
    const page = await newPage(await getBrowser(mdns), mdns ? 'chromium(mdns)' : 'chromium(ip)');
    const cands = await H.envDataChannel(page, mdns);
    s.notes.push(`${mdns ? 'mDNS' : 'IP'}: ${cands[0].split(' ').slice(4, 8).join(' ')}`);
    await page.closeAll();
  }
});

// Scenario a, once the page is receiving: freezes the sender (SIGSTOP) once the page shows 5 % of
// the file, so that the page is caught in the middle of the transfer for the screenshot (and has
// to cope with a stall). What is in flight then (rtcpeer's SCTP buffer, the page's queue) still
// arrives: 25..40 % of this file.
async function stallSender(s, page, sender, size) {
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
}

// a. rtcpeer send -> the page opened at the link; screenshot in the middle of it.
scenario('a', 'rtcpeer send 20 MiB -> page opened at /r/<room>#<secret>', false, async (s) => {
  const { page, sender, dt } = await H.rtcpeerSendsToPage(s, async () => newPage(await getBrowser(false), 'page'),
    (page, sender, size) => stallSender(s, page, sender, size));
  s.notes.push(`${secs(dt)} s from opening the link to the verified file (incl. the pause); rtcpeer: ${(sender.event('connected') || {}).pair}`);
  s.notes.push(await iceReport(page, false));
});

// b. the page, driven through its UI, makes a code and sends a file -> rtcpeer recv.
scenario('b', 'page sends 20 MiB (UI: "Send files", file input, "Send") -> rtcpeer recv CODE', false, async (s) => {
  const { page, recv, dt } = await H.pageSendsToRtcpeer(s, async () => newPage(await getBrowser(false), 'page'));
  s.notes.push(`${secs(dt)} s from starting rtcpeer recv to its exit; rtcpeer: ${(recv.event('connected') || {}).pair}`);
  s.notes.push(await iceReport(page, false));
});

const TO_PIPE = 'hello from the browser: grüße, ✓, 🚀\nsecond line\n';

// c. text both ways, rtcpeer pipe makes the code and the page opens the link.
scenario('c', 'text both ways: rtcpeer pipe makes the code, page opens the link', true, async (s) => {
  const page = await H.rtcpeerPipeMakesCode(s, async () => newPage(await getBrowser(true), 'page'), TO_PIPE);
  s.notes.push(await iceReport(page, true));
});

// c2. the other way round: the page makes the pipe code, rtcpeer pipe CODE joins.
scenario('c2', 'text both ways: page makes the code (create("pipe")), rtcpeer pipe CODE', false, async (s) => {
  const page = await H.pageMakesPipeCode(s, async () => newPage(await getBrowser(false), 'page'), TO_PIPE);
  s.notes.push(await iceReport(page, false));
});

// d. browser <-> browser: two contexts through signald (rtcTest.create + sendFiles).
scenario('d', 'browser -> browser (two contexts) 10 MiB through signald, receiver at /#<room>-<secret>', true, async (s) => {
  const file = path.join(STATE.tmp, 'd-random-10MiB.bin');
  const sha = randomFile(file, 10 * MiB);
  const browser = await getBrowser(true);
  const a = await newPage(browser, 'sender page');
  const b = await newPage(browser, 'receiver page');
  const dt = await H.pageSendsToPage(s, a, b, file, sha);
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

// m. three pages in one room without a key: presence, A sends B and C a different file each
// (B by its card's file picker, C by a drop onto its card), B and C exchange a line each way,
// then C leaves and A and B still see the right members and still talk.
scenario('m', 'room of three pages (/r/<room>, no key): A -> B and A -> C files, text B <-> C, C leaves', false, async (s) => {
  const browser = await getBrowser(false);
  const room = H.roomId();
  const url = (name) => `${STATE.httpBase}/r/${room}?name=${name}`;
  const t = Date.now();
  const A = await roomPage(browser, 'page A', url('A'));
  s.pages.push(A);
  const B = await roomPage(browser, 'page B', url('B'));
  s.pages.push(B);
  const C = await roomPage(browser, 'page C', url('C'));
  s.pages.push(C);
  // Who offered: the newcomer, to everybody already there (PROTOCOL.md §5).
  const tMesh = await H.checkPlainMesh([A, B, C], 0) - t;

  // Files: a different one to each, through the two ways a user has.
  const fb = path.join(STATE.tmp, 'm-to-B.bin');
  const fc = path.join(STATE.tmp, 'm-to-C.bin');
  const sizeB = 3 * MiB + 17;
  const sizeC = 2 * MiB + 5;
  const shaB = randomFile(fb, sizeB);
  const shaC = randomFile(fc, sizeC);
  await A.setInputFiles(`${card(B.me)} input[type=file]`, fb); // B's card: "Choose files…"
  const nameC = await H.pageFileFromDisk(A, fc);
  const dt = await A.evaluateHandle((n) => {
    const d = new DataTransfer();
    d.items.add(window.__rtcbrFiles[n]);
    return d;
  }, nameC);
  await A.dispatchEvent(card(C.me), 'drop', { dataTransfer: dt }); // dropped onto C's card
  await dt.dispose();
  const [rb, rc] = [await H.filesFrom(B, A.me), await H.filesFrom(C, A.me)];
  checkEq(JSON.stringify(rb.map((r) => [r.from, r.name, r.size, r.sha256])), JSON.stringify([[A.me, 'm-to-B.bin', sizeB, shaB]]), "B's files from A [from, name, size, sha256]");
  checkEq(JSON.stringify(rc.map((r) => [r.from, r.name, r.size, r.sha256])), JSON.stringify([[A.me, 'm-to-C.bin', sizeC, shaC]]), "C's files from A");
  // B saves its file through the Download link on A's card; C's bytes are read at the blob URL.
  await H.checkBytes(B, { name: 'm-to-B.bin', size: sizeB, sha256: shaB }, 'download', { sel: `${card(A.me)} a[download]` });
  await H.checkBytes(C, { name: 'm-to-C.bin', size: sizeC, sha256: shaC }, 'blob', { url: rc[0].url });
  checkEq(JSON.stringify(await H.filesSent(A, 2)), JSON.stringify([[B.me, 'm-to-B.bin', sizeB, true, shaB], [C.me, 'm-to-C.bin', sizeC, true, shaC]].sort()),
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
  const dtLeave = await H.leaveRoom(C, [[A, B], [B, A]]);
  checkEq(await A.evaluate((id) => window.rtcTest.peer(id).sendText('still here\n'), B.me), true, 'A: peer(B).sendText() after C left');
  checkEq(JSON.stringify(await textsFrom(B, A.me, 1, 10000)), JSON.stringify(['still here']), 'B: lines from A after C left');
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
  await recv.expectExit(9, 30000); // EXIT_REFUSED: "a file was refused, or the receiver could not store it"
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
// setup, run

async function setup() {
  H.makeTmp('rtcbr-');
  H.netns(opt.ns, opt.addr, 'up');
  STATE.onTeardown.push(() => H.netns(opt.ns, opt.addr, 'down'));
  STATE.wrapper = path.join(STATE.tmp, 'chromium-in-netns.sh');
  fs.writeFileSync(STATE.wrapper,
    `#!/bin/sh\n# Chromium inside the test namespace (ip netns exec execs: the pid stays Chromium's)\n` +
    `exec ip netns exec '${opt.ns}' '${opt.chromium}' "$@"\n`, { mode: 0o755 });
  await H.startSignald();
}

async function main() {
  H.checkScenarioIds(opt.only);
  const chosen = opt.only.length ? H.SCENARIOS.filter((s) => opt.only.includes(s.id)) : H.SCENARIOS;
  const n = await H.runSuite(chosen, setup, { limit: 150000, pageErrorsFail: true });
  if (n) process.exitCode = n.fail ? 1 : 0;
}

for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    STATE.interrupted = true;
    console.log(`interrupted (${sig})`);
    H.teardown().finally(() => process.exit(130));
  });
}
const watchdog = setTimeout(() => {
  STATE.interrupted = true;
  console.log(`FAIL the whole suite took longer than ${secs(opt.suiteTimeout)} s`);
  H.teardown().finally(() => {
    console.log('0 passed, 1 failed');
    process.exit(1);
  });
}, opt.suiteTimeout);
watchdog.unref();

main();

/*
 * ui.js - the page's DOM: landing, session status, file lists with progress, the text log.
 * No protocol logic here; main.js calls these methods and passes user actions back through
 * the handlers given to the constructor.
 */

const $ = (id) => document.getElementById(id);
const ROW_MAX = 64 * 1024; /* characters in one row of received text (TextLog append) */

/* Peer-chosen text as shown (names, and the messages that quote them): characters that
 * reorder or hide text (bidi embeddings and overrides, isolates, marks, zero-width and other
 * invisible format characters) are spelled out, so "invoice\u202Efdp.exe"
 * shows as what the browser saves, not as "invoiceexe.pdf" (TRANSFER.md §11). */
/* Lines received on a text channel, kept for rtcTest and the page's own use: past
 * TEXT_KEPT_MAX characters the oldest half goes, so a peer that streams text (rtcpeer pipe of
 * a large file) cannot fill the tab's memory. */
const TEXT_KEPT_MAX = 4 * 1024 * 1024;

export function keepLine(list, text) {
	list.push(text);
	list.chars = (list.chars || 0) + text.length;
	if (list.chars <= TEXT_KEPT_MAX) return;
	let drop = 0, freed = 0;
	while (drop < list.length - 1 && list.chars - freed > TEXT_KEPT_MAX / 2) freed += list[drop++].length;
	list.splice(0, drop);
	list.chars -= freed;
}

export function shownName(name) {
	return String(name).replace(/[\u00AD\u061C\u180E\u200B-\u200F\u202A-\u202E\u2060-\u206F\uFEFF]/g,
		(c) => `<U+${c.codePointAt(0).toString(16).toUpperCase().padStart(4, '0')}>`);
}

export function formatBytes(n) {
	if (!Number.isFinite(n)) return '?';
	if (n < 1000) return `${n} B`;
	const units = ['kB', 'MB', 'GB', 'TB'];
	let v = n, u = -1;
	do { v /= 1000; u++; } while (v >= 1000 && u < units.length - 1);
	return `${v.toFixed(v < 10 ? 2 : v < 100 ? 1 : 0)} ${units[u]}`;
}

export function formatDuration(s) {
	if (s == null || !Number.isFinite(s)) return '';
	s = Math.max(0, Math.round(s));
	const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
	return h ? `${h}:${String(m).padStart(2, '0')}:${String(sec).padStart(2, '0')}` : `${m}:${String(sec).padStart(2, '0')}`;
}

/*
 * Files from a picker (`input` opened by `choose`) or dropped onto `zone` go to onFiles(File[]).
 * The zone is highlighted while files are dragged over it.
 */
export function fileTarget(zone, input, choose, onFiles) {
	input.addEventListener('change', () => {
		if (input.files.length) onFiles([...input.files]);
		input.value = '';
	});
	choose.addEventListener('click', (ev) => { ev.stopPropagation(); input.click(); });
	let depth = 0; /* dragenter/leave fire for every child the pointer crosses */
	zone.addEventListener('dragenter', (ev) => { ev.preventDefault(); depth++; zone.classList.add('over'); });
	zone.addEventListener('dragover', (ev) => { ev.preventDefault(); zone.classList.add('over'); });
	zone.addEventListener('dragleave', () => { if (--depth <= 0) { depth = 0; zone.classList.remove('over'); } });
	zone.addEventListener('drop', (ev) => {
		ev.preventDefault();
		ev.stopPropagation();
		depth = 0;
		zone.classList.remove('over');
		const files = [...(ev.dataTransfer ? ev.dataTransfer.files : [])];
		if (files.length) onFiles(files);
	});
}

const STEP_OF_PHASE = {
	signaling: 'signal', waiting: 'peer', connecting: 'connect', authenticating: 'auth',
};
const STEPS = ['signal', 'peer', 'connect', 'auth'];

export class UI {
	constructor(h) {
		this.h = h;
		this.out = new FileList($('send-list'));
		this.in = new FileList($('recv-list'));
		this.text = new TextLog($('pipe-log'));
		this.activeStep = null;
		this.bind();
	}

	bind() {
		$('make-send').addEventListener('click', () => this.h.make('send'));
		$('make-pipe').addEventListener('click', () => this.h.make('pipe'));
		$('make-room').addEventListener('click', () => this.h.make('room'));
		$('join-form').addEventListener('submit', (ev) => {
			ev.preventDefault();
			this.h.join($('code-input').value);
		});
		$('code-input').addEventListener('input', () => { $('code-error').textContent = ''; $('code-input').removeAttribute('aria-invalid'); });
		for (const b of document.querySelectorAll('button.copy')) b.addEventListener('click', () => this.copy(b));

		const drop = $('drop');
		fileTarget(drop, $('file-input'), $('choose'), (files) => this.h.files(files));
		drop.addEventListener('click', (ev) => { if (ev.target === drop || ev.target.tagName === 'P' || ev.target.tagName === 'STRONG') $('file-input').click(); });
		/* Dropping outside a zone must not navigate away from a running transfer. */
		window.addEventListener('dragover', (ev) => ev.preventDefault());
		window.addEventListener('drop', (ev) => ev.preventDefault());
		$('send-go').addEventListener('click', () => this.h.sendGo());

		$('pipe-form').addEventListener('submit', (ev) => {
			ev.preventDefault();
			const input = $('pipe-input');
			if (this.h.pipeSend(input.value)) input.value = '';
		});
		$('pipe-end').addEventListener('click', () => this.h.pipeEnd());
	}

	async copy(button) {
		const field = $(button.dataset.copy);
		field.select();
		let ok = false;
		try {
			await navigator.clipboard.writeText(field.value);
			ok = true;
		} catch {
			try { ok = document.execCommand('copy'); } catch { ok = false; }
		}
		const old = button.textContent;
		button.textContent = ok ? 'Copied' : 'Select + copy';
		setTimeout(() => { button.textContent = old; }, 1500);
	}

	/* A link's ?server= names another signaling server than this page's own: say so where it
	 * is seen, since that server relays every description and could attempt what §4 of
	 * TRANSFER.md guards against (and learns both sides' addresses). */
	foreignServer(url) {
		const el = $('foreign-server');
		el.textContent = `This page is using the signaling server ${url}, named in the link, not its own. ` +
			'Go on only if you trust whoever gave you the link.';
		el.hidden = false;
	}

	unsupported(text) {
		const el = $('unsupported');
		el.textContent = shownName(text);
		el.hidden = false;
	}

	showHome(error) {
		$('home').hidden = false;
		$('session').hidden = true;
		if (error) this.codeError(error);
	}

	codeError(text) {
		$('code-error').textContent = text;
		$('code-input').setAttribute('aria-invalid', 'true');
	}

	showSession(title) {
		$('home').hidden = true;
		$('session').hidden = false;
		$('session-title').textContent = title;
		document.title = `${title} · rtcpeer`;
	}

	title(text) {
		$('session-title').textContent = text;
		document.title = `${text} · rtcpeer`;
	}

	showShare(link, cmd) {
		$('share').hidden = false;
		$('share-link').value = link;
		$('share-cmd').value = cmd;
	}

	hideShare() { $('share').hidden = true; }

	status(text) { $('status').textContent = shownName(text); }

	/* Marks the steps up to the phase's step done, and that one active. */
	step(phase) {
		const cur = STEP_OF_PHASE[phase];
		const idx = cur ? STEPS.indexOf(cur) : (['ready', 'sending', 'receiving', 'piping', 'finishing', 'done'].includes(phase) ? STEPS.length : -1);
		if (idx < 0) return;
		this.activeStep = cur || null;
		for (const li of document.querySelectorAll('#steps li')) {
			const i = STEPS.indexOf(li.dataset.step);
			li.classList.toggle('done', i < idx);
			li.classList.toggle('active', i === idx);
			li.classList.remove('failed');
		}
	}

	/* Marks `step` (or, without one, the active step) as where it failed. */
	stepFailed(step) {
		const lis = [...document.querySelectorAll('#steps li')];
		const at = step ? STEPS.indexOf(step) : lis.findIndex((li) => li.classList.contains('active'));
		if (at < 0) return;
		lis.forEach((li, i) => {
			li.classList.remove('active');
			li.classList.toggle('done', i < at);
			li.classList.toggle('failed', i === at);
		});
	}

	error(text, step) {
		$('error-text').textContent = shownName(text);
		$('error').hidden = false;
		this.stepFailed(step);
		this.hideShare();
		this.pipeEnable(false, false);
		$('send-go').disabled = true;
	}

	done(text) {
		const el = $('done-note');
		el.textContent = text;
		el.hidden = false;
		this.hideShare();
	}

	log(text) {
		const li = document.createElement('li');
		const t = new Date();
		li.textContent = `${t.toLocaleTimeString()} ${shownName(text)}`;
		const ol = $('log');
		ol.appendChild(li);
		while (ol.children.length > 300) ol.removeChild(ol.firstChild);
	}

	/* ------------------------------------------------------------ files */

	showSendPanel() { $('send-panel').hidden = false; }

	/* No more files can be added: the batch is over. */
	sendClosed() {
		$('drop').hidden = true;
		$('send-go').hidden = true;
	}
	showRecvPanel() { $('recv-panel').hidden = false; }

	sendButton(enabled, label) {
		const b = $('send-go');
		b.disabled = !enabled;
		if (label) b.textContent = label;
	}

	queued(name, size) { return this.out.queued(name, size); }
	bindSend(id, name, size) { return this.out.bind(id, name, size); }

	/* key: "send:<id>" or "recv:<id>", as the events' `dir` says. */
	listOf(key) { return key.startsWith('send:') ? [this.out, key.slice(5)] : [this.in, key.slice(5)]; }
	fileState(key, text, cls) { const [l, id] = this.listOf(key); l.state(id, text, cls); }
	progress(key, p) { const [l, id] = this.listOf(key); l.progress(id, p); }

	incoming(id, name, size) {
		$('recv-empty').hidden = true;
		this.in.incoming(id, name, size);
	}

	rejectedIncoming(id, name, why) {
		$('recv-empty').hidden = true;
		this.in.rejected(name, why);
	}

	received(r) { this.in.received(r.id, r); }

	/* ------------------------------------------------------------ pipe */

	showPipePanel() { $('pipe-panel').hidden = false; }

	pipeEnable(input, end) {
		$('pipe-input').disabled = !input;
		$('pipe-send').disabled = !input;
		$('pipe-end').disabled = !end;
	}

	pipeFocus() { $('pipe-input').focus(); }

	pipeNote(text) { $('pipe-note').textContent = text; }

	pipeAppend(who, text) { this.text.append(who, text); }
}

/*
 * One list of files (<ul class="filelist">): queued to send, offered, in progress with rate and
 * time left, then verified with a Download link, or refused. Entries are found by a key the
 * caller chooses (the file's id, unique within the list).
 */
export class FileList {
	constructor(ul) {
		this.ul = ul;
		this.waiting = [];            /* [name, size, li] queued and not offered yet, in order */
		this.byKey = new Map();       /* key → li */
	}

	item(name, size) {
		const li = document.createElement('li');
		const n = document.createElement('div');
		n.className = 'fname';
		n.textContent = shownName(name);
		const meta = document.createElement('div');
		meta.className = 'fmeta';
		meta.textContent = formatBytes(size);
		const st = document.createElement('div');
		st.className = 'fstate';
		st.setAttribute('aria-live', 'polite');
		li.append(n, meta, st);
		this.ul.appendChild(li);
		return li;
	}

	queued(name, size) {
		const li = this.item(name, size);
		li.querySelector('.fstate').textContent = 'waiting';
		this.waiting.push([name, size, li]);
		return li;
	}

	/* A file not offered because of its name: shown, never bound to an offer. */
	skipped(li, why) {
		this.waiting = this.waiting.filter((w) => w[2] !== li);
		this.setState(li, why, 'bad');
	}

	/* The first queued entry for a file offered under `key` (files are offered in order). */
	bind(key, name, size) {
		const i = this.waiting.findIndex(([n, sz]) => n === name && sz === size);
		if (i < 0) return null;
		const li = this.waiting.splice(i, 1)[0][2];
		this.byKey.set(String(key), li);
		return li;
	}

	setState(li, text, cls) {
		const st = li.querySelector('.fstate');
		st.textContent = shownName(text);
		st.className = `fstate${cls ? ` ${cls}` : ''}`;
	}

	state(key, text, cls) {
		const li = this.byKey.get(String(key));
		if (li) this.setState(li, text, cls);
	}

	progress(key, p) {
		const li = this.byKey.get(String(key));
		if (!li) return;
		let bar = li.querySelector('progress');
		if (!bar) {
			bar = document.createElement('progress');
			bar.max = 1;
			bar.setAttribute('aria-label', `progress of ${li.querySelector('.fname').textContent}`);
			li.insertBefore(bar, li.querySelector('.fstate'));
		}
		bar.value = p.total > 0 ? p.bytes / p.total : 1;
		if (p.complete) {
			bar.remove();
			const secs = p.elapsed < 10 ? `${p.elapsed.toFixed(1)} s` : formatDuration(p.elapsed);
			const avg = p.elapsed > 0.05 ? ` (${formatBytes(p.bytes / p.elapsed)}/s)` : '';
			li.querySelector('.fmeta').textContent = `${formatBytes(p.bytes)} in ${secs}${avg}`;
			return;
		}
		const parts = [`${formatBytes(p.bytes)} of ${formatBytes(p.total)}`];
		if (p.rate > 0) parts.push(`${formatBytes(p.rate)}/s`);
		if (p.eta != null && p.rate > 0) parts.push(`${formatDuration(p.eta)} left`);
		li.querySelector('.fmeta').textContent = parts.join(' · ');
	}

	incoming(key, name, size) {
		const li = this.item(name, size);
		this.byKey.set(String(key), li);
		li.querySelector('.fstate').textContent = 'receiving';
	}

	rejected(name, why) {
		const li = this.item(name, 0);
		li.querySelector('.fmeta').textContent = '';
		this.setState(li, `refused: ${why}`, 'bad');
	}

	/* r: {name, size, sha256, url}: a verified file, offered for download. */
	received(key, r) {
		const li = this.byKey.get(String(key));
		if (!li) return;
		const st = li.querySelector('.fstate');
		st.className = 'fstate ok';
		st.textContent = '';
		const a = document.createElement('a');
		a.href = r.url;
		a.download = r.name;
		a.textContent = 'Download';
		a.className = 'button';
		const line = document.createElement('span');
		line.className = 'received-line';
		line.textContent = ` received ${shownName(r.name)} (${r.size} bytes), verified`;
		st.append(a, line);
		const sha = document.createElement('div');
		sha.className = 'fmeta mono';
		sha.textContent = `SHA-256 ${r.sha256}`;
		li.appendChild(sha);
	}
}

/*
 * The text of a pipe: what we typed, what the peer sent (one row per line; an unfinished line
 * stays open for the next chunk), and notes. peerTag prefixes the peer's rows.
 */
export class TextLog {
	constructor(el, { peerTag = 'peer ‹ ' } = {}) {
		this.el = el;
		this.peerTag = peerTag;
	}

	/* `who` is 'me', 'peer' or 'sys'. */
	append(who, text) {
		const log = this.el;
		const stick = log.scrollTop + log.clientHeight >= log.scrollHeight - 4;
		const row = () => {
			const div = document.createElement('div');
			div.className = who;
			div.dataset.who = who;
			const tag = document.createElement('span');
			tag.className = 'who';
			tag.textContent = who === 'me' ? 'you  › ' : who === 'peer' ? this.peerTag : '';
			div.append(tag, document.createElement('span'));
			log.appendChild(div);
			while (log.children.length > 2000) log.removeChild(log.firstChild);
			return div;
		};
		if (who !== 'peer') {
			row().lastElementChild.textContent = text;
		} else {
			let last = log.lastElementChild;
			const pieces = text.split('\n');
			pieces.forEach((piece, i) => {
				const closes = i < pieces.length - 1;
				if (!closes && piece === '') return;
				/* A row is cut at ROW_MAX characters: a line without end must not grow one text
				 * node (and each append to it) without bound. */
				if (!last || last.dataset.who !== 'peer' || last.dataset.open !== '1' ||
				    (last.textLength || 0) > ROW_MAX) last = row();
				last.lastElementChild.textContent += piece;
				last.textLength = (last.textLength || 0) + piece.length;
				last.dataset.open = closes ? '0' : '1';
			});
		}
		if (stick) log.scrollTop = log.scrollHeight;
	}
}

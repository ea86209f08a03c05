/*
 * roomview.js - the DOM of a room: the invitation link, who is present, and one card per other
 * peer with its own files (send by picker or by dropping onto the card; received files with
 * progress and a Download link) and its own text line. No protocol logic: roomapp.js calls
 * these methods and gets user actions back through the handlers it passes.
 */
import { FileList, TextLog, fileTarget, shownName } from './ui.js';

const $ = (id) => document.getElementById(id);

/* What a peer's state looks like: badge text, and the line under the name. */
const STATE_TEXT = {
	connecting: ['connecting', 'Connecting directly…'],
	authenticating: ['checking', 'Connected. Checking that the peer holds the room key…'],
	ready: ['connected', ''],
	failed: ['failed', ''],
	left: ['left', 'Left the room. Files received from them stay here until you leave.'],
};

/* "Alice" or, for a peer without a name, the start of its id. The name is the member's own
 * claim (join meta, unauthenticated): shown with direction controls spelled out. */
export function peerLabel(id, name) {
	return name ? shownName(name) : `peer ${id.slice(0, 6)}`;
}

export class RoomView {
	constructor() {
		this.cards = new Map();       /* peer id → PeerCard */
		this.tpl = $('peer-card');
	}

	show({ room, link, keyed, me }) {
		$('home').hidden = true;
		$('session').hidden = true;
		$('room').hidden = false;
		$('room-name').textContent = room;
		document.title = `Room ${room} · rtcpeer`;
		$('room-link').value = link;
		$('room-keynote').textContent = keyed
			? 'The key after # never reaches the server. Every peer proves it to every other, so not even the server can get in between; anyone you give the link to can.'
			: 'This room has no key: anyone who knows its name can join, and the signaling server could get in between unnoticed. Use "New room" on the start page for a room with a key.';
		$('room-keynote').classList.toggle('warn', !keyed);
		this.me = me;
	}

	joined(me, name) {
		this.me = me;
		const li = document.createElement('li');
		li.className = 'me';
		li.textContent = `You${name ? ` (${name})` : ''}`;
		$('presence').prepend(li);
		this.refreshAlone();
	}

	status(text) { $('room-status').textContent = shownName(text); }

	error(text) {
		$('room-error-text').textContent = shownName(text);
		$('room-error').hidden = false;
		for (const c of this.cards.values()) c.disable();
	}

	log(text) {
		const li = document.createElement('li');
		li.textContent = `${new Date().toLocaleTimeString()} ${shownName(text)}`;
		const ol = $('room-log');
		ol.appendChild(li);
		while (ol.children.length > 500) ol.removeChild(ol.firstChild);
	}

	/* A new card for a peer, with presence entry; h: {files(File[]), text(line), end()}. */
	addPeer(id, name, h) {
		const old = this.cards.get(id);
		if (old) old.remove();
		const card = new PeerCard(this.tpl, id, name, h);
		$('peers').appendChild(card.el);
		this.cards.set(id, card);
		const li = document.createElement('li');
		li.dataset.peer = id;
		li.append(Object.assign(document.createElement('span'), { textContent: peerLabel(id, name) }),
			Object.assign(document.createElement('span'), { className: 'badge', textContent: 'connecting' }));
		li.lastChild.dataset.state = 'connecting';
		$('presence').appendChild(li);
		card.presence = li;
		this.refreshAlone();
		return card;
	}

	card(id) { return this.cards.get(id) || null; }

	/* A member that left keeps its card only if it holds something: files, or text. */
	peerState(id, state, detail) {
		const c = this.cards.get(id);
		if (!c) return;
		c.setState(state, detail);
		if (state === 'left' && c.empty()) {
			c.remove();
			this.cards.delete(id);
		}
		this.refreshAlone();
	}

	/* Members present: us and those whose card is not marked left. */
	refreshAlone() {
		const others = [...this.cards.values()].filter((c) => c.state !== 'left').length;
		$('room-alone').hidden = others > 0;
		$('presence-count').textContent = `${others + 1} in this room`;
	}
}

/* One other peer: its state, files both ways, and the text line. */
export class PeerCard {
	constructor(tpl, id, name, h) {
		this.id = id;
		this.name = name;
		this.h = h;
		this.state = 'connecting';
		this.presence = null;
		const el = tpl.content.firstElementChild.cloneNode(true);
		this.el = el;
		el.dataset.peer = id;
		const label = peerLabel(id, name);
		const q = (sel) => el.querySelector(sel);
		const hid = `peer-${id}`;
		q('.peer-name').id = `${hid}-name`;
		q('.peer-name').textContent = label;
		el.setAttribute('aria-labelledby', `${hid}-name`);
		q('.peer-id').textContent = id;
		q('.drop-hint').textContent = `to send them to ${label}`;
		q('ul.out').setAttribute('aria-label', `Files sent to ${label}`);
		q('ul.in').setAttribute('aria-label', `Files received from ${label}`);
		q('.log').setAttribute('aria-label', `Text with ${label}`);
		const input = q('.text-form input');
		input.id = `${hid}-line`;
		q('.text-form label').htmlFor = input.id;
		q('.text-form label').textContent = `Line to send to ${label}`;
		this.badge = q('.peer-head .badge');
		this.statusEl = q('.peer-status');
		this.errorEl = q('.peer-error');
		this.out = new FileList(q('ul.out'));
		this.in = new FileList(q('ul.in'));
		this.text = new TextLog(q('.log'), { peerTag: `${label.slice(0, 12)} ‹ ` });
		this.input = input;
		this.sendBtn = q('.text-form button[type=submit]');
		this.endBtn = q('.text-form .end');
		this.note = q('.text-note');
		this.fileInput = q('input[type=file]');
		fileTarget(el, this.fileInput, q('.choose'), (files) => this.h.files(files));
		q('.text-form').addEventListener('submit', (ev) => {
			ev.preventDefault();
			if (this.h.text(input.value)) input.value = '';
		});
		this.endBtn.addEventListener('click', () => this.h.end());
		this.setState('connecting');
	}

	setState(state, { verified = false, message = '' } = {}) {
		this.state = state;
		const [badge, line] = STATE_TEXT[state] || [state, ''];
		const text = state === 'ready' ? (verified ? 'verified' : 'connected') : badge;
		for (const b of [this.badge, this.presence && this.presence.lastChild]) {
			if (!b) continue;
			b.textContent = text;
			b.dataset.state = state === 'ready' && !verified ? 'unverified' : state;
		}
		this.status(state === 'ready' ? (verified ? 'Connected and verified: this peer holds the room key.' : 'Connected, not verified (the room has no key).') : line);
		this.el.classList.toggle('gone', state === 'left' || state === 'failed');
		if (state === 'failed') this.error(message);
		if (state === 'left' || state === 'failed') this.disable();
		/* A peer we never reached has nothing to show but the error. */
		this.el.querySelector('.peer-body').hidden = state === 'failed' && this.empty();
		if (state === 'left' && this.presence) this.presence.remove();
	}

	status(text) { this.statusEl.textContent = shownName(text); }

	empty() { return !this.out.ul.children.length && !this.in.ul.children.length && !this.text.el.children.length; }

	setPath(text) { this.el.querySelector('.peer-path').textContent = text ? ` · ${text}` : ''; }

	error(text) {
		this.errorEl.textContent = text ? shownName(text[0].toUpperCase() + text.slice(1)) : '';
		this.errorEl.hidden = !text;
	}

	/* Nothing more can be sent to this peer. */
	disable() {
		this.el.querySelector('.drop').hidden = true;
		this.textEnable(false, false);
	}

	textEnable(input, end) {
		this.input.disabled = !input;
		this.sendBtn.disabled = !input;
		this.endBtn.disabled = !end;
	}

	textNote(text) { this.note.textContent = text; }

	remove() {
		this.el.remove();
		if (this.presence) this.presence.remove();
	}
}

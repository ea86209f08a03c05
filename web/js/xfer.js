/*
 * xfer.js - rtc-xfer.v1 files (proto/TRANSFER.md §5) on an authenticated session.
 *
 * FileSender: one file at a time: `file` → accept/reject → binary chunks (≤ 64 KiB, read from
 * the File with Blob.slice + arrayBuffer, hashed with the incremental SHA-256 as they are read,
 * in a worker: hashsink.js) → `end` with the digest → verdict; after the last file `done`, then
 * wait for `bye` and close. Files of any size: nothing is held in memory but one 1 MiB block.
 * Reading is paced by the channel's buffer (high water 1 MiB, resumed on bufferedamountlow).
 *
 * FileReceiver: accepts every file with a safe name, hands the bytes to a hash sink that keeps
 * them as Blob parts (the browser may page large blobs to disk) and hashes them as they come,
 * and on `end` answers the verdict: size, checksum or ok. A verified file becomes a download
 * link; one that failed is dropped.
 */
import { newSink } from './hashsink.js';
import { build, nameProblem, REJECTS, VERDICTS } from './wire.js';
import { HIGH_WATER } from './channel.js';

const READ_BLOCK = 1024 * 1024;      /* one Blob read, sent as 64 KiB messages */
const BYE_WAIT_MS = 5000;            /* receiver: wait this long for the sender to close */
/* A page keeps what it receives (a Blob, hashed as it comes) until the user saves it: it
 * cannot stream to disk as rtcpeer does. So it takes at most this much, per file and in all
 * (the page's lifetime: a room makes a receiver per batch, so the count is the module's), and
 * answers a larger offer with reject `refused` (TRANSFER.md §11). A file that fails gives its
 * share back. */
export const PAGE_FILE_MAX = 2 * 1024 * 1024 * 1024;
export const PAGE_KEPT_MAX = 4 * 1024 * 1024 * 1024;
let pageAccepted = 0;

/* Bytes over time: rate averaged over the last few seconds, and an estimate of what is left. */
export class Meter {
	constructor(total) {
		this.total = total;
		this.t0 = performance.now();
		this.samples = [[this.t0, 0]];
		this.bytes = 0;
	}

	update(bytes) {
		this.bytes = bytes;
		const now = performance.now();
		const last = this.samples[this.samples.length - 1];
		if (now - last[0] >= 250) this.samples.push([now, bytes]);
		while (this.samples.length > 2 && now - this.samples[0][0] > 3000) this.samples.shift();
	}

	rate() {
		const now = performance.now(), first = this.samples[0];
		const dt = (now - first[0]) / 1000;
		return dt > 0.2 ? (this.bytes - first[1]) / dt : 0;
	}

	snapshot() {
		const rate = this.rate();
		const left = this.total - this.bytes;
		return { bytes: this.bytes, total: this.total, rate, eta: rate > 0 ? left / rate : null,
			elapsed: (performance.now() - this.t0) / 1000 };
	}
}

/* ---------------------------------------------------------------- sending */

export class FileSender {
	constructor(session) {
		this.s = session;
		this.queue = [];
		this.results = [];
		this.running = false;
		this.wanted = false;      /* the user asked to send (files may be picked earlier) */
		this.reply = null;        /* resolver for the awaited accept/reject/verdict/bye */
		this.batchWaiters = [];
		this.closed = false;      /* done sent (or the channel ended): add() refuses */
	}

	/*
	 * Queues files; names the receiver would refuse are reported here and never offered.
	 * checkNames false offers them anyway: only for tests that play a hostile sender, to see
	 * the receiver refuse them (TRANSFER.md §8). False once `done` is out: the batch is over.
	 */
	add(files, { checkNames = true } = {}) {
		if (this.closed) return false;
		for (const f of files) {
			const problem = checkNames ? nameProblem(f.name) : null;
			if (problem) {
				const r = { name: f.name, size: f.size, ok: false, reason: 'bad-name', message: `not sent: ${problem}` };
				this.results.push(r);
				this.s.emit('file-skipped', r);
				continue;
			}
			this.queue.push(f);
			this.s.emit('file-queued', { name: f.name, size: f.size });
		}
		return true;
	}

	/* Start sending once both the session is ready and the user asked for it. */
	go() {
		this.wanted = true;
		this.maybeRun();
	}

	start() { this.maybeRun(); }

	/* Resolves with the results when the batch is over (bye received, or the session ended). */
	whenDone() {
		return new Promise((resolve) => this.batchWaiters.push(resolve));
	}

	maybeRun() {
		if (!this.wanted || this.running || !this.s.authenticated || this.s.finished) return;
		this.running = true;
		this.s.setPhase('sending');
		this.run().catch((e) => {
			if (!this.s.finished) this.s.abort(`the sender failed: ${e.message}`, 'io');
		});
	}

	wait() {
		return new Promise((resolve) => { this.reply = resolve; });
	}

	onControl(m) {
		const r = this.reply;
		this.reply = null;
		if (m.type === 'bye') this.gotBye = true;
		if (r) r(m);
	}

	onBinary() { /* the order check refuses data from the receiver before we get here */ }

	async run() {
		const s = this.s;
		while (this.queue.length && !s.finished) {
			const f = this.queue.shift();
			const id = s.seq.nextId;
			s.sendControl(build.file(id, f.name, f.size));
			s.emit('file-offered', { id, name: f.name, size: f.size });
			const a = await this.wait();
			if (s.finished) break;
			if (a.type === 'reject') {
				const r = { id, name: f.name, size: f.size, ok: false, reason: a.reason, message: `refused by the receiver: ${REJECTS[a.reason]}` };
				this.results.push(r);
				s.emit('file-sent', r);
				continue;
			}
			const { digest, sent } = await this.stream(f, id);
			if (s.finished) break;
			s.sendControl(build.end(id, digest));
			const v = await this.wait();
			if (s.finished) break;
			const r = { id, name: f.name, size: f.size, bytes: sent, sha256: digest, ok: v.ok, reason: v.reason || null,
				message: v.ok ? 'delivered and verified' : `did not arrive intact: ${VERDICTS[v.reason]}` };
			this.results.push(r);
			s.emit('file-sent', r);
		}
		this.closed = true;
		if (s.finished) return this.settle();
		s.sendControl(build.done());
		s.setPhase('finishing');
		await this.wait(); /* bye: the order check lets nothing else through */
		if (s.finished) return this.settle();
		s.expectClose = true;
		s.finish(true); /* the sender closes (TRANSFER.md §5.5) */
		this.settle();
	}

	settle() {
		const w = this.batchWaiters;
		this.batchWaiters = [];
		for (const resolve of w) resolve(this.results);
	}

	async stream(f, id) {
		const s = this.s, size = f.size, sink = newSink(), chunk = s.chunkSize();
		const meter = new Meter(size);
		let sent = 0, lastEmit = 0;
		s.emit('file-progress', { id, name: f.name, dir: 'send', ...meter.snapshot() });
		while (sent < size && !s.finished) {
			let block;
			try {
				block = new Uint8Array(await f.slice(sent, Math.min(size, sent + READ_BLOCK)).arrayBuffer());
			} catch (e) {
				s.abort('the sender could not read the file', 'io');
				throw new Error(`${f.name}: ${e.message}`);
			}
			if (s.finished) break;
			if (block.length === 0) break; /* shrank under us: end early, the verdict says "size" */
			for (let off = 0; off < block.length && !s.finished; off += chunk) {
				if (s.buffered() > HIGH_WATER) await s.drained();
				if (s.finished) break;
				s.sendBinary(block.subarray(off, Math.min(block.length, off + chunk))); /* copies */
			}
			if (s.finished) break;
			sent += block.length;
			sink.update(block.buffer); /* hashed what was sent; the buffer moves to the worker */
			/* What has left the buffer is what the peer is getting. */
			meter.update(Math.max(0, sent - s.buffered()));
			const now = performance.now();
			if (now - lastEmit > 200) {
				lastEmit = now;
				s.emit('file-progress', { id, name: f.name, dir: 'send', ...meter.snapshot() });
			}
		}
		if (s.finished) { sink.drop(); return { digest: null, sent }; }
		const { digest } = await sink.finish();
		meter.update(sent);
		s.emit('file-progress', { id, name: f.name, dir: 'send', ...meter.snapshot(), complete: true });
		return { digest, sent };
	}

	stop() { this.closed = true; this.settle(); if (this.reply) { const r = this.reply; this.reply = null; r({ type: 'stopped' }); } }
}

/* ---------------------------------------------------------------- receiving */

export class FileReceiver {
	constructor(session) {
		this.s = session;
		this.cur = null;
		this.received = [];
	}

	start() { this.s.setPhase('receiving'); }

	onControl(m) {
		const s = this.s;
		switch (m.type) {
		case 'file': {
			const problem = nameProblem(m.name);
			if (problem) {
				s.sendControl(build.reject(m.id, 'bad-name'));
				s.emit('file-rejected', { id: m.id, name: m.name, size: m.size, reason: 'bad-name', message: problem });
				return;
			}
			if (m.size > PAGE_FILE_MAX || pageAccepted + m.size > PAGE_KEPT_MAX) {
				const limit = m.size > PAGE_FILE_MAX ? `${PAGE_FILE_MAX / 2 ** 30} GiB a file`
					: `${PAGE_KEPT_MAX / 2 ** 30} GiB in all`;
				s.sendControl(build.reject(m.id, 'refused'));
				s.emit('file-rejected', { id: m.id, name: m.name, size: m.size, reason: 'refused',
					message: `larger than this page keeps in memory (${limit}); use rtcpeer recv` });
				return;
			}
			pageAccepted += m.size;
			this.cur = { id: m.id, name: m.name, size: m.size, sink: newSink({ keep: true }), bytes: 0,
				meter: new Meter(m.size), lastEmit: 0 };
			s.sendControl(build.accept(m.id));
			s.emit('file-incoming', { id: m.id, name: m.name, size: m.size });
			s.emit('file-progress', { id: m.id, name: m.name, dir: 'recv', ...this.cur.meter.snapshot() });
			return;
		}
		case 'end': return this.onEnd(m);
		case 'done':
			s.sendControl(build.bye());
			s.expectClose = true; /* the sender closes when it reads our bye */
			s.setPhase('finishing');
			this.byeTimer = setTimeout(() => s.finish(true), BYE_WAIT_MS);
			return;
		default:
			return;
		}
	}

	onBinary(buf) {
		const c = this.cur;
		c.bytes += buf.byteLength;
		c.sink.update(buf); /* ours alone (the event's buffer): moved, not copied */
		c.meter.update(c.bytes);
		const now = performance.now();
		if (now - c.lastEmit > 200) {
			c.lastEmit = now;
			this.s.emit('file-progress', { id: c.id, name: c.name, dir: 'recv', ...c.meter.snapshot() });
		}
	}

	/* Async: the session handles the next message only after the verdict is out. */
	async onEnd(m) {
		const s = this.s, c = this.cur;
		this.cur = null;
		let digest, blob;
		try {
			({ digest, blob } = await c.sink.finish());
		} catch (e) {
			pageAccepted -= c.size;
			s.sendControl(build.verdict(c.id, 'io-error'));
			s.emit('file-failed', { id: c.id, name: c.name, size: c.size, bytes: c.bytes, reason: 'io-error', message: `${c.name} not kept: ${e.message}` });
			return;
		}
		if (s.finished) { pageAccepted -= c.size; return; }
		c.meter.update(c.bytes);
		s.emit('file-progress', { id: c.id, name: c.name, dir: 'recv', ...c.meter.snapshot(), complete: true });
		let reason = null;
		if (c.bytes !== c.size) reason = 'size';
		else if (digest !== m.sha256) reason = 'checksum';
		if (reason) {
			pageAccepted -= c.size;
			s.sendControl(build.verdict(c.id, reason));
			s.emit('file-failed', { id: c.id, name: c.name, size: c.size, bytes: c.bytes, reason, message: `${c.name} not kept: ${VERDICTS[reason]}` });
			return;
		}
		const url = URL.createObjectURL(blob);
		const r = { id: c.id, name: c.name, size: c.size, sha256: digest, url, blob, seconds: c.meter.snapshot().elapsed };
		this.received.push(r);
		s.sendControl(build.verdict(c.id, null));
		s.emit('file-received', r);
	}

	stop() {
		clearTimeout(this.byeTimer);
		if (this.cur) { /* an unfinished file is never offered */
			pageAccepted -= this.cur.size;
			this.cur.sink.drop();
		}
		this.cur = null;
	}
}

/*
 * pipe.js - rtc-pipe.v1 (proto/TRANSFER.md §9) as a text line channel, for `rtcpeer pipe CODE`.
 *
 * Both directions are independent byte streams of binary messages (≤ 64 KiB each). What we
 * type goes out as UTF-8 text lines; what arrives is decoded as UTF-8 (a character split
 * across messages is kept for the next one) and shown line by line. `{"type":"eof"}` ends one
 * direction; once both ended and everything received is shown, each side sends
 * `{"type":"bye"}`, and the session ends after both byes.
 */
import { build, PEER } from './wire.js';
import { HIGH_WATER } from './channel.js';

const LINE_MAX = 64 * 1024; /* characters of one unfinished received line (take) */

export class Pipe {
	constructor(session) {
		this.s = session;
		this.out = [];            /* Uint8Arrays waiting for room in the channel */
		this.pumping = false;
		this.eofWanted = false;
		this.sentEof = false;
		this.sentBye = false;
		this.gotBye = false;
		this.decoder = new TextDecoder('utf-8');
		this.partial = '';        /* received text after the last newline */
		this.bytesIn = 0;
		this.bytesOut = 0;
	}

	start() {
		this.s.setPhase('piping');
		this.pump();
	}

	get peerEof() { return this.s.seq.eof[PEER]; }

	/* Queues text (sent as UTF-8 bytes, exactly as given). Returns false after our eof. */
	send(text) {
		if (this.eofWanted || this.s.finished) return false;
		const bytes = new TextEncoder().encode(text);
		if (bytes.length === 0) return true;
		this.out.push(bytes);
		this.s.emit('text-sent', { text, bytes: bytes.length });
		this.pump();
		return true;
	}

	/* Ends our direction once everything queued has been handed to the channel. */
	end() {
		if (this.eofWanted) return;
		this.eofWanted = true;
		this.pump();
	}

	async pump() {
		if (this.pumping || !this.s.authenticated || this.s.finished) return;
		this.pumping = true;
		try {
			const chunk = this.s.chunkSize();
			while (this.out.length && !this.s.finished) {
				if (this.s.buffered() > HIGH_WATER) await this.s.drained();
				if (this.s.finished) return;
				const head = this.out[0];
				const piece = head.subarray(0, chunk);
				this.s.sendBinary(piece);
				this.bytesOut += piece.length;
				if (piece.length === head.length) this.out.shift();
				else this.out[0] = head.subarray(chunk);
			}
			if (this.eofWanted && !this.sentEof && !this.s.finished) {
				this.sentEof = true;
				this.s.sendControl(build.eof());
				this.s.emit('eof-sent', { bytes: this.bytesOut });
				this.maybeBye();
			}
		} finally {
			this.pumping = false;
		}
	}

	onBinary(buf) {
		this.bytesIn += buf.byteLength;
		this.take(this.decoder.decode(buf, { stream: true }));
	}

	/* A peer that never sends a newline must not make each chunk rescan an ever longer
	 * line: past LINE_MAX characters the unfinished line goes out as it is (partial). */
	take(text) {
		if (!text) return;
		this.s.emit('text-chunk', { text });
		const lines = (this.partial + text).split('\n');
		this.partial = lines.pop();
		for (const line of lines) this.s.emit('text-received', { text: line });
		if (this.partial.length > LINE_MAX) {
			this.s.emit('text-received', { text: this.partial, partial: true });
			this.partial = '';
		}
	}

	onControl(m) {
		if (m.type === 'eof') {
			this.take(this.decoder.decode());
			if (this.partial) {
				this.s.emit('text-received', { text: this.partial, partial: true });
				this.partial = '';
			}
			this.s.emit('eof-received', { bytes: this.bytesIn });
			this.maybeBye();
		} else if (m.type === 'bye') {
			this.gotBye = true;
			if (this.sentBye) this.s.finish(true);
		}
	}

	/* Our bye: both directions ended, and everything the peer sent has been shown. */
	maybeBye() {
		if (!this.sentEof || !this.peerEof || this.sentBye || this.s.finished) return;
		this.sentBye = true;
		this.s.sendControl(build.bye());
		this.s.expectClose = true; /* from now on the peer may close first */
		if (this.gotBye) this.s.finish(true);
	}

	stop() {}
}

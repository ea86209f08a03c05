/*
 * nfq_delay - a constant-delay, random-loss link emulator on NFQUEUE, for kernels without netem.
 *
 *   iptables -A FORWARD -j NFQUEUE --queue-num 0 --queue-bypass
 *   nfq_delay -q 0 -d 20 -l 1          # every forwarded packet: +20 ms, 1 % dropped
 *
 * Each packet the kernel queues is either dropped at once (with probability -l percent) or
 * its verdict is held for -d milliseconds and then given as ACCEPT. The delay is constant, so
 * the held packets form a FIFO: a ring of (packet id, due time), released from a timerfd armed
 * for the head's due time. Released packets get one batch verdict (NFQNL_MSG_VERDICT_BATCH:
 * every id up to the last due one), which is valid because the kernel numbers a queue's
 * packets in the order it delivers them and every lower id still queued is due as well.
 * Only metadata is copied to user space (NFQNL_COPY_META) and GSO packets are queued whole
 * (NFQA_CFG_F_GSO), so 100 Mbit/s costs next to no CPU.
 *
 * The ring is bounded (-c packets; the kernel's queue gets the same length): a packet that
 * arrives when it is full is dropped, as a router's full buffer would. Rate limiting is not
 * done here; put a tbf qdisc on the egress interfaces for that.
 *
 * SIGTERM/SIGINT/SIGHUP: the held packets are released (ACCEPT), the queue is unbound, and
 * the counters are printed on stderr; exit status 0. Needs CAP_NET_ADMIN in the namespace.
 *
 * Build: cc -std=c11 -O2 -Wall -Wextra -Werror -o nfq_delay nfq_delay.c \
 *            $(pkg-config --cflags --libs libnetfilter_queue)
 */
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE
#endif
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <libnetfilter_queue/libnetfilter_queue.h>

#define DEFAULT_CAPACITY 65536u
#define MAX_CAPACITY     (1u << 22)
#define RCVBUF_BYTES     (16u * 1024 * 1024)
#define RECV_BUDGET      512 /* netlink messages read per wakeup before timers get a look */

struct held {
	uint32_t id;
	int64_t due_ns;
};

struct ring {
	struct held *slot;
	uint32_t cap, head, len;
};

struct stats {
	uint64_t seen, accepted, lost, overflow, enobufs, verdict_errors, batches;
	uint64_t late_1ms, late_10ms; /* released more than 1 / 10 ms after their due time */
	uint32_t max_depth;
	int64_t max_late_ns;
};

struct delayer {
	struct nfq_q_handle *qh;
	struct ring ring;
	struct stats st;
	int64_t delay_ns;
	double loss;     /* probability 0..1 */
	uint64_t rng;    /* splitmix64 state */
};

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static uint64_t splitmix64(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15u);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

/* Uniform in [0, 1) with 53 bits. */
static double uniform(uint64_t *s)
{
	return (double)(splitmix64(s) >> 11) * (1.0 / 9007199254740992.0);
}

static void verdict(struct delayer *d, uint32_t id, uint32_t v)
{
	if (nfq_set_verdict(d->qh, id, v, 0, NULL) < 0)
		d->st.verdict_errors++;
}

/* ACCEPT every held packet due by `now` (all of them if flush) with one batch verdict. */
static void release_due(struct delayer *d, int64_t now, int flush)
{
	struct ring *r = &d->ring;
	uint32_t last = 0, n = 0;
	while (r->len > 0) {
		const struct held *h = &r->slot[r->head];
		if (!flush && h->due_ns > now)
			break;
		if (!flush) {
			int64_t late = now - h->due_ns;
			if (late > d->st.max_late_ns)
				d->st.max_late_ns = late;
			d->st.late_1ms += late > 1000000;
			d->st.late_10ms += late > 10000000;
		}
		last = h->id;
		n++;
		r->head = (r->head + 1) % r->cap;
		r->len--;
	}
	if (n == 0)
		return;
	if (nfq_set_verdict_batch(d->qh, last, NF_ACCEPT) < 0)
		d->st.verdict_errors++;
	d->st.accepted += n;
	d->st.batches++;
}

static int on_packet(struct nfq_q_handle *qh, struct nfgenmsg *msg, struct nfq_data *nfa,
		     void *arg)
{
	struct delayer *d = arg;
	(void)qh;
	(void)msg;
	struct nfqnl_msg_packet_hdr *ph = nfq_get_msg_packet_hdr(nfa);
	if (!ph)
		return 0;
	uint32_t id = ntohl(ph->packet_id);
	d->st.seen++;
	if (d->loss > 0 && uniform(&d->rng) < d->loss) {
		d->st.lost++;
		verdict(d, id, NF_DROP);
		return 0;
	}
	struct ring *r = &d->ring;
	if (r->len == r->cap) {
		d->st.overflow++;
		verdict(d, id, NF_DROP);
		return 0;
	}
	if (d->delay_ns == 0 && r->len == 0) {
		d->st.accepted++;
		verdict(d, id, NF_ACCEPT);
		return 0;
	}
	r->slot[(r->head + r->len) % r->cap] = (struct held){ id, now_ns() + d->delay_ns };
	r->len++;
	if (r->len > d->st.max_depth)
		d->st.max_depth = r->len;
	return 0;
}

/* Arm the timer for the ring's head (disarm when empty); no syscall when nothing changed. */
static int arm(int tfd, const struct ring *r, int64_t *armed_for)
{
	int64_t due = r->len ? r->slot[r->head].due_ns : 0;
	if (due == *armed_for)
		return 0;
	struct itimerspec its;
	memset(&its, 0, sizeof(its));
	if (due) {
		its.it_value.tv_sec = (time_t)(due / 1000000000);
		its.it_value.tv_nsec = (long)(due % 1000000000);
	}
	if (timerfd_settime(tfd, TFD_TIMER_ABSTIME, &its, NULL) < 0)
		return -1;
	*armed_for = due;
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: nfq_delay [-q QUEUE] [-d DELAY_MS] [-l LOSS_PERCENT] [-c CAPACITY] [-s SEED]\n"
		"Hold each packet of NFQUEUE QUEUE for DELAY_MS (constant delay, FIFO) and drop\n"
		"LOSS_PERCENT of them at random. Stops cleanly on SIGTERM/SIGINT.\n"
		"  -q QUEUE         queue number (default 0)\n"
		"  -d DELAY_MS      delay in milliseconds, may be fractional, 0..60000 (default 0)\n"
		"  -l LOSS_PERCENT  random loss in percent, 0..100, may be fractional (default 0)\n"
		"  -c CAPACITY      packets held at most; more are dropped (default %u)\n"
		"  -s SEED          seed of the loss generator (default: time and pid)\n",
		DEFAULT_CAPACITY);
}

static int parse_double(const char *s, double lo, double hi, double *out)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || *end || !(v >= lo && v <= hi))
		return -1;
	*out = v;
	return 0;
}

static int parse_ulong(const char *s, unsigned long lo, unsigned long hi, unsigned long *out)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 0);
	if (errno || end == s || *end || *s == '-' || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

int main(int argc, char **argv)
{
	unsigned long queue = 0, cap = DEFAULT_CAPACITY, seed = 0;
	double delay_ms = 0, loss_pct = 0;
	int have_seed = 0, c;
	while ((c = getopt(argc, argv, "q:d:l:c:s:h")) != -1) {
		switch (c) {
		case 'q':
			if (parse_ulong(optarg, 0, 65535, &queue) < 0)
				goto bad;
			break;
		case 'd':
			if (parse_double(optarg, 0, 60000, &delay_ms) < 0)
				goto bad;
			break;
		case 'l':
			if (parse_double(optarg, 0, 100, &loss_pct) < 0)
				goto bad;
			break;
		case 'c':
			if (parse_ulong(optarg, 1, MAX_CAPACITY, &cap) < 0)
				goto bad;
			break;
		case 's':
			if (parse_ulong(optarg, 0, ULONG_MAX, &seed) < 0)
				goto bad;
			have_seed = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}

	struct delayer d;
	memset(&d, 0, sizeof(d));
	d.delay_ns = (int64_t)(delay_ms * 1e6 + 0.5);
	d.loss = loss_pct / 100.0;
	d.rng = have_seed ? (uint64_t)seed : ((uint64_t)now_ns() ^ ((uint64_t)getpid() << 32));
	d.ring.cap = (uint32_t)cap;
	d.ring.slot = calloc(cap, sizeof(*d.ring.slot));
	if (!d.ring.slot) {
		fprintf(stderr, "nfq_delay: out of memory for %lu slots\n", cap);
		return 1;
	}

	/* Signals arrive on a descriptor, so the loop below is the only place that acts. */
	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0) {
		perror("nfq_delay: sigprocmask");
		return 1;
	}
	int sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (sfd < 0 || tfd < 0) {
		perror("nfq_delay: signalfd/timerfd");
		return 1;
	}

	struct nfq_handle *h = nfq_open();
	if (!h) {
		perror("nfq_delay: nfq_open (needs CAP_NET_ADMIN)");
		return 1;
	}
	d.qh = nfq_create_queue(h, (uint16_t)queue, on_packet, &d);
	if (!d.qh) {
		fprintf(stderr, "nfq_delay: cannot bind queue %lu (in use by another program?)\n",
			queue);
		nfq_close(h);
		return 1;
	}
	int rc = 1;
	if (nfq_set_mode(d.qh, NFQNL_COPY_META, 0) < 0) {
		perror("nfq_delay: nfq_set_mode(COPY_META)");
		goto out;
	}
	if (nfq_set_queue_maxlen(d.qh, (uint32_t)cap) < 0)
		perror("nfq_delay: nfq_set_queue_maxlen (continuing with the kernel's 1024)");
	if (nfq_set_queue_flags(d.qh, NFQA_CFG_F_GSO, NFQA_CFG_F_GSO) < 0)
		perror("nfq_delay: NFQA_CFG_F_GSO (continuing; GSO packets get segmented)");
	int fd = nfq_fd(h);
	/* Room for bursts: each queued packet is one small netlink message. */
	nfnl_rcvbufsiz(nfq_nfnlh(h), RCVBUF_BYTES);
	int one = 1;
	setsockopt(fd, SOL_NETLINK, NETLINK_NO_ENOBUFS, &one, sizeof(one));

	fprintf(stderr, "nfq_delay: queue %lu, delay %.3f ms, loss %.3f %%, capacity %lu\n", queue,
		delay_ms, loss_pct, cap);

	static _Alignas(8) char buf[65536];
	int64_t armed_for = 0;
	struct pollfd pfd[3] = {
		{ .fd = fd, .events = POLLIN },
		{ .fd = tfd, .events = POLLIN },
		{ .fd = sfd, .events = POLLIN },
	};
	for (;;) {
		if (poll(pfd, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			perror("nfq_delay: poll");
			goto out;
		}
		if (pfd[2].revents) {
			struct signalfd_siginfo si;
			if (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
				fprintf(stderr, "nfq_delay: signal %u, stopping\n", si.ssi_signo);
				rc = 0;
				break;
			}
		}
		if (pfd[1].revents) {
			uint64_t ticks;
			if (read(tfd, &ticks, sizeof(ticks)) < 0 && errno != EAGAIN)
				perror("nfq_delay: timerfd read");
		}
		if (pfd[0].revents & (POLLERR | POLLNVAL)) {
			fprintf(stderr, "nfq_delay: netlink socket error\n");
			goto out;
		}
		if (pfd[0].revents & POLLIN) {
			for (int i = 0; i < RECV_BUDGET; i++) {
				ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
				if (n < 0) {
					if (errno == ENOBUFS) { /* the kernel dropped some: counted */
						d.st.enobufs++;
						continue;
					}
					if (errno == EINTR)
						continue;
					if (errno != EAGAIN && errno != EWOULDBLOCK) {
						perror("nfq_delay: recv");
						goto out;
					}
					break;
				}
				nfq_handle_packet(h, buf, (int)n);
			}
		}
		release_due(&d, now_ns(), 0);
		if (arm(tfd, &d.ring, &armed_for) < 0) {
			perror("nfq_delay: timerfd_settime");
			goto out;
		}
	}

out:
	release_due(&d, 0, 1); /* nothing stays held: the kernel would drop it on unbind */
	fprintf(stderr,
		"nfq_delay: seen %" PRIu64 " accepted %" PRIu64 " lost %" PRIu64 " (%.3f %%)"
		" overflow %" PRIu64 " enobufs %" PRIu64 " verdict_errors %" PRIu64
		" batches %" PRIu64 " max_depth %" PRIu32 " late>1ms %" PRIu64 " late>10ms %" PRIu64
		" max_late_us %.1f\n",
		d.st.seen, d.st.accepted, d.st.lost,
		d.st.seen ? 100.0 * (double)d.st.lost / (double)d.st.seen : 0.0, d.st.overflow,
		d.st.enobufs, d.st.verdict_errors, d.st.batches, d.st.max_depth, d.st.late_1ms,
		d.st.late_10ms,
		(double)d.st.max_late_ns / 1e3);
	nfq_destroy_queue(d.qh);
	nfq_close(h);
	close(tfd);
	close(sfd);
	free(d.ring.slot);
	return rc;

bad:
	fprintf(stderr, "nfq_delay: bad value for -%c: %s\n", c, optarg);
	usage(stderr);
	return 2;
}

/* stats.c: what the commands count, for --stats, --progress and -v. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>

#include "msg.h"
#include "proc.h"
#include "sock.h"
#include "stats.h"

#define PEERSET_MAX	65536	/* distinct senders counted exactly */

struct peerset {
	uint64_t	slot[PEERSET_MAX * 2];
	uint64_t	n;
	int		full;
	/* The last sender's address as received: a flood has one sender. */
	unsigned char	last[sizeof(struct sockaddr_in6)];
	int		have_last;
};

/* A 64-bit key for a sender: its address and port, IPv4-mapped as IPv4. */
static uint64_t
peer_key(const struct sockaddr *sa)
{
	unsigned char b[18];
	uint64_t h = 14695981039346656037ULL;
	size_t i;

	memset(b, 0, sizeof(b));
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;

		memcpy(b + 12, &s4->sin_addr, 4);
		memcpy(b + 16, &s4->sin_port, 2);
		b[10] = b[11] = 0xff;
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;

		memcpy(b, &s6->sin6_addr, 16);
		memcpy(b + 16, &s6->sin6_port, 2);
	}
	for (i = 0; i < sizeof(b); i++)
		h = (h ^ b[i]) * 1099511628211ULL;
	return h == 0 ? 1 : h;
}

int
stats_init(struct stats *st, int enabled, int progress)
{
	memset(st, 0, sizeof(*st));
	st->start_us = now_us();
	st->enabled = enabled;
	st->progress = progress;
	st->drops_fd = -1;
	if (enabled && (st->peers = calloc(1, sizeof(*st->peers))) == NULL)
		return -1;
	return 0;
}

void
stats_peer(struct stats *st, const struct sockaddr *sa)
{
	struct peerset *ps = st->peers;
	uint64_t k;
	size_t i, mask = PEERSET_MAX * 2 - 1;

	if (ps == NULL || ps->full)
		return;
	/* sa is a receive slot's sockaddr_storage: these bytes are there. */
	if (ps->have_last && memcmp(ps->last, sa, sizeof(ps->last)) == 0)
		return;
	memcpy(ps->last, sa, sizeof(ps->last));
	ps->have_last = 1;
	k = peer_key(sa);
	for (i = k & mask; ps->slot[i] != 0; i = (i + 1) & mask)
		if (ps->slot[i] == k)
			return;
	ps->slot[i] = k;
	if (++ps->n == PEERSET_MAX)
		ps->full = 1;
}

/* The kernel's drop count for the receiving socket: "12", "12+", "?". */
static void
stats_drops(const struct stats *st, char *buf, size_t size)
{
	uint32_t drops;

	if (st->drops_fd < 0 || sock_drops(st->drops_fd, &drops) == -1)
		snprintf(buf, size, "unknown");
	else
		snprintf(buf, size, "%u%s", (unsigned)drops,
		    st->drops_floor != NULL && *st->drops_floor && drops > 0 ?
		    "+" : "");
}

void
stats_progress(struct stats *st, int force)
{
	char drops[32];
	uint64_t t;

	if (!st->progress)
		return;
	t = now_ms();
	if (!force && t - st->last_draw_ms < 100)
		return;
	st->last_draw_ms = t;
	if (st->drops_fd < 0) {
		fprintf(stderr, "\rudpcat: %s: %llu datagrams sent, %llu bytes,"
		    " %llu replies ", cmd_name, (unsigned long long)st->dgrams,
		    (unsigned long long)st->bytes,
		    (unsigned long long)st->replies);
		return;
	}
	stats_drops(st, drops, sizeof(drops));
	fprintf(stderr, "\rudpcat: %s: %llu datagrams, %llu bytes, %s dropped ",
	    cmd_name, (unsigned long long)st->dgrams,
	    (unsigned long long)st->bytes, drops);
}

void
stats_print(struct stats *st, int sending)
{
	double secs = (double)(now_us() - st->start_us) / 1e6;
	double rate = secs > 0 ? (double)st->dgrams / secs : 0.0;
	char drops[32], peers[32];

	if (st->progress) {
		stats_progress(st, 1);
		fputc('\n', stderr);
	}
	if (!st->enabled)
		return;
	if (sending) {
		note("%llu datagrams sent, %llu bytes, %llu replies, %.6f s, "
		    "%.2f datagrams/s", (unsigned long long)st->dgrams,
		    (unsigned long long)st->bytes,
		    (unsigned long long)st->replies, secs, rate);
		return;
	}
	stats_drops(st, drops, sizeof(drops));
	if (st->peers == NULL)
		snprintf(peers, sizeof(peers), "unknown");
	else
		snprintf(peers, sizeof(peers), "%llu%s",
		    (unsigned long long)st->peers->n, st->peers->full ? "+" : "");
	note("%llu datagrams, %llu bytes, %s senders, %llu truncated, "
	    "%llu filtered, %s dropped, %.6f s, %.2f datagrams/s",
	    (unsigned long long)st->dgrams, (unsigned long long)st->bytes,
	    peers, (unsigned long long)st->truncated,
	    (unsigned long long)st->filtered, drops, secs, rate);
}

void
stats_free(struct stats *st)
{
	free(st->peers);
	st->peers = NULL;
}

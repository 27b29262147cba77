/* test_relay.c: the relay's client table: lookup, LRU eviction, tags. */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "relay.h"

static struct endpoint service;
static struct rxbatch rx;

/* A client address: 127.0.0.1 or ::ffff:127.0.0.1 (mapped), port. */
static socklen_t
client(struct sockaddr_storage *ss, unsigned port, int mapped)
{
	memset(ss, 0, sizeof(*ss));
	if (mapped) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		inet_pton(AF_INET6, "::ffff:127.0.0.1", &s6->sin6_addr);
		return sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		s4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		return sizeof(*s4);
	}
}

/* The sockets this process holds, from /proc/self/fd. */
static int
sockets(void)
{
	char path[300], link[64];
	struct dirent *e;
	DIR *d;
	ssize_t n;
	int count = 0;

	assert_non_null(d = opendir("/proc/self/fd"));
	while ((e = readdir(d)) != NULL) {
		snprintf(path, sizeof(path), "/proc/self/fd/%s", e->d_name);
		if ((n = readlink(path, link, sizeof(link) - 1)) > 0) {
			link[n] = '\0';
			count += strncmp(link, "socket:", 7) == 0;
		}
	}
	closedir(d);
	return count;
}

static struct mapping *
open_client(struct relay_table *t, unsigned port, uint64_t now)
{
	struct sockaddr_storage ss;
	socklen_t len = client(&ss, port, 0);
	struct mapping *m;

	m = relay_open(t, (struct sockaddr *)&ss, len, &service, now, &rx);
	assert_non_null(m);
	return m;
}

static struct mapping *
find(struct relay_table *t, unsigned port, int mapped)
{
	struct sockaddr_storage ss;
	socklen_t len = client(&ss, port, mapped);

	return relay_find(t, (struct sockaddr *)&ss, len);
}

static int
setup(void **state)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)&service.ss;

	(void)state;
	memset(&service, 0, sizeof(service));
	s4->sin_family = AF_INET;
	s4->sin_port = htons(9);	/* discard: connect needs no one */
	s4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	service.len = sizeof(*s4);
	memset(&rx, 0, sizeof(rx));
	return 0;
}

/* Each client its own connected socket; found again by its address. */
static void
test_find(void **state)
{
	struct relay_table t;
	struct mapping *a, *b;

	(void)state;
	assert_int_equal(relay_init(&t, 16), 0);
	a = open_client(&t, 1000, 1);
	b = open_client(&t, 1001, 2);
	assert_true(a != b && a->up.fd >= 0 && b->up.fd >= 0 &&
	    a->up.fd != b->up.fd);
	assert_ptr_equal(find(&t, 1000, 0), a);
	assert_ptr_equal(find(&t, 1001, 0), b);
	/* A dual-stack socket's view of the same client. */
	assert_ptr_equal(find(&t, 1000, 1), a);
	assert_null(find(&t, 1002, 0));
	assert_non_null(strstr(a->up.name, "127.0.0.1:9 (client "
	    "127.0.0.1:1000)"));
	assert_int_equal(t.n, 2);
	relay_free(&t);
}

/* Full: the mapping idle longest goes, counted; touching keeps one. */
static void
test_lru(void **state)
{
	struct relay_table t;
	struct mapping *m;
	unsigned p;

	(void)state;
	assert_int_equal(relay_init(&t, 4), 0);
	for (p = 0; p < 4; p++)
		open_client(&t, 2000 + p, p);
	relay_touch(&t, find(&t, 2000, 0), 10);	/* 2001 is oldest now */
	assert_ptr_equal(relay_oldest(&t), find(&t, 2001, 0));
	open_client(&t, 2004, 11);
	assert_null(find(&t, 2001, 0));
	assert_int_equal(sockets(), 4);		/* its socket closed */
	assert_non_null(find(&t, 2000, 0));
	assert_int_equal(t.n, 4);
	assert_int_equal(t.closed_full, 1);
	assert_int_equal(t.opened, 5);
	/* Idle closing, oldest first. */
	while ((m = relay_oldest(&t)) != NULL && m->last_ns < 10)
		relay_close(&t, m, 1);
	assert_int_equal(t.closed_idle, 2);	/* 2002, 2003 */
	assert_int_equal(t.n, 2);
	/* Hash chains stay whole through closes: many in, many out. */
	for (p = 0; p < 1000; p++)
		open_client(&t, 3000 + p, 20 + p);
	for (p = 996; p < 1000; p++)
		assert_non_null(find(&t, 3000 + p, 0));
	assert_null(find(&t, 3000, 0));
	assert_int_equal(sockets(), 4);
	relay_free(&t);
	assert_int_equal(sockets(), 0);
}

/* A tag names a mapping while it lives, never its slot's next owner. */
static void
test_tags(void **state)
{
	struct relay_table t;
	struct mapping *a, *b;
	uint64_t tag;

	(void)state;
	assert_int_equal(relay_init(&t, 1), 0);
	a = open_client(&t, 4000, 1);
	tag = relay_tag(&t, a);
	assert_ptr_equal(relay_by_tag(&t, tag), a);
	b = open_client(&t, 4001, 2);	/* the same slot, reused */
	assert_ptr_equal(a, b);
	assert_null(relay_by_tag(&t, tag));
	assert_ptr_equal(relay_by_tag(&t, relay_tag(&t, b)), b);
	assert_null(relay_by_tag(&t, (uint64_t)1 << 32 | 7));
	relay_close(&t, b, 1);
	assert_null(relay_by_tag(&t, relay_tag(&t, b)));
	assert_null(relay_oldest(&t));
	relay_free(&t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_find, setup),
		cmocka_unit_test_setup(test_lru, setup),
		cmocka_unit_test_setup(test_tags, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

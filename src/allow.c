/* allow.c: the --allow prefix set: sorted arrays per prefix length, pure. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>

#include "allow.h"

void
allow_init(struct allow *set)
{
	memset(set, 0, sizeof(*set));
}

/* Copies the first len bits of src (w bytes) to dst, the rest zeroed. */
static void
mask(unsigned char *dst, const unsigned char *src, size_t w, unsigned len)
{
	size_t full = len / 8, i;
	unsigned rest = len % 8;

	for (i = 0; i < w; i++) {
		if (i < full)
			dst[i] = src[i];
		else if (i == full && rest != 0)
			dst[i] = src[i] & (unsigned char)(0xff << (8 - rest));
		else
			dst[i] = 0;
	}
}

/* The list for family and len, and its address width; NULL if invalid. */
static struct allow_list *
list_of(struct allow *set, int family, unsigned len, size_t *w)
{
	if (family == AF_INET && len <= 32) {
		*w = 4;
		return &set->v4[len];
	}
	if (family == AF_INET6 && len <= 128) {
		*w = 16;
		return &set->v6[len];
	}
	return NULL;
}

/* Grows l to hold one more address of w bytes; 0, or -1 (ENOMEM). */
static int
grow(struct allow_list *l, size_t w)
{
	unsigned char *p;
	size_t cap;

	if (l->n < l->cap)
		return 0;
	cap = l->cap == 0 ? 16 : l->cap * 2;
	if (cap < l->cap || cap > SIZE_MAX / w) {
		errno = ENOMEM;
		return -1;
	}
	if ((p = realloc(l->addr, cap * w)) == NULL)
		return -1;
	l->addr = p;
	l->cap = cap;
	return 0;
}

int
allow_add(struct allow *set, int family, const unsigned char *addr,
    unsigned len)
{
	struct allow_list *l;
	size_t w;

	if ((l = list_of(set, family, len, &w)) == NULL) {
		errno = EINVAL;
		return -1;
	}
	if (grow(l, w) == -1)
		return -1;
	if (l->n == 0 && family == AF_INET)
		set->len4[set->nlen4++] = (unsigned char)len;
	else if (l->n == 0)
		set->len6[set->nlen6++] = (unsigned char)len;
	mask(l->addr + l->n * w, addr, w, len);
	l->n++;
	l->sorted = 0;
	set->n++;
	return 0;
}

size_t
allow_count(const struct allow *set)
{
	return set->n;
}

static int
cmp4(const void *a, const void *b)
{
	return memcmp(a, b, 4);
}

static int
cmp16(const void *a, const void *b)
{
	return memcmp(a, b, 16);
}

/* Sorts l and drops its duplicates. */
static void
sort_list(struct allow_list *l, size_t w)
{
	size_t i, k;

	if (l->sorted || l->n == 0)
		return;
	qsort(l->addr, l->n, w, w == 4 ? cmp4 : cmp16);
	for (i = k = 0; i < l->n; i++)
		if (k == 0 || memcmp(l->addr + (k - 1) * w, l->addr + i * w,
		    w) != 0)
			memmove(l->addr + k++ * w, l->addr + i * w, w);
	l->n = k;
	l->sorted = 1;
}

void
allow_sort(struct allow *set)
{
	unsigned i;

	for (i = 0; i < 33; i++)
		sort_list(&set->v4[i], 4);
	for (i = 0; i < 129; i++)
		sort_list(&set->v6[i], 16);
}

/* memcmp() of 4 or 16 bytes, inline: a lookup makes dozens of them. */
static int
compare(const unsigned char *a, const unsigned char *b, size_t w)
{
	size_t i;

	for (i = 0; i < w; i++)
		if (a[i] != b[i])
			return a[i] < b[i] ? -1 : 1;
	return 0;
}

/*
 * True when the masked address key (w bytes) is in the list l: by
 * bisection once sorted, else one by one.
 */
static int
search(const struct allow_list *l, const unsigned char *key, size_t w)
{
	size_t lo = 0, hi = l->n, mid;
	int c;

	if (!l->sorted) {
		for (lo = 0; lo < l->n; lo++)
			if (memcmp(l->addr + lo * w, key, w) == 0)
				return 1;
		return 0;
	}
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = compare(l->addr + mid * w, key, w);
		if (c == 0)
			return 1;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

/* True when a (w bytes) lies in one of the lists l[len[0..nlen-1]]. */
static int
match_lists(const struct allow_list *l, const unsigned char *len,
    unsigned nlen, const unsigned char *a, size_t w)
{
	unsigned char key[16];
	unsigned i;

	for (i = 0; i < nlen; i++) {
		mask(key, a, w, len[i]);
		if (search(&l[len[i]], key, w))
			return 1;
	}
	return 0;
}

int
allow_match(const struct allow *set, int family, const unsigned char *addr)
{
	static const unsigned char mapped[12] = {
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
	};

	if (family == AF_INET6 && memcmp(addr, mapped, 12) == 0) {
		family = AF_INET;
		addr += 12;
	}
	if (family == AF_INET)
		return match_lists(set->v4, set->len4, set->nlen4, addr, 4);
	if (family == AF_INET6)
		return match_lists(set->v6, set->len6, set->nlen6, addr, 16);
	return 0;
}

int
allow_match_sa(const struct allow *set, const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return allow_match(set, AF_INET, (const unsigned char *)
		    &((const struct sockaddr_in *)(const void *)sa)->sin_addr);
	if (sa->sa_family == AF_INET6)
		return allow_match(set, AF_INET6,
		    ((const struct sockaddr_in6 *)(const void *)sa)->
		    sin6_addr.s6_addr);
	return 0;
}

void
allow_free(struct allow *set)
{
	unsigned i;

	for (i = 0; i < 33; i++)
		free(set->v4[i].addr);
	for (i = 0; i < 129; i++)
		free(set->v6[i].addr);
	allow_init(set);
}

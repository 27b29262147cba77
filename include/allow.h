/* allow.h: a set of IPv4 and IPv6 prefixes that senders are matched against. */
#ifndef ALLOW_H
#define ALLOW_H

#include <stddef.h>
#include <sys/socket.h>

/* One list of masked addresses of a single family and prefix length. */
struct allow_list {
	unsigned char	*addr;		/* n addresses of 4 or 16 bytes */
	size_t		 n;
	size_t		 cap;
	int		 sorted;
};

/*
 * The set: per family and prefix length, a sorted array searched by
 * bisection, so that a lookup costs O(L log n) for L distinct lengths,
 * whatever the number of prefixes.  A zeroed struct is an empty set.
 * Add every prefix, then allow_sort().  The members are the module's own.
 */
struct allow {
	struct allow_list v4[33];
	struct allow_list v6[129];
	unsigned char	  len4[33];	/* the lengths in use, IPv4 */
	unsigned char	  len6[129];	/* and IPv6 */
	unsigned	  nlen4, nlen6;
	size_t		  n;		/* prefixes added, duplicates too */
};

/* Makes an empty set (the same as zeroing it). */
void	allow_init(struct allow *set);

/*
 * Adds the prefix addr/len of family (AF_INET: addr holds 4 bytes, len
 * 0..32; AF_INET6: 16 bytes, 0..128).  Bits beyond len are ignored.
 * Returns 0, or -1 with errno EINVAL (bad family or length) or ENOMEM.
 */
int	allow_add(struct allow *set, int family, const unsigned char *addr,
	    unsigned len);

/* The number of prefixes added. */
size_t	allow_count(const struct allow *set);

/*
 * Sorts the set once its prefixes are added, for lookups in O(L log n).
 * Lookups are right without it, but go through an unsorted list one by
 * one.  An add after it unsorts that prefix length's list again.
 */
void	allow_sort(struct allow *set);

/*
 * True (1) when the address addr of family (4 or 16 bytes) lies in one of
 * the set's prefixes, else 0; an IPv4-mapped IPv6 address (::ffff:a.b.c.d)
 * is matched as the IPv4 address.
 */
int	allow_match(const struct allow *set, int family,
	    const unsigned char *addr);

/* allow_match() for a sender's sockaddr_in or sockaddr_in6; 0 otherwise. */
int	allow_match_sa(const struct allow *set, const struct sockaddr *sa);

/* Frees what the set holds and leaves it empty. */
void	allow_free(struct allow *set);

#endif

/* mem.h: memory made resident at once, so that use from then on stays flat. */
#ifndef MEM_H
#define MEM_H

#include <stddef.h>

/*
 * Zeroes the n bytes at p and writes to every page of them, so that they
 * are in memory now: memset() alone after malloc() is not enough, as
 * compilers turn the two into a calloc() that leaves fresh pages alone.
 */
void	mem_touch(void *p, size_t n);

#endif

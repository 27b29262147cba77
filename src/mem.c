/* mem.c: memory made resident at once, so that use from then on stays flat. */
#include <string.h>

#include "mem.h"

void
mem_touch(void *p, size_t n)
{
	volatile unsigned char	*v = p;
	size_t			 i;

	memset(p, 0, n);
	for (i = 0; i < n; i += 4096)
		v[i] = 0;
	if (n > 0)
		v[n - 1] = 0;
}

/* relay_tap.c: the relay's --tap and --json records, each with its fate. */
#include <string.h>

#include "impair.h"
#include "relay_tap.h"

void
tap_clear(struct tap *t)
{
	memset(t, 0, sizeof(*t));
	t->pr.fd = -1;
}

int
tap_init(struct tap *t, const struct relay_opts *o)
{
	if (!o->tap && !o->json)
		return 0;
	t->on = 1;
	return printer_init(&t->pr, o->enc, o->enc_set, o->framing, o->json,
	    o->tap);
}

/* The one word --json gives an impaired datagram's fates, or NULL. */
static const char *
fate_name(int f)
{
	if (f == -1 || (f & IMP_DROPPED))
		return "dropped";
	if (f & IMP_CORRUPTED)
		return "corrupted";
	if (f & IMP_DUPLICATED)
		return "duplicated";
	if (f & IMP_REORDERED)
		return "reordered";
	if (f & IMP_DELAYED)
		return "delayed";
	return NULL;
}

void
tap_show(struct tap *t, const struct dgram *d, int dir,
    const struct sockaddr *sa, socklen_t salen, int fates)
{
	struct dgram r = *d;

	if (!t->on)
		return;
	r.dir = dir == UP ? "up" : "down";
	r.fate = fate_name(fates);
	r.client = sa;
	r.clientlen = salen;
	printer_put(&t->pr, &r);
}

void
tap_free(struct tap *t)
{
	if (t->on)
		printer_free(&t->pr);
	t->on = 0;
}

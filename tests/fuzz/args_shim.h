/* args_shim.h: forced into each module of fuzz_args to keep it in-process. */
#ifndef ARGS_SHIM_H
#define ARGS_SHIM_H

/*
 * fuzz_args runs udpcat's main() inside the fuzzer, so the modules are
 * compiled with this header first (cc -include).  The system headers come
 * in here with the real names; then calls are routed to the harness:
 * exit() jumps back to it, allocations are tracked so that what a jump
 * leaves behind is freed, socket() ends the run before any socket exists
 * (nothing is ever sent or bound), name lookups stay numeric (no DNS),
 * and signal handlers are left alone.  Nothing here changes how the
 * options are parsed.
 */
#include <netdb.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>

_Noreturn void	fuzz_exit(int);
void	*fuzz_malloc(size_t);
void	*fuzz_calloc(size_t, size_t);
void	*fuzz_realloc(void *, size_t);
int	 fuzz_posix_memalign(void **, size_t, size_t);
void	 fuzz_free(void *);
int	 fuzz_socket(int, int, int);
int	 fuzz_getaddrinfo(const char *, const char *, const struct addrinfo *,
	    struct addrinfo **);
int	 fuzz_sigaction(int, const struct sigaction *, struct sigaction *);
void	(*fuzz_signal(int, void (*)(int)))(int);
int	 udpcat_main(int, char **);

/* The harness itself wants the prototypes only. */
#ifndef ARGS_SHIM_NO_MACROS
#define exit(s)			fuzz_exit(s)
#define malloc(n)		fuzz_malloc(n)
#define calloc(n, m)		fuzz_calloc(n, m)
#define realloc(p, n)		fuzz_realloc(p, n)
#define posix_memalign(p, a, n)	fuzz_posix_memalign(p, a, n)
#define free(p)			fuzz_free(p)
#define socket(d, t, p)		fuzz_socket(d, t, p)
#define getaddrinfo(h, s, i, r)	fuzz_getaddrinfo(h, s, i, r)
#define sigaction(s, a, o)	fuzz_sigaction(s, a, o)
#define signal(s, h)		fuzz_signal(s, h)
#define main			udpcat_main
#endif

#endif

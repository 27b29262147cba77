/* portfile.h: --port-file, written without following anyone's symlink. */
#ifndef PORTFILE_H
#define PORTFILE_H

/*
 * Writes port and an LF to path atomically: into a new temporary file in
 * path's directory, created with O_CREAT|O_EXCL|O_NOFOLLOW under a random
 * name (so a symlink planted there is never followed), then renamed over
 * path (which replaces a symlink at path itself, never its target).
 * Returns 0, or -1 with errno set; no temporary file is left behind.
 */
int	portfile_write(const char *path, unsigned port);

#endif

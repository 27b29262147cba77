/* replay.c: runs a fuzz harness over corpus files, without libFuzzer. */
#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"

static unsigned long	 ninputs;
static unsigned long	 nfailed;

/* Reads the whole file into an allocation of exactly its size. */
static unsigned char *
slurp(const char *path, size_t *len)
{
	unsigned char *buf = NULL, *p;
	size_t cap = 0, n = 0;
	ssize_t r;
	FILE *f;

	if ((f = fopen(path, "rb")) == NULL)
		return NULL;
	for (;;) {
		if (n == cap) {
			cap = cap ? cap * 2 : 4096;
			if ((p = realloc(buf, cap)) == NULL)
				break;
			buf = p;
		}
		if ((r = (ssize_t)fread(buf + n, 1, cap - n, f)) <= 0)
			break;
		n += (size_t)r;
	}
	fclose(f);
	/* An exact-size copy, so that a read past the end is caught. */
	if ((p = malloc(n ? n : 1)) != NULL && n > 0)
		memcpy(p, buf, n);
	free(buf);
	*len = n;
	return p;
}

/* Runs one input in a child process, so that a crash names its file. */
static void
replay_file(const char *path)
{
	unsigned char *data;
	size_t len;
	pid_t pid;
	int status;

	ninputs++;
	if ((data = slurp(path, &len)) == NULL) {
		printf("not ok - cannot read %s: %s\n", path, strerror(errno));
		nfailed++;
		return;
	}
	fflush(stdout);
	if ((pid = fork()) == -1) {
		perror("replay: fork");
		exit(1);
	}
	if (pid == 0) {
		LLVMFuzzerTestOneInput(data, len);
		free(data);
		exit(0);
	}
	free(data);
	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR) {
			perror("replay: waitpid");
			exit(1);
		}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return;
	nfailed++;
	if (WIFSIGNALED(status))
		printf("not ok - %s: killed by signal %d\n", path,
		    WTERMSIG(status));
	else
		printf("not ok - %s: exit status %d\n", path,
		    WEXITSTATUS(status));
}

/* Replays a directory's files in name order, dot files left out. */
static void
replay_dir(const char *dir)
{
	struct dirent **ents;
	char path[4096];
	int i, n;

	if ((n = scandir(dir, &ents, NULL, alphasort)) == -1) {
		printf("not ok - cannot read %s: %s\n", dir, strerror(errno));
		nfailed++;
		return;
	}
	for (i = 0; i < n; i++) {
		if (ents[i]->d_name[0] != '.' &&
		    (size_t)snprintf(path, sizeof(path), "%s/%s", dir,
		    ents[i]->d_name) < sizeof(path))
			replay_file(path);
		free(ents[i]);
	}
	free(ents);
}

int
main(int argc, char **argv)
{
	struct stat sb;
	int i;

	if (argc < 2) {
		fprintf(stderr, "usage: %s DIR|FILE ...\n", argv[0]);
		return 2;
	}
	for (i = 1; i < argc; i++) {
		if (stat(argv[i], &sb) == 0 && S_ISDIR(sb.st_mode))
			replay_dir(argv[i]);
		else
			replay_file(argv[i]);
	}
	printf("replay: %lu inputs, %lu failed\n", ninputs, nfailed);
	return nfailed > 0;
}

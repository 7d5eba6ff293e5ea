/** @file
 *
 * Run one command and record its wall time and its own peak RSS
 *
 * A child forked from a large process starts with that process's
 * resident set as its high-water mark, and the kernel folds the mark
 * into the child's ru_maxrss at exec: every command the Python runner
 * spawned directly would report at least the runner's own 25 MiB.
 * Forking the command from this small program keeps the figure the
 * command's own.
 *
 * Usage: rusage RESULT_FILE COMMAND [ARG...]
 *
 * The command inherits stdin, stdout and stderr.  RESULT_FILE receives
 * one line, "<wall ns> <peak RSS KiB> <exit status> <CPU ns>", where a
 * command killed by a signal has status 128 + the signal number and CPU
 * time is user plus system: on a busy machine it moves far less than the
 * wall time does.  Exit status is
 * 0 once that line is written, 2 on misuse or if the command could not
 * be started.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/**
 * Read the monotonic clock
 *
 * @ret ns		Nanoseconds since an arbitrary start
 */
static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/**
 * Convert a rusage time
 *
 * @v tv		Time
 * @ret ns		Nanoseconds
 */
static long long timeval_ns(const struct timeval *tv)
{
	return tv->tv_sec * 1000000000LL + tv->tv_usec * 1000LL;
}

/**
 * Run the command and write the result line
 *
 * @v argc		Argument count
 * @v argv		RESULT_FILE, then the command and its arguments
 * @ret status		0 on success, 2 on failure
 */
int main(int argc, char **argv)
{
	struct rusage usage;
	long long start;
	long long wall;
	FILE *result;
	pid_t pid;
	int wstatus;
	int status;

	if (argc < 3) {
		fprintf(stderr, "usage: rusage RESULT_FILE COMMAND [ARG...]\n");
		return 2;
	}

	start = now_ns();
	pid = fork();
	if (pid < 0) {
		perror("rusage: fork");
		return 2;
	}
	if (pid == 0) {
		execvp(argv[2], &argv[2]);
		fprintf(stderr, "rusage: %s: %s\n", argv[2], strerror(errno));
		_exit(127);
	}

	/* wait4() gives this child's usage alone, not a running total */
	while (wait4(pid, &wstatus, 0, &usage) < 0) {
		if (errno != EINTR) {
			perror("rusage: wait4");
			return 2;
		}
	}
	wall = (now_ns() - start);

	if (WIFEXITED(wstatus)) {
		status = WEXITSTATUS(wstatus);
	} else {
		status = (128 + WTERMSIG(wstatus));
	}
	result = fopen(argv[1], "w");
	if (!result) {
		perror(argv[1]);
		return 2;
	}
	fprintf(result, "%lld %ld %d %lld\n", wall, usage.ru_maxrss, status,
		timeval_ns(&usage.ru_utime) + timeval_ns(&usage.ru_stime));
	if (fclose(result) != 0) {
		perror(argv[1]);
		return 2;
	}
	return (status == 127) ? 2 : 0;
}

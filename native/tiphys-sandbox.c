/*
 * tiphys-sandbox: runs a command in a private mount namespace with directories bind-mounted over
 * others (a node's own /tmp over /tmp), then execs it. One small program instead of
 * `unshare` + `sh` + `mount`, so a step costs about what a bare spawn costs.
 *
 * usage: tiphys-sandbox [-b SRC DST]... [-C DIR] -- CMD [ARG]...
 * exit 125: the namespace could not be set up; 127: CMD could not be executed (message on stderr).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <signal.h>
#include <unistd.h>

static int write_file(const char *path, const char *text) {
  int fd = open(path, O_WRONLY);
  if (fd < 0) return -1;
  ssize_t n = write(fd, text, strlen(text));
  close(fd);
  return n == (ssize_t)strlen(text) ? 0 : -1;
}

int main(int argc, char **argv) {
  int i = 1;
  const char *chdir_to = NULL;
  int bind_start = -1, bind_count = 0;
  for (; i < argc; i++) {
    if (strcmp(argv[i], "--") == 0) { i++; break; }
    if (strcmp(argv[i], "-b") == 0 && i + 2 < argc) {
      if (bind_start < 0) bind_start = i;
      bind_count++;
      i += 2;
    } else if (strcmp(argv[i], "-C") == 0 && i + 1 < argc) {
      chdir_to = argv[++i];
    } else {
      fprintf(stderr, "tiphys-sandbox: unknown option %s\n", argv[i]);
      return 125;
    }
  }
  if (i >= argc) {
    fprintf(stderr, "tiphys-sandbox: no command\n");
    return 125;
  }
  uid_t uid = getuid();
  gid_t gid = getgid();
  if (unshare(CLONE_NEWNS) != 0) {
    if (unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0) {
      fprintf(stderr, "tiphys-sandbox: unshare: %s\n", strerror(errno));
      return 125;
    }
    char map[64];
    write_file("/proc/self/setgroups", "deny");
    snprintf(map, sizeof map, "%u %u 1\n", (unsigned)uid, (unsigned)uid);
    if (write_file("/proc/self/uid_map", map) != 0) { fprintf(stderr, "tiphys-sandbox: uid_map: %s\n", strerror(errno)); return 125; }
    snprintf(map, sizeof map, "%u %u 1\n", (unsigned)gid, (unsigned)gid);
    if (write_file("/proc/self/gid_map", map) != 0) { fprintf(stderr, "tiphys-sandbox: gid_map: %s\n", strerror(errno)); return 125; }
  }
  if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) {
    fprintf(stderr, "tiphys-sandbox: make-private: %s\n", strerror(errno));
    return 125;
  }
  /* Open every source first: a later bind over /tmp must not hide a source that lives under /tmp. */
  int fds[256];
  if (bind_count > 256) bind_count = 256;
  for (int b = 0; b < bind_count; b++) {
    const char *src = argv[bind_start + b * 3 + 1];
    fds[b] = open(src, O_PATH | O_DIRECTORY);
    if (fds[b] < 0) { fprintf(stderr, "tiphys-sandbox: open %s: %s\n", src, strerror(errno)); return 125; }
  }
  for (int b = 0; b < bind_count; b++) {
    const char *dst = argv[bind_start + b * 3 + 2];
    char src[64];
    snprintf(src, sizeof src, "/proc/self/fd/%d", fds[b]);
    if (mount(src, dst, NULL, MS_BIND | MS_REC, NULL) != 0) {
      fprintf(stderr, "tiphys-sandbox: bind %s: %s\n", dst, strerror(errno));
      return 125;
    }
    close(fds[b]);
  }
  if (chdir_to && chdir(chdir_to) != 0) {
    fprintf(stderr, "tiphys-sandbox: exec %s: chdir %s: %s\n", argv[i], chdir_to, strerror(errno));
    return 127;
  }
  /* The step dies with the engine that started it rather than running on unwatched. */
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  execvp(argv[i], &argv[i]);
  fprintf(stderr, "tiphys-sandbox: exec %s: %s\n", argv[i], strerror(errno));
  return 127;
}

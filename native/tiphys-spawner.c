/*
 * tiphys-spawner: a small long-lived process that starts a run's steps for the Node engine.
 *
 * Forking a large Node process costs more than the step it runs (page tables are copied), and
 * setting up a private mount namespace needs code between fork and exec. This process is small,
 * so its forks are cheap; each child makes its namespace, bind-mounts the node's /tmp and execs
 * the command directly. Output and exit status come back framed on stdout.
 *
 * `tiphys-spawner --probe DIR` checks, once, that a step can be set up here (exit 0 if so).
 *
 * Requests on stdin: 8 hex digits of length, then NUL-terminated tokens:
 *   id, isolate ("1"/"0"), nbinds, (src, dst)*, cwd, nargv, argv*, nenv, env*
 * Frames on stdout: 1 byte type, u32 id, u32 length (little endian), payload.
 *   'p' pid (text), 'o' stdout bytes, 'e' stderr bytes, 'x' exit "code signal" (text).
 * A child that cannot be set up or exec'd writes "tiphys-sandbox: exec CMD: REASON" to its stderr
 * and exits 127 (or 125 when the namespace failed), as tiphys-sandbox does.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_CHILDREN 1024

struct child {
  uint32_t id;
  pid_t pid;
  int out, err; /* -1 once closed */
  int exited, status;
};

static struct child kids[MAX_CHILDREN];
static int nkids = 0;
static int sigpipe_fds[2];

static void write_all(int fd, const void *buf, size_t n) {
  const char *p = buf;
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      _exit(1);
    }
    p += w;
    n -= (size_t)w;
  }
}

static void frame(char type, uint32_t id, const void *data, uint32_t len) {
  unsigned char head[9];
  head[0] = (unsigned char)type;
  for (int i = 0; i < 4; i++) head[1 + i] = (unsigned char)(id >> (8 * i));
  for (int i = 0; i < 4; i++) head[5 + i] = (unsigned char)(len >> (8 * i));
  write_all(1, head, 9);
  if (len) write_all(1, data, len);
}

static void on_sigchld(int sig) {
  (void)sig;
  int saved = errno;
  char c = 1;
  (void)write(sigpipe_fds[1], &c, 1);
  errno = saved;
}

static int write_file(const char *path, const char *text) {
  int fd = open(path, O_WRONLY);
  if (fd < 0) return -1;
  ssize_t n = write(fd, text, strlen(text));
  close(fd);
  return n == (ssize_t)strlen(text) ? 0 : -1;
}

static void fail_child(const char *cmd, const char *what, int code) {
  char msg[1024];
  int n = snprintf(msg, sizeof msg, "tiphys-sandbox: exec %s: %s\n", cmd, what);
  (void)write(2, msg, (size_t)n);
  _exit(code);
}

/* In the child: namespace, binds, cwd, exec. Never returns. */
static void run_child(int isolate, int nbinds, char **binds, const char *cwd, char **argv, char **envp, uid_t uid, gid_t gid) {
  setsid();
  /* If the spawner dies, so does the step (its own children are killed by process group below). */
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  signal(SIGCHLD, SIG_DFL);
  signal(SIGPIPE, SIG_DFL);
  if (isolate) {
    if (unshare(CLONE_NEWNS) != 0) {
      if (unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0) fail_child(argv[0], "cannot make a mount namespace", 125);
      char map[64];
      write_file("/proc/self/setgroups", "deny");
      snprintf(map, sizeof map, "%u %u 1\n", (unsigned)uid, (unsigned)uid);
      if (write_file("/proc/self/uid_map", map) != 0) fail_child(argv[0], "cannot map uid", 125);
      snprintf(map, sizeof map, "%u %u 1\n", (unsigned)gid, (unsigned)gid);
      if (write_file("/proc/self/gid_map", map) != 0) fail_child(argv[0], "cannot map gid", 125);
    }
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) fail_child(argv[0], "cannot make mounts private", 125);
    int fds[64];
    if (nbinds > 64) nbinds = 64;
    for (int b = 0; b < nbinds; b++) {
      fds[b] = open(binds[2 * b], O_PATH | O_DIRECTORY);
      if (fds[b] < 0) fail_child(argv[0], "cannot open a folder to bind", 125);
    }
    for (int b = 0; b < nbinds; b++) {
      char src[64];
      snprintf(src, sizeof src, "/proc/self/fd/%d", fds[b]);
      if (mount(src, binds[2 * b + 1], NULL, MS_BIND | MS_REC, NULL) != 0) fail_child(argv[0], "cannot bind-mount a folder", 125);
      close(fds[b]);
    }
  }
  if (cwd[0] && chdir(cwd) != 0) {
    char what[512];
    snprintf(what, sizeof what, "chdir %s: %s", cwd, strerror(errno));
    fail_child(argv[0], what, 127);
  }
  execvpe(argv[0], argv, envp);
  fail_child(argv[0], strerror(errno), 127);
}

static char *next_token(char **p, char *end) {
  char *t = *p;
  char *z = memchr(t, 0, (size_t)(end - t));
  if (!z) return NULL;
  *p = z + 1;
  return t;
}

static void handle_request(char *buf, size_t len, uid_t uid, gid_t gid) {
  char *p = buf, *end = buf + len;
  char *tok;
  if (!(tok = next_token(&p, end))) return;
  uint32_t id = (uint32_t)strtoul(tok, NULL, 10);
  if (!(tok = next_token(&p, end))) return;
  int isolate = tok[0] == '1';
  if (!(tok = next_token(&p, end))) return;
  int nbinds = atoi(tok);
  char **binds = calloc((size_t)(2 * nbinds + 1), sizeof(char *));
  for (int i = 0; i < 2 * nbinds; i++) binds[i] = next_token(&p, end);
  char *cwd = next_token(&p, end);
  tok = next_token(&p, end);
  int nargv = tok ? atoi(tok) : 0;
  char **argv = calloc((size_t)nargv + 1, sizeof(char *));
  for (int i = 0; i < nargv; i++) argv[i] = next_token(&p, end);
  tok = next_token(&p, end);
  int nenv = tok ? atoi(tok) : 0;
  char **envp = calloc((size_t)nenv + 1, sizeof(char *));
  for (int i = 0; i < nenv; i++) envp[i] = next_token(&p, end);
  int outp[2], errp[2];
  if (!cwd || nargv == 0 || nkids >= MAX_CHILDREN || pipe2(outp, O_CLOEXEC) != 0 || pipe2(errp, O_CLOEXEC) != 0) {
    const char *msg = "tiphys-sandbox: exec : cannot start\n";
    frame('e', id, msg, (uint32_t)strlen(msg));
    frame('x', id, "127 0", 5);
    free(binds); free(argv); free(envp);
    return;
  }
  pid_t pid = fork();
  if (pid == 0) {
    dup2(outp[1], 1);
    dup2(errp[1], 2);
    int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0) dup2(devnull, 0);
    run_child(isolate, nbinds, binds, cwd, argv, envp, uid, gid);
  }
  close(outp[1]);
  close(errp[1]);
  free(binds); free(argv); free(envp);
  if (pid < 0) {
    close(outp[0]);
    close(errp[0]);
    const char *msg = "tiphys-sandbox: exec : fork failed\n";
    frame('e', id, msg, (uint32_t)strlen(msg));
    frame('x', id, "127 0", 5);
    return;
  }
  kids[nkids++] = (struct child){ .id = id, .pid = pid, .out = outp[0], .err = errp[0], .exited = 0, .status = 0 };
  char text[32];
  int n = snprintf(text, sizeof text, "%d", (int)pid);
  frame('p', id, text, (uint32_t)n);
}

static void finish_if_done(int i) {
  struct child *k = &kids[i];
  if (!k->exited || k->out >= 0 || k->err >= 0) return;
  char text[32];
  int code = WIFEXITED(k->status) ? WEXITSTATUS(k->status) : -1;
  int sig = WIFSIGNALED(k->status) ? WTERMSIG(k->status) : 0;
  int n = snprintf(text, sizeof text, "%d %d", code, sig);
  frame('x', k->id, text, (uint32_t)n);
  kids[i] = kids[--nkids];
}

int main(int argc, char **argv) {
  uid_t uid = getuid();
  gid_t gid = getgid();
  /* `--probe DIR`: can a child make its namespace, bind DIR over /tmp and exec? Exit 0 if so. */
  if (argc == 3 && strcmp(argv[1], "--probe") == 0) {
    char *binds[2] = { argv[2], "/tmp" };
    char *cmd[2] = { "true", NULL };
    char *env[1] = { NULL };
    pid_t pid = fork();
    if (pid == 0) run_child(1, 1, binds, "/tmp", cmd, env, uid, gid);
    int status = 0;
    if (pid < 0 || waitpid(pid, &status, 0) < 0) return 1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
  }
  signal(SIGPIPE, SIG_IGN);
  if (pipe2(sigpipe_fds, O_CLOEXEC | O_NONBLOCK) != 0) return 1;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_sigchld;
  sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
  sigaction(SIGCHLD, &sa, NULL);

  size_t cap = 1 << 16, have = 0;
  char *in = malloc(cap);
  int stdin_open = 1;
  struct pollfd pfds[2 + 2 * MAX_CHILDREN];
  char chunk[65536];
  /* When the engine goes away (stdin closes), its steps must not outlive it: TERM, then KILL. */
  struct timespec eof_at = { 0, 0 };
  int killed = 0;
  while (stdin_open || nkids > 0) {
    int timeout = -1;
    if (!stdin_open) {
      struct timespec now;
      clock_gettime(CLOCK_MONOTONIC, &now);
      long waited = (now.tv_sec - eof_at.tv_sec) * 1000 + (now.tv_nsec - eof_at.tv_nsec) / 1000000;
      if (!killed && waited >= 2000) {
        for (int i = 0; i < nkids; i++) kill(-kids[i].pid, SIGKILL);
        killed = 1;
      }
      timeout = killed ? 200 : (int)(2000 - waited);
      if (killed && waited >= 5000) break;
    }
    int n = 0;
    pfds[n++] = (struct pollfd){ .fd = sigpipe_fds[0], .events = POLLIN };
    pfds[n++] = (struct pollfd){ .fd = stdin_open ? 0 : -1, .events = POLLIN };
    for (int i = 0; i < nkids; i++) {
      pfds[n++] = (struct pollfd){ .fd = kids[i].out, .events = POLLIN };
      pfds[n++] = (struct pollfd){ .fd = kids[i].err, .events = POLLIN };
    }
    if (poll(pfds, (nfds_t)n, timeout) < 0) {
      if (errno == EINTR) continue;
      return 1;
    }
    if (pfds[0].revents) {
      char drain[64];
      while (read(sigpipe_fds[0], drain, sizeof drain) > 0) {}
      int status;
      pid_t pid;
      while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        for (int i = 0; i < nkids; i++)
          if (kids[i].pid == pid) {
            kids[i].exited = 1;
            kids[i].status = status;
          }
      }
    }
    /* Child output before stdin, so frames keep their order per child. */
    for (int i = 0, slot = 2; i < nkids; i++, slot += 2) {
      for (int s = 0; s < 2; s++) {
        int *fd = s == 0 ? &kids[i].out : &kids[i].err;
        if (*fd < 0 || !(pfds[slot + s].revents & (POLLIN | POLLHUP | POLLERR))) continue;
        ssize_t r = read(*fd, chunk, sizeof chunk);
        if (r > 0) frame(s == 0 ? 'o' : 'e', kids[i].id, chunk, (uint32_t)r);
        else if (r == 0 || (errno != EINTR && errno != EAGAIN)) {
          close(*fd);
          *fd = -1;
        }
      }
    }
    for (int i = nkids - 1; i >= 0; i--) finish_if_done(i);
    if (stdin_open && (pfds[1].revents & (POLLIN | POLLHUP | POLLERR))) {
      if (have == cap) {
        cap *= 2;
        in = realloc(in, cap);
      }
      ssize_t r = read(0, in + have, cap - have);
      if (r <= 0) {
        if (r < 0 && errno == EINTR) continue;
        stdin_open = 0;
        clock_gettime(CLOCK_MONOTONIC, &eof_at);
        for (int i = 0; i < nkids; i++) kill(-kids[i].pid, SIGTERM);
      } else {
        have += (size_t)r;
        for (;;) {
          if (have < 8) break;
          char hex[9];
          memcpy(hex, in, 8);
          hex[8] = 0;
          size_t len = (size_t)strtoul(hex, NULL, 16);
          if (have < 8 + len) {
            if (8 + len > cap) {
              while (8 + len > cap) cap *= 2;
              in = realloc(in, cap);
            }
            break;
          }
          handle_request(in + 8, len, uid, gid);
          memmove(in, in + 8 + len, have - 8 - len);
          have -= 8 + len;
        }
      }
    }
  }
  return 0;
}

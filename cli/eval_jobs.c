/* dimple eval --jobs: worker processes that decode shares of the examples and send
 * their records as JSON lines through pipes to the parent. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "eval.h"

#define CMD "eval"

int dm_eval_line_sink(void *user, cJSON *rec) {
  FILE *f = user;
  char *s = cJSON_PrintUnformatted(rec);
  cJSON_Delete(rec);
  if (!s) return DM_EXIT_RUNTIME;
  int bad = fputs(s, f) < 0 || fputc('\n', f) < 0 || fflush(f) != 0;
  cJSON_free(s);
  return bad ? DM_EXIT_RUNTIME : DM_EXIT_OK;
}

typedef struct worker {
  pid_t pid;
  int fd;
  char *buf;
  size_t len, cap;
} worker;

int dm_eval_jobs_run(int njobs, eval_job_fn job, void *ctx, eval_line_fn take, void *user) {
  int n = njobs, ex = DM_EXIT_OK;
  worker *w = calloc((size_t)n, sizeof *w);
  if (!w) return DM_EXIT_RUNTIME;
  fflush(NULL);
  int started = 0;
  for (; started < n; started++) {
    int fds[2];
    if (pipe(fds) != 0) break;
    pid_t pid = fork();
    if (pid < 0) {
      close(fds[0]);
      close(fds[1]);
      break;
    }
    if (pid == 0) { /* the worker */
      close(fds[0]);
      for (int k = 0; k < started; k++) close(w[k].fd);
      FILE *f = fdopen(fds[1], "w");
      int code = f ? job(ctx, started, n, f) : DM_EXIT_RUNTIME;
      if (f && fclose(f) != 0 && !code) code = DM_EXIT_RUNTIME;
      _exit(code);
    }
    close(fds[1]);
    w[started].pid = pid;
    w[started].fd = fds[0];
  }
  if (started < n) {
    fprintf(stderr, "dimple " CMD ": error: cannot start worker %d: %s [DM_EIO]\n", started + 1, strerror(errno));
    ex = DM_EXIT_RUNTIME;
  }
  struct pollfd *pf = calloc((size_t)n, sizeof *pf);
  int open_n = started;
  while (open_n > 0 && !ex && pf) {
    int m = 0;
    for (int k = 0; k < started; k++)
      if (w[k].fd >= 0) pf[m++] = (struct pollfd){.fd = w[k].fd, .events = POLLIN};
    if (poll(pf, (nfds_t)m, -1) < 0) {
      if (errno == EINTR) continue;
      ex = DM_EXIT_RUNTIME;
      break;
    }
    for (int k = 0; k < started && !ex; k++) {
      if (w[k].fd < 0) continue;
      int ready = 0;
      for (int q = 0; q < m; q++)
        if (pf[q].fd == w[k].fd && pf[q].revents) ready = 1;
      if (!ready) continue;
      if (w[k].cap - w[k].len < 65536) {
        size_t cap = w[k].cap ? w[k].cap * 2 : 131072;
        char *nb = realloc(w[k].buf, cap);
        if (!nb) {
          ex = DM_EXIT_RUNTIME;
          break;
        }
        w[k].buf = nb;
        w[k].cap = cap;
      }
      ssize_t got = read(w[k].fd, w[k].buf + w[k].len, w[k].cap - w[k].len - 1);
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) { /* the worker is done: its status decides */
        close(w[k].fd);
        w[k].fd = -1;
        open_n--;
        int st = 0;
        waitpid(w[k].pid, &st, 0);
        w[k].pid = 0;
        if (!WIFEXITED(st)) {
          fprintf(stderr, "dimple " CMD ": error: worker %d died (signal %d) [DM_EINTERNAL]\n", k + 1,
                  WIFSIGNALED(st) ? WTERMSIG(st) : 0);
          ex = DM_EXIT_RUNTIME;
        } else if (WEXITSTATUS(st)) {
          ex = WEXITSTATUS(st);
        } else if (w[k].len) {
          fprintf(stderr, "dimple " CMD ": error: worker %d ended mid-line [DM_EINTERNAL]\n", k + 1);
          ex = DM_EXIT_RUNTIME;
        }
        continue;
      }
      w[k].len += (size_t)got;
      size_t start = 0;
      for (size_t i = 0; i < w[k].len && !ex; i++) {
        if (w[k].buf[i] != '\n') continue;
        w[k].buf[i] = 0;
        ex = take(user, w[k].buf + start);
        start = i + 1;
      }
      memmove(w[k].buf, w[k].buf + start, w[k].len - start);
      w[k].len -= start;
    }
  }
  if (!pf) ex = DM_EXIT_RUNTIME;
  for (int k = 0; k < started; k++) { /* on failure, stop the others */
    if (w[k].fd >= 0) close(w[k].fd);
    if (w[k].pid > 0) {
      if (ex) kill(w[k].pid, SIGTERM);
      int st;
      waitpid(w[k].pid, &st, 0);
      if (!ex && (!WIFEXITED(st) || WEXITSTATUS(st))) ex = WIFEXITED(st) ? WEXITSTATUS(st) : DM_EXIT_RUNTIME;
    }
    free(w[k].buf);
  }
  free(pf);
  free(w);
  return ex;
}


/* bench/push/viewers.c: N Server-Sent Events viewers on one epoll loop (the bench's load client).
 *
 * A Python load client spends more CPU per event than the server it measures; this one reads
 * and scans bytes only. bench/push/run.py compiles it with gcc and drives it:
 *
 *   viewers PORT TICKETS_FILE MAX_CONNECTING
 *     opens one GET /api/v1/progress/stream/?ticket=T per line of TICKETS_FILE, at most
 *     MAX_CONNECTING of them not yet caught up at once; prints "READY <caught up> <failed>"
 *     once every stream has sent its "event: sync" (or failed);
 *   stdin "START"  clears the counters and starts recording;
 *   stdin "STOP"   prints one JSON line {"latencies_ms": {ms: count, ...}, "events": n,
 *                  "closed": n, "cpu": seconds} and exits.
 *
 * Latency of an event = this machine's clock when the read() that completed the event's
 * "event:" line returned, minus the milliseconds in its id (<ms>-<seq>, the Redis stream id,
 * taken from Redis's clock on the same machine).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define LINE_MAX_KEEP 40
#define HIST_MAX 120000

typedef struct {
  int fd;
  int state; /* 0 idle, 1 connecting/reading up to sync, 2 streaming, 3 dead */
  char *ticket;
  char line[LINE_MAX_KEEP];
  int line_len;
  long long pending_ms; /* id of the frame being read, -1 when none */
} viewer_t;

static long long hist[HIST_MAX + 1];
static long long events, closed_count, negative;
static int recording;

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

static double cpu_seconds(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static int open_viewer(viewer_t *v, int port, int ep) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  if (fd < 0) return -1;
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(port)};
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int r = connect(fd, (struct sockaddr *)&addr, sizeof addr);
  if (r < 0 && errno != EINPROGRESS) {
    close(fd);
    return -1;
  }
  v->fd = fd;
  v->state = 1;
  v->line_len = 0;
  v->pending_ms = -1;
  struct epoll_event ev = {.events = EPOLLOUT | EPOLLIN, .data.ptr = v};
  epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
  return 0;
}

/* Scan bytes line by line; return 1 when the line "event: sync" was seen. */
static int scan(viewer_t *v, const char *buf, ssize_t n, double t) {
  int synced = 0;
  for (ssize_t i = 0; i < n; i++) {
    char c = buf[i];
    if (c != '\n') {
      if (v->line_len < LINE_MAX_KEEP - 1) v->line[v->line_len++] = c;
      continue;
    }
    v->line[v->line_len] = 0;
    if (v->line_len > 4 && memcmp(v->line, "id: ", 4) == 0) {
      v->pending_ms = atoll(v->line + 4);
    } else if (v->line_len >= 7 && memcmp(v->line, "event: ", 7) == 0) {
      const char *name = v->line + 7;
      if (strcmp(name, "sync") == 0) {
        synced = 1;
      } else if ((strcmp(name, "job") == 0 || strcmp(name, "video") == 0) && v->pending_ms > 0 && recording) {
        long long ms = (long long)(t - (double)v->pending_ms);
        if (ms < 0) {
          negative++;
          ms = 0;
        }
        hist[ms > HIST_MAX ? HIST_MAX : ms]++;
        events++;
      }
    } else if (v->line_len == 0) {
      v->pending_ms = -1;
    }
    v->line_len = 0;
  }
  return synced;
}

int main(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: viewers PORT TICKETS_FILE MAX_CONNECTING\n");
    return 2;
  }
  int port = atoi(argv[1]);
  int max_connecting = atoi(argv[3]);
  struct rlimit rl;
  getrlimit(RLIMIT_NOFILE, &rl);
  rl.rlim_cur = rl.rlim_max;
  setrlimit(RLIMIT_NOFILE, &rl);

  FILE *f = fopen(argv[2], "r");
  if (!f) return 2;
  int cap = 1024, n = 0;
  viewer_t *vs = calloc(cap, sizeof *vs);
  char line[256];
  while (fgets(line, sizeof line, f)) {
    line[strcspn(line, "\r\n")] = 0;
    if (!*line) continue;
    if (n == cap) {
      cap *= 2;
      vs = realloc(vs, cap * sizeof *vs);
    }
    memset(&vs[n], 0, sizeof vs[n]);
    vs[n].fd = -1;
    vs[n].ticket = strdup(line);
    n++;
  }
  fclose(f);

  int ep = epoll_create1(0);
  struct epoll_event sev = {.events = EPOLLIN, .data.ptr = NULL};
  epoll_ctl(ep, EPOLL_CTL_ADD, 0, &sev);
  int next = 0, connecting = 0, ready = 0, failed = 0, announced = 0;
  static char buf[1 << 16];
  struct epoll_event evs[512];
  double cpu0 = 0;
  for (;;) {
    while (next < n && connecting < max_connecting) {
      if (open_viewer(&vs[next], port, ep) == 0) {
        connecting++;
      } else {
        vs[next].state = 3;
        failed++;
      }
      next++;
    }
    if (!announced && ready + failed == n) {
      printf("READY %d %d\n", ready, failed);
      fflush(stdout);
      announced = 1;
    }
    int k = epoll_wait(ep, evs, 512, 1000);
    double t = now_ms();
    for (int i = 0; i < k; i++) {
      viewer_t *v = evs[i].data.ptr;
      if (v == NULL) { /* stdin: START / STOP */
        ssize_t r = read(0, line, sizeof line - 1);
        if (r <= 0) return 0;
        line[r] = 0;
        if (strstr(line, "START")) {
          memset(hist, 0, sizeof hist);
          events = negative = 0;
          closed_count = 0;
          cpu0 = cpu_seconds();
          recording = 1;
        }
        if (strstr(line, "STOP")) {
          recording = 0;
          printf("{\"events\": %lld, \"closed\": %lld, \"negative\": %lld, \"cpu\": %.3f, \"latencies_ms\": {",
                 events, closed_count, negative, cpu_seconds() - cpu0);
          int first = 1;
          for (int ms = 0; ms <= HIST_MAX; ms++) {
            if (!hist[ms]) continue;
            printf("%s\"%d\": %lld", first ? "" : ", ", ms, hist[ms]);
            first = 0;
          }
          printf("}}\n");
          fflush(stdout);
          return 0;
        }
        continue;
      }
      if (v->state == 1 && (evs[i].events & EPOLLOUT)) {
        char req[384];
        int len = snprintf(req, sizeof req,
                           "GET /api/v1/progress/stream/?ticket=%s HTTP/1.1\r\nHost: bench\r\n"
                           "Accept: text/event-stream\r\n\r\n", v->ticket);
        if (write(v->fd, req, len) != len) goto dead;
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = v};
        epoll_ctl(ep, EPOLL_CTL_MOD, v->fd, &ev);
        continue;
      }
      if (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
        for (;;) {
          ssize_t r = read(v->fd, buf, sizeof buf);
          if (r > 0) {
            if (scan(v, buf, r, t) && v->state == 1) {
              v->state = 2;
              connecting--;
              ready++;
            }
            if (r < (ssize_t)sizeof buf) break;
            continue;
          }
          if (r < 0 && (errno == EAGAIN || errno == EINTR)) break;
          goto dead;
        }
      }
      continue;
    dead:
      if (v->state == 1) {
        connecting--;
        failed++;
      } else if (v->state == 2) {
        closed_count++;
      }
      v->state = 3;
      epoll_ctl(ep, EPOLL_CTL_DEL, v->fd, NULL);
      close(v->fd);
    }
  }
}

/*
 * Open-loop HTTP/1.1 load: requests are due at a fixed rate whatever the answers, and each
 * latency is measured from the moment its request was due, so a slow server cannot slow the
 * load down (no coordinated omission). A due request goes out on an idle keep-alive
 * connection; when all of them wait for answers, it waits in a backlog, and that wait counts in
 * its latency. Built by the bench harness with `cc -O2`; one thread, epoll.
 *
 *   openloop HOST PORT PATH RATE SECONDS CONNECTIONS TIMEOUT_MS
 *
 * Prints `key value` lines: counts by status, connection errors, timeouts, requests never sent,
 * the window and the time from its start to the last answer (`elapsed`),
 * 503s without Retry-After, and latency percentiles (ms) of 2xx answers and of 503 answers.
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
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

typedef struct {
  int fd;
  int busy;          /* a request is out, its answer not complete */
  double due;        /* when the request in flight was due */
  double sent_at;    /* when it went out (its timeout counts from there) */
  char buf[16384];
  size_t len;
} conn_t;

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static struct sockaddr_in addr;
static char request[1024];
static size_t request_len;
static int epfd;

static double *lat_ok, *lat_503;
static size_t n_ok, n_503, cap_lat;
static long statuses[600];
static long conn_errors, timeouts, sent, refused_without_retry_after;
static double last_answer_at; /* when the last answer arrived */

/* Connects blocking (a loopback connect takes microseconds, or waits while the server's
   accept queue is full), so a connection is writable once it is in the idle list. */
static int open_conn(conn_t *c) {
  c->fd = socket(AF_INET, SOCK_STREAM, 0);
  if (c->fd < 0) return -1;
  int one = 1;
  setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (connect(c->fd, (struct sockaddr *)&addr, sizeof addr) < 0) {
    close(c->fd);
    return -1;
  }
  fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK);
  c->busy = 0;
  c->len = 0;
  struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
  epoll_ctl(epfd, EPOLL_CTL_ADD, c->fd, &ev);
  return 0;
}

/* Replaces a connection; `failed` counts it as a connection error (a request was lost). */
static void reopen(conn_t *c, int failed) {
  epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
  close(c->fd);
  if (failed) conn_errors++;
  for (int attempt = 0; open_conn(c) < 0; attempt++) {
    if (attempt == 100) {
      perror("connect");
      exit(1);
    }
    usleep(10000);
  }
}

static void record(int status, double latency) {
  if (status > 0 && status < 600) statuses[status]++;
  if (status >= 200 && status < 300 && n_ok < cap_lat) lat_ok[n_ok++] = latency;
  if (status == 503 && n_503 < cap_lat) lat_503[n_503++] = latency;
}

/* Parses complete answers in c->buf; returns 0, or -1 when the connection must be reopened. */
static int consume(conn_t *c, double t) {
  for (;;) {
    char *end = memmem(c->buf, c->len, "\r\n\r\n", 4);
    if (end == NULL) return 0;
    if (c->len < 12 || memcmp(c->buf, "HTTP/1.", 7) != 0) return -1;
    int status = atoi(c->buf + 9);
    size_t head = (size_t)(end - c->buf) + 4;
    long body = 0;
    char *cl = memmem(c->buf, head, "\r\ncontent-length:", 17);
    if (cl == NULL) cl = memmem(c->buf, head, "\r\nContent-Length:", 17);
    if (cl != NULL) body = atol(cl + 17);
    if (cl == NULL && (memmem(c->buf, head, "\r\ntransfer-encoding: chunked", 28) != NULL ||
                       memmem(c->buf, head, "\r\nTransfer-Encoding: chunked", 28) != NULL)) {
      /* Chunked: complete at the last chunk (JSON bodies never hold that byte sequence). */
      char *last = memmem(c->buf + head, c->len - head, "0\r\n\r\n", 5);
      if (last == NULL) return 0;
      body = (last + 5) - (c->buf + head);
    }
    if (c->len < head + (size_t)body) return 0;
    int closing = memmem(c->buf, head, "\r\nconnection: close", 19) != NULL ||
                  memmem(c->buf, head, "\r\nConnection: close", 19) != NULL;
    if (status == 503 && memmem(c->buf, head, "\r\nretry-after:", 14) == NULL &&
        memmem(c->buf, head, "\r\nRetry-After:", 14) == NULL)
      refused_without_retry_after++;
    record(status, t - c->due);
    last_answer_at = t;
    memmove(c->buf, c->buf + head + body, c->len - head - body);
    c->len -= head + body;
    c->busy = 0;
    if (closing) return -1;
  }
}

static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static void percentiles(const char *name, double *v, size_t n) {
  qsort(v, n, sizeof *v, cmp);
  const double ps[] = {50, 90, 99, 99.9, 100};
  for (size_t i = 0; i < sizeof ps / sizeof *ps; i++) {
    double value = 0;
    if (n > 0) {
      size_t k = (size_t)(ps[i] / 100.0 * (double)n);
      value = v[k >= n ? n - 1 : k];
    }
    printf("%s_p%g_ms %.3f\n", name, ps[i], value * 1000);
  }
}

int main(int argc, char **argv) {
  if (argc != 8) {
    fprintf(stderr, "usage: %s HOST PORT PATH RATE SECONDS CONNECTIONS TIMEOUT_MS\n", argv[0]);
    return 2;
  }
  const char *host = argv[1], *path = argv[3];
  double rate = atof(argv[4]), seconds = atof(argv[5]), timeout = atof(argv[7]) / 1000;
  int nconn = atoi(argv[6]);
  addr.sin_family = AF_INET;
  addr.sin_port = htons((unsigned short)atoi(argv[2]));
  inet_pton(AF_INET, host, &addr.sin_addr);
  request_len = (size_t)snprintf(request, sizeof request,
                                 "GET %s HTTP/1.1\r\nHost: %s:%s\r\n\r\n", path, host, argv[2]);
  cap_lat = (size_t)(rate * seconds) + 16;
  lat_ok = malloc(cap_lat * sizeof *lat_ok);
  lat_503 = malloc(cap_lat * sizeof *lat_503);
  double *backlog = malloc(cap_lat * sizeof *backlog);
  size_t backlog_head = 0, backlog_tail = 0;
  epfd = epoll_create1(0);
  conn_t *conns = calloc((size_t)nconn, sizeof *conns);
  int *idle = malloc((size_t)nconn * sizeof *idle);
  int n_idle = 0;
  for (int i = 0; i < nconn; i++) {
    if (open_conn(&conns[i]) < 0) {
      perror("connect");
      return 1;
    }
    idle[n_idle++] = i;
  }
  struct epoll_event events[1024];
  double start = now_s(), stop = start + seconds;
  long due_count = 0, total = (long)(rate * seconds);
  double last_check = start;
  for (;;) {
    double t = now_s();
    /* Requests due by now join the backlog; the backlog goes out on idle connections. */
    while (due_count < total && start + (double)due_count / rate <= t)
      backlog[backlog_tail++] = start + (double)(due_count++) / rate;
    while (backlog_head < backlog_tail && n_idle > 0) {
      conn_t *c = &conns[idle[--n_idle]];
      c->busy = 1;
      c->due = backlog[backlog_head++];
      c->sent_at = t;
      if (send(c->fd, request, request_len, MSG_NOSIGNAL) != (ssize_t)request_len) {
        reopen(c, 1);
        backlog_head--;
        idle[n_idle++] = (int)(c - conns);
        continue;
      }
      sent++;
    }
    int outstanding = 0;
    if (t - last_check > 0.05) {
      last_check = t;
      for (int i = 0; i < nconn; i++) {
        conn_t *c = &conns[i];
        if (!c->busy) continue;
        if (t - c->sent_at > timeout) {
          timeouts++;
          reopen(c, 0);
          idle[n_idle++] = i;
        } else {
          outstanding++;
        }
      }
      if (t > stop && (outstanding == 0 || t > stop + timeout)) break;
    }
    if (t > stop + timeout + 1) break;
    double next = due_count < total ? start + (double)due_count / rate : t + 0.01;
    /* Due requests go out at most a millisecond late, in one batch: waking for every request
       would spin this process and take a core from the server it measures. */
    int wait_ms = (int)((next - t) * 1000);
    if (wait_ms < 1) wait_ms = 1;
    if (wait_ms > 10) wait_ms = 10;
    if (backlog_head < backlog_tail && n_idle > 0) wait_ms = 0;
    int n = epoll_wait(epfd, events, 1024, wait_ms);
    double tr = now_s();
    for (int i = 0; i < n; i++) {
      conn_t *c = events[i].data.ptr;
      ssize_t got = read(c->fd, c->buf + c->len, sizeof c->buf - c->len);
      if (got <= 0) {
        if (got < 0 && errno == EAGAIN) continue;
        /* An idle connection the server closed (keep-alive timeout) is no error, and is
           already in the idle list. */
        int was_busy = c->busy;
        reopen(c, was_busy);
        if (was_busy) idle[n_idle++] = (int)(c - conns);
        continue;
      }
      c->len += (size_t)got;
      int was_busy = c->busy;
      if (consume(c, tr) < 0) {
        /* Answered with `connection: close` (no error) or garbled (an error). */
        reopen(c, c->busy);
        if (was_busy) idle[n_idle++] = (int)(c - conns);
        continue;
      }
      if (was_busy && !c->busy) idle[n_idle++] = (int)(c - conns);
    }
  }
  long answered = 0;
  for (int s = 0; s < 600; s++) {
    if (statuses[s] == 0) continue;
    printf("status_%d %ld\n", s, statuses[s]);
    answered += statuses[s];
  }
  printf("due %ld\nsent %ld\nanswered %ld\nnever_sent %ld\n", total, sent, answered,
         (long)(backlog_tail - backlog_head) + (total - due_count));
  printf("connection_errors %ld\ntimeouts %ld\nseconds %.3f\n", conn_errors, timeouts, seconds);
  /* A server slower than the rate keeps answering after the window: goodput counts that time. */
  printf("elapsed %.3f\n", last_answer_at > start ? last_answer_at - start : 0.0);
  printf("refused_without_retry_after %ld\n", refused_without_retry_after);
  percentiles("ok", lat_ok, n_ok);
  percentiles("refused", lat_503, n_503);
  return 0;
}

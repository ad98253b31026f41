/*
 * rulec_http.c: the smallest HTTP responder that lets Prometheus scrape
 * `rulec watch --metrics ADDR`: GET /metrics (or /) answers 200 with the
 * text a callback renders; anything else 404 or 405.  One connection at a
 * time, on one thread; a request must arrive within 5 seconds and fit in
 * 8 KiB.  Meant for a loopback address: it has no TLS and no
 * authentication.
 */
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "rulecore.h"
#include "rulec.h"

struct rulec_http {
  int fd;
  int stop[2]; /* a byte written stops the thread */
  pthread_t thread;
  char *(*render)(void *);
  void *arg;
};

static void respond(int c, const char *status, const char *type, const char *body) {
  char head[256];
  size_t n = strlen(body);
  int k = snprintf(head, sizeof head,
                   "HTTP/1.1 %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n", status, type,
                   n);
  if (k > 0 && write(c, head, (size_t)k) == k) {
    for (size_t off = 0; off < n;) {
      ssize_t w = write(c, body + off, n - off);
      if (w <= 0) break;
      off += (size_t)w;
    }
  }
}

static void serve(struct rulec_http *h, int c) {
  char req[8192];
  size_t len = 0;
  req[0] = '\0';
  while (len < sizeof req - 1 && !strstr(req, "\r\n\r\n")) {
    struct pollfd p = {c, POLLIN, 0};
    if (poll(&p, 1, 5000) <= 0) return;
    ssize_t r = read(c, req + len, sizeof req - 1 - len);
    if (r <= 0) return;
    len += (size_t)r;
    req[len] = '\0';
  }
  req[len] = '\0';
  if (strncmp(req, "GET ", 4) != 0) {
    respond(c, "405 Method Not Allowed", "text/plain", "only GET\n");
    return;
  }
  const char *path = req + 4;
  size_t plen = strcspn(path, " ?\r\n");
  if (!((plen == 8 && strncmp(path, "/metrics", 8) == 0) || (plen == 1 && path[0] == '/'))) {
    respond(c, "404 Not Found", "text/plain", "see /metrics\n");
    return;
  }
  char *body = h->render(h->arg);
  if (!body) {
    respond(c, "500 Internal Server Error", "text/plain", "out of memory\n");
    return;
  }
  respond(c, "200 OK", "text/plain; version=0.0.4; charset=utf-8", body);
  rulecore_free(body);
}

static void *http_thread(void *arg) {
  struct rulec_http *h = arg;
  for (;;) {
    struct pollfd p[2] = {{h->fd, POLLIN, 0}, {h->stop[0], POLLIN, 0}};
    if (poll(p, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (p[1].revents) break;
    if (!(p[0].revents & POLLIN)) continue;
    int c = accept(h->fd, NULL, NULL);
    if (c < 0) continue;
    serve(h, c);
    close(c);
  }
  return NULL;
}

struct rulec_http *rulec_http_start(const char *addr, char *(*render)(void *), void *arg) {
  /* HOST:PORT, the host maybe [v6] */
  char host[256];
  const char *colon = strrchr(addr, ':');
  if (!colon || colon == addr || !colon[1] || (size_t)(colon - addr) >= sizeof host) {
    fprintf(stderr, "rulec: --metrics needs HOST:PORT (127.0.0.1:9464), not '%s'\n", addr);
    return NULL;
  }
  memcpy(host, addr, (size_t)(colon - addr));
  host[colon - addr] = '\0';
  if (host[0] == '[' && host[strlen(host) - 1] == ']') {
    memmove(host, host + 1, strlen(host));
    host[strlen(host) - 1] = '\0';
  }
  struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE}, *ai = NULL;
  int e = getaddrinfo(host, colon + 1, &hints, &ai);
  if (e) {
    fprintf(stderr, "rulec: --metrics %s: %s\n", addr, gai_strerror(e));
    return NULL;
  }
  int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
  int one = 1;
  if (fd >= 0) setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (fd < 0 || bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, 16) != 0) {
    fprintf(stderr, "rulec: --metrics %s: %s\n", addr, strerror(errno));
    if (fd >= 0) close(fd);
    freeaddrinfo(ai);
    return NULL;
  }
  freeaddrinfo(ai);
  struct rulec_http *h = calloc(1, sizeof *h);
  if (!h || pipe(h->stop) != 0) {
    fprintf(stderr, "rulec: --metrics: %s\n", strerror(errno));
    close(fd);
    free(h);
    return NULL;
  }
  h->fd = fd;
  h->render = render;
  h->arg = arg;
  if (pthread_create(&h->thread, NULL, http_thread, h) != 0) {
    fprintf(stderr, "rulec: --metrics: cannot start a thread\n");
    close(fd);
    close(h->stop[0]);
    close(h->stop[1]);
    free(h);
    return NULL;
  }
  return h;
}

void rulec_http_stop(struct rulec_http *h) {
  if (!h) return;
  if (write(h->stop[1], "x", 1) != 1) { /* the thread then waits for the process's end */
  }
  pthread_join(h->thread, NULL);
  close(h->fd);
  close(h->stop[0]);
  close(h->stop[1]);
  free(h);
}

/*
 * fcgi_app.c: the classic alternative as a bench/run peer: a libfcgi C
 * responder run as a pool of processes by spawn-fcgi behind nginx's
 * fastcgi_pass. Routes (the bodies of bench/apps/bench_app.cpp):
 * /plaintext, /sleep?ms=N (usleep: blocks the process), /burn?us=N.
 * No Redis client: Debian packages none for C beyond hiredis, and the
 * process-pool model is what is measured here.
 */

#include <fcgi_stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static long query_number(const char *name, long fallback)
{
    const char *q = getenv("QUERY_STRING");
    size_t n = strlen(name);
    while (q && *q) {
        if (strncmp(q, name, n) == 0 && q[n] == '=') return strtol(q + n + 1, NULL, 10);
        q = strchr(q, '&');
        if (q) q++;
    }
    return fallback;
}

static long long cpu_micros(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

int main(void)
{
    while (FCGI_Accept() >= 0) {
        const char *path = getenv("DOCUMENT_URI");
        if (path == NULL) path = "";
        if (strcmp(path, "/sleep") == 0) {
            usleep((useconds_t)query_number("ms", 0) * 1000);
        } else if (strcmp(path, "/burn") == 0) {
            long long until = cpu_micros() + query_number("us", 100);
            volatile unsigned x = 0;
            while (cpu_micros() < until)
                for (unsigned i = 0; i < 256; i++) x = x * 31 + i;
        } else if (strcmp(path, "/plaintext") != 0) {
            printf("Status: 404 Not Found\r\nContent-Type: text/plain\r\n"
                   "Content-Length: 10\r\n\r\nnot found\n");
            continue;
        }
        printf("Content-Type: text/plain\r\nContent-Length: 13\r\n\r\nHello, World!");
    }
    return 0;
}

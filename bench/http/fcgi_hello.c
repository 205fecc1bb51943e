/*
 * fcgi_hello.c: the classic alternative Spindle is compared with, a FastCGI
 * "Hello, World!" responder on libfcgi, run as a pool of processes by
 * spawn-fcgi behind nginx's fastcgi_pass. Used only by bench/http/compare.sh.
 */

#include <fcgi_stdio.h>

int
main(void)
{
    while (FCGI_Accept() >= 0) {
        printf("Content-Type: text/plain\r\nContent-Length: 13\r\n\r\n"
               "Hello, World!");
    }
    return 0;
}

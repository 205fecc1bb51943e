/*
 * ngx_config.h (fuzz stub): the nginx basics that
 * nginx-module/ngx_http_spindle_response.c uses, for tests/fuzz only. The
 * real definitions are in /usr/share/nginx/src; these keep only the names
 * and the fields that file touches (see ngx_core.h, ngx_http.h).
 */

#ifndef _NGX_CONFIG_H_INCLUDED_
#define _NGX_CONFIG_H_INCLUDED_

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>

typedef intptr_t   ngx_int_t;
typedef uintptr_t  ngx_uint_t;
typedef int        ngx_err_t;
typedef unsigned char  u_char;

#define NGX_HTTP_CACHE  0

#endif /* _NGX_CONFIG_H_INCLUDED_ */

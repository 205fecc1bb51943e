/*
 * ngx_core.h (fuzz stub): strings, buffers, chains, lists, pools, logging
 * and hashing, reduced to what ngx_http_spindle_response.c touches. Pools
 * and lists are plain malloc'd storage (ngx_stubs.c); ngx_hash_find finds
 * nothing, so nginx's own upstream header handlers are not run.
 */

#ifndef _NGX_CORE_H_INCLUDED_
#define _NGX_CORE_H_INCLUDED_

#include <ngx_config.h>

#define NGX_OK          0
#define NGX_ERROR      -1
#define NGX_AGAIN      -2
#define NGX_DONE       -4

#define NGX_LOG_ALERT   2
#define NGX_LOG_ERR     4
#define NGX_LOG_WARN    5
#define NGX_LOG_DEBUG_HTTP  0x100

#define ngx_min(a, b)        ((a < b) ? (a) : (b))
#define ngx_memzero(b, n)    (void) memset(b, 0, n)
#define ngx_memcpy(d, s, n)  (void) memcpy(d, s, n)
#define ngx_cpymem(d, s, n)  (((u_char *) memcpy(d, s, n)) + (n))

typedef struct {
    size_t   len;
    u_char  *data;
} ngx_str_t;

typedef struct ngx_pool_s   ngx_pool_t;
typedef struct ngx_buf_s    ngx_buf_t;
typedef struct ngx_chain_s  ngx_chain_t;
typedef void               *ngx_buf_tag_t;

struct ngx_buf_s {
    u_char         *pos;
    u_char         *last;
    u_char         *start;
    u_char         *end;
    ngx_buf_tag_t   tag;
    ngx_buf_t      *shadow;
    unsigned        temporary:1;
    unsigned        memory:1;
    unsigned        recycled:1;
    unsigned        flush:1;
    unsigned        last_shadow:1;
    int             num;
};

struct ngx_chain_s {
    ngx_buf_t    *buf;
    ngx_chain_t  *next;
};

typedef struct {
    void        *elts;
    ngx_uint_t   nelts;
    ngx_uint_t   nalloc;
    size_t       size;
} ngx_array_t;

/* one growable array, not nginx's list of parts */
typedef struct {
    void        *elts;
    ngx_uint_t   nelts;
    ngx_uint_t   nalloc;
    size_t       size;
} ngx_list_t;

typedef struct {
    ngx_uint_t   hash;
    ngx_str_t    key;
    ngx_str_t    value;
    u_char      *lowcase_key;
} ngx_table_elt_t;

typedef struct {
    void        *buckets;
} ngx_hash_t;

/* the last ERR-or-worse message, for the fuzz target to check */
typedef struct {
    ngx_uint_t   log_level;
    ngx_uint_t   last_level;
    const char  *last_fmt;
} ngx_log_t;

typedef struct {
    ngx_uint_t   ctx_index;
} ngx_module_t;

void ngx_log_error_core(ngx_uint_t level, ngx_log_t *log, ngx_err_t err,
    const char *fmt, ...);
#define ngx_log_error(level, log, ...)                                       \
    ngx_log_error_core(level, log, __VA_ARGS__)

/* NGX_DEBUG off, as in Debian's nginx */
#define ngx_log_debug0(level, log, err, fmt)
#define ngx_log_debug1(level, log, err, fmt, arg1)
#define ngx_log_debug2(level, log, err, fmt, arg1, arg2)

void *ngx_pnalloc(ngx_pool_t *pool, size_t size);
void *ngx_list_push(ngx_list_t *list);
ngx_uint_t ngx_hash_strlow(u_char *dst, u_char *src, size_t n);
void *ngx_hash_find(ngx_hash_t *hash, ngx_uint_t key, u_char *name,
    size_t len);
ngx_chain_t *ngx_chain_get_free_buf(ngx_pool_t *p, ngx_chain_t **free);

/* the fuzz target's side: a fresh pool and list, and freeing them */
ngx_pool_t *ngx_stub_pool_create(void);
void ngx_stub_pool_destroy(ngx_pool_t *pool);
void ngx_stub_list_init(ngx_list_t *list, size_t size);
void ngx_stub_list_free(ngx_list_t *list);

#endif /* _NGX_CORE_H_INCLUDED_ */

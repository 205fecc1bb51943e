/*
 * ngx_stubs.c: the nginx functions ngx_http_spindle_response.c calls, for
 * the fuzz target module_reply_fuzz.c. Allocation is malloc, freed with the
 * pool; the body-filter helpers are not reached by process_header and abort.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

struct ngx_pool_s {
    void  **blocks;
    size_t  n;
};

ngx_module_t  ngx_http_upstream_module = { 0 };
ngx_module_t  ngx_http_spindle_module = { 0 };


void
ngx_log_error_core(ngx_uint_t level, ngx_log_t *log, ngx_err_t err,
    const char *fmt, ...)
{
    (void) err;

    if (level <= log->last_level) {
        log->last_level = level;
        log->last_fmt = fmt;
    }
}


void *
ngx_pnalloc(ngx_pool_t *pool, size_t size)
{
    void   *p, **blocks;

    blocks = realloc(pool->blocks, (pool->n + 1) * sizeof(void *));
    if (blocks == NULL) {
        abort();
    }
    pool->blocks = blocks;

    p = malloc(size);
    if (p == NULL) {
        abort();
    }
    pool->blocks[pool->n++] = p;
    return p;
}


ngx_pool_t *
ngx_stub_pool_create(void)
{
    ngx_pool_t  *pool;

    pool = calloc(1, sizeof(ngx_pool_t));
    if (pool == NULL) {
        abort();
    }
    return pool;
}


void
ngx_stub_pool_destroy(ngx_pool_t *pool)
{
    size_t  i;

    for (i = 0; i < pool->n; i++) {
        free(pool->blocks[i]);
    }
    free(pool->blocks);
    free(pool);
}


void
ngx_stub_list_init(ngx_list_t *list, size_t size)
{
    list->elts = NULL;
    list->nelts = 0;
    list->nalloc = 0;
    list->size = size;
}


void
ngx_stub_list_free(ngx_list_t *list)
{
    free(list->elts);
    list->elts = NULL;
    list->nelts = list->nalloc = 0;
}


void *
ngx_list_push(ngx_list_t *list)
{
    void  *elts;

    if (list->nelts == list->nalloc) {
        list->nalloc = list->nalloc ? 2 * list->nalloc : 8;
        elts = realloc(list->elts, list->nalloc * list->size);
        if (elts == NULL) {
            abort();
        }
        list->elts = elts;
    }
    return (u_char *) list->elts + list->size * list->nelts++;
}


/* as nginx's: lowercase copy and the ngx_hash() of the result */

ngx_uint_t
ngx_hash_strlow(u_char *dst, u_char *src, size_t n)
{
    ngx_uint_t  key = 0;
    u_char      c;

    while (n--) {
        c = *src++;
        *dst = (c >= 'A' && c <= 'Z') ? (u_char) (c | 0x20) : c;
        key = key * 31 + *dst;
        dst++;
    }
    return key;
}


void *
ngx_hash_find(ngx_hash_t *hash, ngx_uint_t key, u_char *name, size_t len)
{
    (void) hash;
    (void) key;
    (void) name;
    (void) len;
    return NULL;
}


ngx_chain_t *
ngx_chain_get_free_buf(ngx_pool_t *p, ngx_chain_t **free)
{
    (void) p;
    (void) free;
    fprintf(stderr, "ngx_stubs: ngx_chain_get_free_buf is not stubbed\n");
    abort();
}


ngx_int_t
ngx_event_pipe_add_free_buf(ngx_event_pipe_t *p, ngx_buf_t *b)
{
    (void) p;
    (void) b;
    fprintf(stderr, "ngx_stubs: ngx_event_pipe_add_free_buf is not stubbed\n");
    abort();
}

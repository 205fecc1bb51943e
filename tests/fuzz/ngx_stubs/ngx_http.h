/*
 * ngx_http.h (fuzz stub): the request, upstream and event-pipe fields that
 * ngx_http_spindle_response.c reads or writes, and nothing else.
 */

#ifndef _NGX_HTTP_H_INCLUDED_
#define _NGX_HTTP_H_INCLUDED_

#include <ngx_config.h>
#include <ngx_core.h>

#define NGX_HTTP_HEAD                     0x00000004
#define NGX_HTTP_NO_CONTENT               204
#define NGX_HTTP_NOT_MODIFIED             304
#define NGX_HTTP_UPSTREAM_INVALID_HEADER  40

typedef struct ngx_http_request_s  ngx_http_request_t;

typedef ngx_int_t (*ngx_http_header_handler_pt)(ngx_http_request_t *r,
    ngx_table_elt_t *h, ngx_uint_t offset);

typedef struct {
    ngx_str_t                    name;
    ngx_http_header_handler_pt   handler;
    ngx_uint_t                   offset;
} ngx_http_upstream_header_t;

typedef struct {
    ngx_hash_t                   headers_in_hash;
} ngx_http_upstream_main_conf_t;

typedef struct {
    size_t                       buffer_size;
} ngx_http_upstream_conf_t;

typedef struct {
    ngx_uint_t                   status;
} ngx_http_upstream_state_t;

typedef struct {
    ngx_list_t                   headers;
    ngx_uint_t                   status_n;
    off_t                        content_length_n;
    unsigned                     connection_close:1;  /* "Connection: close" */
} ngx_http_upstream_headers_in_t;

typedef struct {
    ngx_buf_tag_t                tag;
} ngx_output_chain_ctx_t;

typedef struct {
    ngx_chain_t                 *in;
    ngx_chain_t                **last_in;
    ngx_chain_t                 *free;
    void                        *input_ctx;
    off_t                        length;
    ngx_pool_t                  *pool;
    ngx_log_t                   *log;
    ngx_buf_tag_t                tag;
    unsigned                     upstream_done:1;
} ngx_event_pipe_t;

typedef struct {
    ngx_buf_t                        buffer;
    ngx_http_upstream_conf_t        *conf;
    ngx_http_upstream_headers_in_t   headers_in;
    ngx_http_upstream_state_t       *state;
    ngx_event_pipe_t                *pipe;
    ngx_chain_t                     *out_bufs;
    ngx_chain_t                     *free_bufs;
    ngx_output_chain_ctx_t           output;
    off_t                            length;
    unsigned                         keepalive:1;
} ngx_http_upstream_t;

typedef struct {
    ngx_log_t                       *log;
} ngx_connection_t;

struct ngx_http_request_s {
    ngx_connection_t                *connection;
    ngx_pool_t                      *pool;
    void                           **ctx;
    void                           **main_conf;
    ngx_http_upstream_t             *upstream;
    ngx_uint_t                       method;
    unsigned                         cached:1;
};

#define ngx_http_get_module_ctx(r, module)  (r)->ctx[(module).ctx_index]
#define ngx_http_get_module_main_conf(r, module)                             \
    (r)->main_conf[(module).ctx_index]

extern ngx_module_t  ngx_http_upstream_module;

ngx_int_t ngx_event_pipe_add_free_buf(ngx_event_pipe_t *p, ngx_buf_t *b);

#endif /* _NGX_HTTP_H_INCLUDED_ */

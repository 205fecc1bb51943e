
/*
 * ngx_http_spindle_module.h: types shared by the three source files of
 * ngx_http_spindle_module, an nginx upstream module that forwards requests
 * to spindled over the framed protocol of protocol/spindle_protocol.h.
 *
 *   ngx_http_spindle_module.c    directives, configuration, the handler
 *   ngx_http_spindle_request.c   the request frames (head, body, end)
 *   ngx_http_spindle_response.c  the response frames (head, body, end)
 *
 * Everything runs in an nginx worker's event loop (single-threaded).
 */


#ifndef _NGX_HTTP_SPINDLE_MODULE_H_INCLUDED_
#define _NGX_HTTP_SPINDLE_MODULE_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "spindle_protocol.h"


/* compiled spindle_param directives (see ngx_http_spindle_init_params) */
typedef struct {
    ngx_array_t               *flushes;
    ngx_array_t               *lengths;
    ngx_array_t               *values;
    ngx_uint_t                 number;
    ngx_uint_t                 compiled;    /* unsigned compiled:1; */
} ngx_http_spindle_params_t;


typedef struct {
    ngx_array_t                caches;  /* ngx_http_file_cache_t * */
} ngx_http_spindle_main_conf_t;


typedef struct {
    ngx_http_upstream_conf_t   upstream;

    ngx_http_spindle_params_t  params;
    ngx_array_t               *params_source;

    ngx_array_t               *spindle_lengths;
    ngx_array_t               *spindle_values;

    /* the daemon's limits (limits: in spindled.yaml), checked here first so
     * that an over-limit request is answered before a connection is used */
    ngx_uint_t                 max_headers;
    size_t                     max_head_size;
    size_t                     max_uri_length;

#if (NGX_HTTP_CACHE)
    ngx_http_complex_value_t   cache_key;
#endif
} ngx_http_spindle_loc_conf_t;


/* response parser states */
typedef enum {
    ngx_http_spindle_st_frame_header = 0,
    ngx_http_spindle_st_body,
    ngx_http_spindle_st_abort,
    ngx_http_spindle_st_done
} ngx_http_spindle_state_e;


typedef struct {
    /* response side */
    ngx_http_spindle_state_e   state;
    u_char                     header[SPINDLE_FRAME_HEADER_SIZE];
    size_t                     header_len;  /* bytes of header[] filled */
    size_t                     rest;        /* payload bytes left in frame */
    off_t                      received;    /* response body bytes */

    /* request side */
    ngx_chain_t               *free;
    ngx_chain_t               *busy;
    unsigned                   head_sent:1;
    unsigned                   end_sent:1;
} ngx_http_spindle_ctx_t;


/* buffers that the body output filter passes through unframed */
extern u_char  ngx_http_spindle_raw_tag;


extern ngx_module_t  ngx_http_spindle_module;


ngx_int_t ngx_http_spindle_create_request(ngx_http_request_t *r);
ngx_int_t ngx_http_spindle_reinit_request(ngx_http_request_t *r);
ngx_int_t ngx_http_spindle_process_header(ngx_http_request_t *r);
ngx_int_t ngx_http_spindle_input_filter_init(void *data);
ngx_int_t ngx_http_spindle_filter(ngx_event_pipe_t *p, ngx_buf_t *buf);
ngx_int_t ngx_http_spindle_non_buffered_filter(void *data, ssize_t bytes);
void ngx_http_spindle_abort_request(ngx_http_request_t *r);
void ngx_http_spindle_finalize_request(ngx_http_request_t *r, ngx_int_t rc);


#endif /* _NGX_HTTP_SPINDLE_MODULE_H_INCLUDED_ */


/*
 * ngx_http_spindle_request.c: builds the request frames sent to spindled.
 *
 * The REQUEST_HEAD frame (method, URI, path, protocol, the client's
 * address, the scheme and the host, spindle_param values and the request
 * headers in arrival order) is built in two passes,
 * the way the uwsgi module builds its packet: a length helper per part
 * (URI, params, headers) sizes it, then the matching write helper fills
 * one buffer through the codec's primitives (spindle_request_head_begin,
 * spindle_put_str, spindle_put_field), with no per-header allocation; a
 * bodiless request gets its REQUEST_END frame in the same buffer. A request body goes through
 * ngx_http_spindle_body_output_filter, installed as u->output.output_filter
 * like the proxy module's chunked body filter: each body buffer becomes a
 * REQUEST_BODY frame (split at the protocol's frame limit), and the end of
 * the body a REQUEST_END frame. With spindle_request_buffering off the
 * buffers arrive as nginx reads them, chunked uploads included.
 *
 * Worker event loop only.
 */


#include "ngx_http_spindle_module.h"


/* what one REQUEST_HEAD carries besides the strings, and its size */
typedef struct {
    off_t                          content_length;
    ngx_uint_t                     has_body;     /* a body follows */
    size_t                         uri_len;      /* the uri string's bytes */
    uintptr_t                      escape;       /* bytes escaping adds */
    ngx_uint_t                     nparams;
    ngx_uint_t                     nheaders;
    ngx_str_t                      scheme;       /* $scheme */
    ngx_str_t                      host;         /* $host */
    size_t                         payload;      /* the frame's payload */
} ngx_http_spindle_head_t;


/* the state of one pass over the forwarded request headers */
typedef struct {
    ngx_list_part_t               *part;
    ngx_uint_t                     i;
} ngx_http_spindle_headers_iter_t;


static void ngx_http_spindle_body_kind(ngx_http_request_t *r,
    ngx_http_spindle_loc_conf_t *slcf, ngx_http_spindle_head_t *h);
static size_t ngx_http_spindle_uri_len(ngx_http_request_t *r,
    ngx_http_spindle_head_t *h);
static u_char *ngx_http_spindle_write_uri(ngx_http_request_t *r,
    ngx_http_spindle_head_t *h, u_char *p);
static void ngx_http_spindle_scheme_host(ngx_http_request_t *r,
    ngx_http_spindle_head_t *h);
static ngx_uint_t ngx_http_spindle_param_lengths(ngx_http_script_engine_t *le,
    size_t *key_len, size_t *val_len);
static size_t ngx_http_spindle_params_len(ngx_http_request_t *r,
    ngx_http_spindle_params_t *params, ngx_uint_t *nparams);
static void ngx_http_spindle_run_codes(ngx_http_script_engine_t *e);
static u_char *ngx_http_spindle_write_params(ngx_http_request_t *r,
    ngx_http_spindle_params_t *params, u_char *p);
static ngx_table_elt_t *ngx_http_spindle_next_header(ngx_http_request_t *r,
    ngx_http_spindle_headers_iter_t *it);
static size_t ngx_http_spindle_headers_len(ngx_http_request_t *r,
    ngx_uint_t *nheaders);
static u_char *ngx_http_spindle_write_headers(ngx_http_request_t *r,
    u_char *p);
static ngx_int_t ngx_http_spindle_size_head(ngx_http_request_t *r,
    ngx_http_spindle_loc_conf_t *slcf, ngx_http_spindle_head_t *h);
static ngx_chain_t *ngx_http_spindle_write_head(ngx_http_request_t *r,
    ngx_http_spindle_loc_conf_t *slcf, ngx_http_spindle_head_t *h,
    ngx_uint_t end_inline);
static ngx_int_t ngx_http_spindle_chain_body(ngx_http_request_t *r,
    ngx_chain_t *head);
static ngx_chain_t *ngx_http_spindle_end_frame(ngx_http_request_t *r);
static ngx_int_t ngx_http_spindle_body_output_filter(void *data,
    ngx_chain_t *in);
static ngx_chain_t *ngx_http_spindle_frame_header_buf(ngx_http_request_t *r,
    ngx_http_spindle_ctx_t *ctx, ngx_uint_t type, size_t length);
static ngx_int_t ngx_http_spindle_split_buf(ngx_http_request_t *r,
    ngx_http_spindle_ctx_t *ctx, ngx_buf_t *b, ngx_chain_t ***ll);
static void ngx_http_spindle_sync_split(ngx_chain_t *cl);
#if (NGX_HTTP_CACHE)
static ngx_uint_t ngx_http_spindle_skip_cached(ngx_http_request_t *r,
    ngx_table_elt_t *h);
#endif


u_char  ngx_http_spindle_raw_tag;             /* head and end buffers */
static u_char  ngx_http_spindle_frame_tag;    /* our frame header buffers */
static u_char  ngx_http_spindle_piece_tag;    /* pieces of a split buffer */


ngx_int_t
ngx_http_spindle_create_request(ngx_http_request_t *r)
{
    ngx_uint_t                     end_inline;
    ngx_chain_t                   *cl;
    ngx_http_upstream_t           *u;
    ngx_http_spindle_ctx_t        *ctx;
    ngx_http_spindle_head_t        h;
    ngx_http_spindle_loc_conf_t   *slcf;

    u = r->upstream;
    ctx = ngx_http_get_module_ctx(r, ngx_http_spindle_module);
    slcf = ngx_http_get_module_loc_conf(r, ngx_http_spindle_module);

    ngx_http_spindle_body_kind(r, slcf, &h);

    if (ngx_http_spindle_size_head(r, slcf, &h) != NGX_OK) {
        return NGX_ERROR;
    }

    /* a bodiless request's REQUEST_END goes in the head's buffer */

    end_inline = !h.has_body;

    cl = ngx_http_spindle_write_head(r, slcf, &h, end_inline);
    if (cl == NULL) {
        return NGX_ERROR;
    }

    if (end_inline) {
        ctx->end_sent = 1;
    }

    ngx_log_debug4(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "spindle request head: %uz payload bytes, %ui params, "
                   "%ui headers, body %O", h.payload, h.nparams, h.nheaders,
                   h.has_body ? h.content_length : (off_t) 0);

    if (!h.has_body) {
        u->request_bufs = cl;
        cl->next = NULL;
        return NGX_OK;
    }

    u->output.output_filter = ngx_http_spindle_body_output_filter;
    u->output.filter_ctx = r;

    if (r->request_body_no_buffering) {

        /* the upstream appends body buffers as nginx reads them */

        u->request_bufs = cl;
        cl->next = NULL;
        return NGX_OK;
    }

    if (ngx_http_spindle_chain_body(r, cl) != NGX_OK) {
        return NGX_ERROR;
    }

    ctx->end_sent = 1;

    return NGX_OK;
}


/* what follows the head: nothing, a buffered body, or a stream */

static void
ngx_http_spindle_body_kind(ngx_http_request_t *r,
    ngx_http_spindle_loc_conf_t *slcf, ngx_http_spindle_head_t *h)
{
    ngx_chain_t  *cl;

    h->content_length = 0;
    h->has_body = 0;

    if (!slcf->upstream.pass_request_body) {
        return;
    }

    if (r->request_body_no_buffering) {

        if (r->headers_in.chunked) {
            h->content_length = -1;
            h->has_body = 1;

        } else if (r->headers_in.content_length_n > 0) {
            h->content_length = r->headers_in.content_length_n;
            h->has_body = 1;
        }

        return;
    }

    for (cl = r->upstream->request_bufs; cl; cl = cl->next) {
        h->content_length += ngx_buf_size(cl->buf);
    }

    h->has_body = (h->content_length > 0);
}


/* the URI as the client sent it, or as rewritten */

static size_t
ngx_http_spindle_uri_len(ngx_http_request_t *r, ngx_http_spindle_head_t *h)
{
    h->escape = 0;

    if (r->valid_unparsed_uri) {
        return r->unparsed_uri.len;
    }

    h->escape = 2 * ngx_escape_uri(NULL, r->uri.data, r->uri.len,
                                   NGX_ESCAPE_URI);

    return r->uri.len + h->escape + (r->args.len ? 1 + r->args.len : 0);
}


static u_char *
ngx_http_spindle_write_uri(ngx_http_request_t *r, ngx_http_spindle_head_t *h,
    u_char *p)
{
    p = spindle_put_u32(p, (uint32_t) h->uri_len);

    if (r->valid_unparsed_uri) {
        return ngx_cpymem(p, r->unparsed_uri.data, r->unparsed_uri.len);
    }

    if (h->escape) {
        ngx_escape_uri(p, r->uri.data, r->uri.len, NGX_ESCAPE_URI);
        p += r->uri.len + h->escape;

    } else {
        p = ngx_cpymem(p, r->uri.data, r->uri.len);
    }

    if (r->args.len) {
        *p++ = '?';
        p = ngx_cpymem(p, r->args.data, r->args.len);
    }

    return p;
}


/*
 * Runs one spindle_param's length codes (key, skip-empty flag, value
 * parts; see ngx_http_spindle_init_params) and returns whether the param
 * is skipped: an "if_not_empty" param whose value is empty.
 */

static ngx_uint_t
ngx_http_spindle_param_lengths(ngx_http_script_engine_t *le, size_t *key_len,
    size_t *val_len)
{
    ngx_uint_t                    skip_empty;
    ngx_http_script_len_code_pt   lcode;

    lcode = *(ngx_http_script_len_code_pt *) le->ip;
    *key_len = lcode(le);

    lcode = *(ngx_http_script_len_code_pt *) le->ip;
    skip_empty = lcode(le);

    for (*val_len = 0; *(uintptr_t *) le->ip; *val_len += lcode(le)) {
        lcode = *(ngx_http_script_len_code_pt *) le->ip;
    }
    le->ip += sizeof(uintptr_t);

    return skip_empty && *val_len == 0;
}


static size_t
ngx_http_spindle_params_len(ngx_http_request_t *r,
    ngx_http_spindle_params_t *params, ngx_uint_t *nparams)
{
    size_t                     len, key_len, val_len;
    ngx_http_script_engine_t   le;

    *nparams = 0;

    if (params->lengths == NULL) {
        return 0;
    }

    ngx_memzero(&le, sizeof(ngx_http_script_engine_t));

    ngx_http_script_flush_no_cacheable_variables(r, params->flushes);
    le.flushed = 1;

    le.ip = params->lengths->elts;
    le.request = r;

    for (len = 0; *(uintptr_t *) le.ip; /* void */) {

        if (ngx_http_spindle_param_lengths(&le, &key_len, &val_len)) {
            continue;
        }

        len += SPINDLE_FIELD_SIZE(key_len, val_len);
        (*nparams)++;
    }

    return len;
}


/* runs script codes up to the next terminator and steps past it */

static void
ngx_http_spindle_run_codes(ngx_http_script_engine_t *e)
{
    ngx_http_script_code_pt  code;

    while (*(uintptr_t *) e->ip) {
        code = *(ngx_http_script_code_pt *) e->ip;
        code(e);
    }
    e->ip += sizeof(uintptr_t);
}


/* the values' codes write each param; NULL if a value's length changed */

static u_char *
ngx_http_spindle_write_params(ngx_http_request_t *r,
    ngx_http_spindle_params_t *params, u_char *p)
{
    size_t                     key_len, val_len;
    u_char                    *val;
    ngx_http_script_code_pt    code;
    ngx_http_script_engine_t   e, le;

    if (params->lengths == NULL) {
        return p;
    }

    ngx_memzero(&e, sizeof(ngx_http_script_engine_t));
    ngx_memzero(&le, sizeof(ngx_http_script_engine_t));

    e.ip = params->values->elts;
    e.request = r;
    e.flushed = 1;

    le.ip = params->lengths->elts;
    le.request = r;
    le.flushed = 1;

    while (*(uintptr_t *) le.ip) {

        if (ngx_http_spindle_param_lengths(&le, &key_len, &val_len)) {
            e.skip = 1;     /* its codes run, and write nothing */
            ngx_http_spindle_run_codes(&e);
            e.skip = 0;
            continue;
        }

        /* the key: its length, then the key copy code */

        e.pos = spindle_put_u32(p, (uint32_t) key_len);

        code = *(ngx_http_script_code_pt *) e.ip;
        code(&e);

        /* the value: its length, then the value codes */

        e.pos = spindle_put_u32(e.pos, (uint32_t) val_len);
        val = e.pos;

        ngx_http_spindle_run_codes(&e);

        if (e.status || (size_t) (e.pos - val) != val_len) {
            ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                          "spindle param length mismatch");
            return NULL;
        }

        ngx_log_debug3(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "spindle param: \"%*s\" %uz bytes",
                       key_len, p + 4, val_len);

        p = e.pos;
    }

    return p;
}


/*
 * The next request header to forward, in arrival order, or NULL after the
 * last; it->part starts as NULL. Both passes walk the headers with it.
 */

static ngx_table_elt_t *
ngx_http_spindle_next_header(ngx_http_request_t *r,
    ngx_http_spindle_headers_iter_t *it)
{
    ngx_table_elt_t  *header;

    if (it->part == NULL) {
        it->part = &r->headers_in.headers.part;
        it->i = 0;
    }

    for ( ;; ) {

        if (it->i >= it->part->nelts) {
            if (it->part->next == NULL) {
                return NULL;
            }

            it->part = it->part->next;
            it->i = 0;
            continue;
        }

        header = (ngx_table_elt_t *) it->part->elts + it->i++;

#if (NGX_HTTP_CACHE)
        if (ngx_http_spindle_skip_cached(r, header)) {
            continue;
        }
#endif

        return header;
    }
}


static size_t
ngx_http_spindle_headers_len(ngx_http_request_t *r, ngx_uint_t *nheaders)
{
    size_t                            len;
    ngx_table_elt_t                  *header;
    ngx_http_spindle_headers_iter_t   it = { NULL, 0 };

    len = 0;

    for (*nheaders = 0; (header = ngx_http_spindle_next_header(r, &it));
         (*nheaders)++)
    {
        len += SPINDLE_FIELD_SIZE(header->key.len, header->value.len);
    }

    return len;
}


static u_char *
ngx_http_spindle_write_headers(ngx_http_request_t *r, u_char *p)
{
    ngx_table_elt_t                  *header;
    ngx_http_spindle_headers_iter_t   it = { NULL, 0 };

    while ((header = ngx_http_spindle_next_header(r, &it))) {
        p = spindle_put_field(p, header->key.data, (uint32_t) header->key.len,
                              header->value.data,
                              (uint32_t) header->value.len);
    }

    return p;
}


/*
 * $scheme and $host as nginx's own variables compute them: "https" on a TLS
 * connection; the validated Host (lowercased, no port, or the request
 * line's absolute URI host), else the server block's name.
 */

static void
ngx_http_spindle_scheme_host(ngx_http_request_t *r, ngx_http_spindle_head_t *h)
{
    ngx_http_core_srv_conf_t  *cscf;

    ngx_str_set(&h->scheme, "http");

#if (NGX_HTTP_SSL)
    if (r->connection->ssl) {
        ngx_str_set(&h->scheme, "https");
    }
#endif

    if (r->headers_in.server.len) {
        h->host = r->headers_in.server;

    } else {
        cscf = ngx_http_get_module_srv_conf(r, ngx_http_core_module);
        h->host = cscf->server_name;
    }
}


/* pass 1: the length of every field, checked against the protocol */

static ngx_int_t
ngx_http_spindle_size_head(ngx_http_request_t *r,
    ngx_http_spindle_loc_conf_t *slcf, ngx_http_spindle_head_t *h)
{
    h->uri_len = ngx_http_spindle_uri_len(r, h);
    ngx_http_spindle_scheme_host(r, h);

    /* the path the location was matched on (decoded, dot segments merged):
     * the daemon routes on it, never on the raw URI */

    h->payload = SPINDLE_REQUEST_HEAD_FIXED
                 + SPINDLE_STR_SIZE(r->method_name.len)
                 + SPINDLE_STR_SIZE(h->uri_len)
                 + SPINDLE_STR_SIZE(r->uri.len)
                 + SPINDLE_STR_SIZE(r->http_protocol.len)
                 + SPINDLE_STR_SIZE(r->connection->addr_text.len)
                 + SPINDLE_STR_SIZE(h->scheme.len)
                 + SPINDLE_STR_SIZE(h->host.len);

    h->payload += ngx_http_spindle_params_len(r, &slcf->params, &h->nparams);

    h->nheaders = 0;

    if (slcf->upstream.pass_request_headers) {
        h->payload += ngx_http_spindle_headers_len(r, &h->nheaders);
    }

    if (h->nheaders > SPINDLE_MAX_FIELDS) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "spindle request has too many headers: %ui, "
                      "the protocol allows %d", h->nheaders,
                      SPINDLE_MAX_FIELDS);
        return NGX_ERROR;
    }

    if (h->payload > SPINDLE_MAX_HEAD_SIZE) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "spindle request head too large: %uz bytes, "
                      "the protocol allows %d", h->payload,
                      SPINDLE_MAX_HEAD_SIZE);
        return NGX_ERROR;
    }

    return NGX_OK;
}


/* pass 2: one buffer, written in place (and REQUEST_END if end_inline) */

static ngx_chain_t *
ngx_http_spindle_write_head(ngx_http_request_t *r,
    ngx_http_spindle_loc_conf_t *slcf, ngx_http_spindle_head_t *h,
    ngx_uint_t end_inline)
{
    size_t        len;
    u_char       *p;
    ngx_buf_t    *b;
    ngx_chain_t  *cl;

    len = SPINDLE_FRAME_HEADER_SIZE + h->payload
          + (end_inline ? SPINDLE_FRAME_HEADER_SIZE : 0);

    b = ngx_create_temp_buf(r->pool, len);
    if (b == NULL) {
        return NULL;
    }

    b->tag = (ngx_buf_tag_t) &ngx_http_spindle_raw_tag;
    b->flush = 1;

    p = spindle_request_head_begin(b->last, (uint32_t) h->payload,
                                   h->has_body ? SPINDLE_REQUEST_HAS_BODY : 0,
                                   (uint16_t) h->nparams,
                                   (uint16_t) h->nheaders,
                                   (int64_t) h->content_length);

    p = spindle_put_str(p, r->method_name.data,
                        (uint32_t) r->method_name.len);
    p = ngx_http_spindle_write_uri(r, h, p);
    p = spindle_put_str(p, r->uri.data, (uint32_t) r->uri.len);
    p = spindle_put_str(p, r->http_protocol.data,
                        (uint32_t) r->http_protocol.len);
    p = spindle_put_str(p, r->connection->addr_text.data,
                        (uint32_t) r->connection->addr_text.len);
    p = spindle_put_str(p, h->scheme.data, (uint32_t) h->scheme.len);
    p = spindle_put_str(p, h->host.data, (uint32_t) h->host.len);

    p = ngx_http_spindle_write_params(r, &slcf->params, p);
    if (p == NULL) {
        return NULL;
    }

    if (slcf->upstream.pass_request_headers) {
        p = ngx_http_spindle_write_headers(r, p);
    }

    if (end_inline) {
        spindle_frame_header_encode(p, SPINDLE_FRAME_REQUEST_END, 0);
        p += SPINDLE_FRAME_HEADER_SIZE;
    }

    if (p != b->last + len) {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "spindle request length mismatch: "
                      "wrote %uz bytes, computed %uz",
                      (size_t) (p - b->last), len);
        return NULL;
    }

    b->last = p;

    cl = ngx_alloc_chain_link(r->pool);
    if (cl == NULL) {
        return NULL;
    }

    cl->buf = b;

    return cl;
}


/* a buffered body: [head] [copies of the body buffers] [end] */

static ngx_int_t
ngx_http_spindle_chain_body(ngx_http_request_t *r, ngx_chain_t *head)
{
    ngx_buf_t            *b;
    ngx_chain_t          *cl, *body, **ll;
    ngx_http_upstream_t  *u;

    u = r->upstream;

    body = u->request_bufs;
    u->request_bufs = head;
    ll = &head->next;

    for ( /* void */ ; body; body = body->next) {
        b = ngx_alloc_buf(r->pool);
        if (b == NULL) {
            return NGX_ERROR;
        }

        ngx_memcpy(b, body->buf, sizeof(ngx_buf_t));
        b->last_buf = 0;

        cl = ngx_alloc_chain_link(r->pool);
        if (cl == NULL) {
            return NGX_ERROR;
        }

        cl->buf = b;
        *ll = cl;
        ll = &cl->next;
    }

    cl = ngx_http_spindle_end_frame(r);
    if (cl == NULL) {
        return NGX_ERROR;
    }

    *ll = cl;

    return NGX_OK;
}


/* the REQUEST_END after a buffered body: the last buffer of the request */

static ngx_chain_t *
ngx_http_spindle_end_frame(ngx_http_request_t *r)
{
    ngx_buf_t    *b;
    ngx_chain_t  *cl;

    b = ngx_create_temp_buf(r->pool, SPINDLE_FRAME_HEADER_SIZE);
    if (b == NULL) {
        return NULL;
    }

    spindle_frame_header_encode(b->last, SPINDLE_FRAME_REQUEST_END, 0);
    b->last += SPINDLE_FRAME_HEADER_SIZE;
    b->tag = (ngx_buf_tag_t) &ngx_http_spindle_raw_tag;
    b->flush = 1;
    b->last_buf = 1;

    cl = ngx_alloc_chain_link(r->pool);
    if (cl == NULL) {
        return NULL;
    }

    cl->buf = b;
    cl->next = NULL;

    return cl;
}


ngx_int_t
ngx_http_spindle_reinit_request(ngx_http_request_t *r)
{
    ngx_http_spindle_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_spindle_module);

    if (ctx == NULL) {
        return NGX_OK;
    }

    /* the upstream rewinds u->request_bufs; our frame state starts over */

    ctx->state = ngx_http_spindle_st_frame_header;
    ctx->header_len = 0;
    ctx->rest = 0;
    ctx->received = 0;
    ctx->free = NULL;
    ctx->busy = NULL;

    return NGX_OK;
}


/*
 * Frames the request body on its way to spindled. Buffers tagged raw (the
 * head, the end of a buffered body) pass as they are; every other buffer
 * is body data and gets a REQUEST_BODY frame header in front of it. The
 * buffers themselves are passed to the chain writer, so that whoever owns
 * them (the request body reader, ngx_output_chain) sees them consumed.
 */

static ngx_int_t
ngx_http_spindle_body_output_filter(void *data, ngx_chain_t *in)
{
    ngx_http_request_t  *r = data;

    off_t                    size;
    ngx_int_t                rc;
    ngx_buf_t               *b;
    ngx_chain_t             *out, *cl, *tl, **ll;
    ngx_http_spindle_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_spindle_module);

    out = NULL;
    ll = &out;

    for (cl = in; cl; cl = cl->next) {
        b = cl->buf;

        if (b->tag == (ngx_buf_tag_t) &ngx_http_spindle_raw_tag) {
            tl = ngx_alloc_chain_link(r->pool);
            if (tl == NULL) {
                return NGX_ERROR;
            }

            tl->buf = b;
            *ll = tl;
            ll = &tl->next;
            continue;
        }

        size = ngx_buf_size(b);

        if (size > SPINDLE_MAX_BODY_FRAME) {
            if (ngx_http_spindle_split_buf(r, ctx, b, &ll) != NGX_OK) {
                return NGX_ERROR;
            }

        } else if (size > 0) {
            tl = ngx_http_spindle_frame_header_buf(r, ctx,
                                                   SPINDLE_FRAME_REQUEST_BODY,
                                                   (size_t) size);
            if (tl == NULL) {
                return NGX_ERROR;
            }

            *ll = tl;
            ll = &tl->next;

            tl = ngx_alloc_chain_link(r->pool);
            if (tl == NULL) {
                return NGX_ERROR;
            }

            tl->buf = b;
            *ll = tl;
            ll = &tl->next;
        }

        if (b->last_buf && r->request_body_no_buffering && !ctx->end_sent) {
            tl = ngx_http_spindle_frame_header_buf(r, ctx,
                                                   SPINDLE_FRAME_REQUEST_END,
                                                   0);
            if (tl == NULL) {
                return NGX_ERROR;
            }

            *ll = tl;
            ll = &tl->next;

            ctx->end_sent = 1;
        }
    }

    *ll = NULL;

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "spindle body output filter, end: %ui",
                   (ngx_uint_t) ctx->end_sent);

    rc = ngx_chain_writer(&r->upstream->writer, out);

    ngx_http_spindle_sync_split(ctx->busy);
    ngx_http_spindle_sync_split(out);

    ngx_chain_update_chains(r->pool, &ctx->free, &ctx->busy, &out,
                            (ngx_buf_tag_t) &ngx_http_spindle_frame_tag);

    return rc;
}


static ngx_chain_t *
ngx_http_spindle_frame_header_buf(ngx_http_request_t *r,
    ngx_http_spindle_ctx_t *ctx, ngx_uint_t type, size_t length)
{
    ngx_buf_t    *b;
    ngx_chain_t  *cl;

    cl = ngx_chain_get_free_buf(r->pool, &ctx->free);
    if (cl == NULL) {
        return NULL;
    }

    b = cl->buf;

    if (b->start == NULL) {
        b->start = ngx_palloc(r->pool, SPINDLE_FRAME_HEADER_SIZE);
        if (b->start == NULL) {
            return NULL;
        }

        b->end = b->start + SPINDLE_FRAME_HEADER_SIZE;
    }

    b->tag = (ngx_buf_tag_t) &ngx_http_spindle_frame_tag;
    b->temporary = 1;
    b->memory = 0;
    b->pos = b->start;
    spindle_frame_header_encode(b->pos, (uint8_t) type, (uint32_t) length);
    b->last = b->pos + SPINDLE_FRAME_HEADER_SIZE;

    cl->next = NULL;

    return cl;
}


/*
 * A buffer larger than one frame may carry (a big in-memory body, or a
 * body in a temp file sent with sendfile) is sent as several pieces, each
 * behind its own frame header. The pieces shadow the buffer; when the last
 * piece is sent, ngx_http_spindle_sync_split marks the buffer consumed.
 */

static ngx_int_t
ngx_http_spindle_split_buf(ngx_http_request_t *r, ngx_http_spindle_ctx_t *ctx,
    ngx_buf_t *b, ngx_chain_t ***ll)
{
    off_t         size, offset, n;
    ngx_buf_t    *piece;
    ngx_chain_t  *tl;

    size = ngx_buf_size(b);

    for (offset = 0; offset < size; offset += n) {
        n = ngx_min(size - offset, SPINDLE_MAX_BODY_FRAME);

        tl = ngx_http_spindle_frame_header_buf(r, ctx,
                                               SPINDLE_FRAME_REQUEST_BODY,
                                               (size_t) n);
        if (tl == NULL) {
            return NGX_ERROR;
        }

        **ll = tl;
        *ll = &tl->next;

        piece = ngx_alloc_buf(r->pool);
        if (piece == NULL) {
            return NGX_ERROR;
        }

        ngx_memcpy(piece, b, sizeof(ngx_buf_t));

        if (ngx_buf_in_memory(b)) {
            piece->pos = b->pos + offset;
            piece->last = piece->pos + n;
            piece->in_file = 0;

        } else {
            piece->file_pos = b->file_pos + offset;
            piece->file_last = piece->file_pos + n;
        }

        piece->tag = (ngx_buf_tag_t) &ngx_http_spindle_piece_tag;
        piece->last_buf = 0;
        piece->shadow = b;
        piece->last_shadow = (offset + n == size);

        tl = ngx_alloc_chain_link(r->pool);
        if (tl == NULL) {
            return NGX_ERROR;
        }

        tl->buf = piece;
        tl->next = NULL;
        **ll = tl;
        *ll = &tl->next;
    }

    return NGX_OK;
}


static void
ngx_http_spindle_sync_split(ngx_chain_t *cl)
{
    ngx_buf_t  *b, *orig;

    for ( /* void */ ; cl; cl = cl->next) {
        b = cl->buf;

        if (b->tag != (ngx_buf_tag_t) &ngx_http_spindle_piece_tag
            || !b->last_shadow || b->shadow == NULL || ngx_buf_size(b) != 0)
        {
            continue;
        }

        orig = b->shadow;
        orig->pos = orig->last;
        orig->file_pos = orig->file_last;
        b->shadow = NULL;
    }
}


#if (NGX_HTTP_CACHE)

/*
 * A response fetched for the cache must be the full, unconditional one:
 * nginx answers conditional and range requests from the cache itself (the
 * uwsgi module blanks the same headers in its cache params).
 */

static ngx_uint_t
ngx_http_spindle_skip_cached(ngx_http_request_t *r, ngx_table_elt_t *h)
{
    ngx_uint_t  i;

    static ngx_str_t  conditional[] = {
        ngx_string("if-modified-since"),
        ngx_string("if-unmodified-since"),
        ngx_string("if-none-match"),
        ngx_string("if-match"),
        ngx_string("range"),
        ngx_string("if-range"),
        ngx_null_string
    };

    if (!r->upstream->cacheable) {
        return 0;
    }

    for (i = 0; conditional[i].len; i++) {
        if (h->key.len == conditional[i].len
            && ngx_strncasecmp(h->key.data, conditional[i].data,
                               conditional[i].len) == 0)
        {
            return 1;
        }
    }

    return 0;
}

#endif


/*
 * ngx_http_spindle_response.c: reads spindled's reply.
 *
 * process_header decodes the RESPONSE_HEAD frame from u->buffer into
 * u->headers_in, running each header through the upstream module's
 * headers_in handlers the way the proxy module does, so that
 * spindle_hide_header / spindle_pass_header / spindle_ignore_headers,
 * X-Accel-* and Content-Type / Content-Length work unchanged. Two input
 * filters then unwrap the RESPONSE_BODY frames: one for the event pipe
 * (spindle_buffering on), one for u->buffer (buffering off), both on one
 * frame parser that keeps a frame header split across reads in the ctx.
 * u->keepalive is set only once RESPONSE_END has been seen with nothing
 * after it, and never after a "Connection: close" response header (the
 * daemon's notice that it closes the connection after this response, e.g.
 * while draining), so only a cleanly finished connection the daemon keeps
 * goes back to `upstream { keepalive N; }`. Malformed input is logged as "upstream sent
 * invalid ..." and fails the request (502 while no header has been sent).
 * A cache hit replays the stored head through process_header; the stored
 * body is the unwrapped one (what the pipe filter produced).
 *
 * Worker event loop only.
 */


#include "ngx_http_spindle_module.h"


static ngx_int_t ngx_http_spindle_parse_head(ngx_http_request_t *r,
    const u_char *payload, size_t len);
static ngx_int_t ngx_http_spindle_push_header(ngx_http_request_t *r,
    spindle_field_t *f, u_char **p);
static ngx_int_t ngx_http_spindle_parse(ngx_http_request_t *r,
    ngx_http_spindle_ctx_t *ctx, u_char **pos, u_char *last,
    u_char **data, u_char **data_end);
static ngx_buf_t *ngx_http_spindle_pipe_piece(ngx_event_pipe_t *p,
    ngx_buf_t *buf, u_char *data, u_char *data_end);
static ngx_int_t ngx_http_spindle_body_piece(ngx_http_request_t *r,
    ngx_http_spindle_ctx_t *ctx, u_char **pos, u_char *last, u_char **data,
    u_char **data_end);
static ngx_int_t ngx_http_spindle_frame_header(ngx_http_request_t *r,
    ngx_http_spindle_ctx_t *ctx, u_char **pos, u_char *last);
static ngx_int_t ngx_http_spindle_end(ngx_http_request_t *r,
    ngx_http_spindle_ctx_t *ctx);
static off_t ngx_http_spindle_wanted(ngx_http_spindle_ctx_t *ctx);


ngx_int_t
ngx_http_spindle_process_header(ngx_http_request_t *r)
{
    size_t                   n;
    ngx_int_t                rc;
    ngx_buf_t               *b;
    ngx_http_upstream_t     *u;
    ngx_http_spindle_ctx_t  *ctx;
    spindle_frame_header_t   fh;

    u = r->upstream;
    b = &u->buffer;

    ctx = ngx_http_get_module_ctx(r, ngx_http_spindle_module);
    if (ctx == NULL) {
        return NGX_ERROR;
    }

    n = b->last - b->pos;

    rc = spindle_frame_header_decode(b->pos, n, NULL, &fh);

    if (rc == SPINDLE_AGAIN) {
        return NGX_AGAIN;
    }

    if (rc != SPINDLE_OK) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "upstream sent invalid frame header (%s)",
                      spindle_strerror(rc));
        return NGX_HTTP_UPSTREAM_INVALID_HEADER;
    }

    if (fh.type != SPINDLE_FRAME_RESPONSE_HEAD) {

        if (fh.type == SPINDLE_FRAME_ABORT) {
            if (n < SPINDLE_FRAME_HEADER_SIZE + fh.length) {
                return NGX_AGAIN;
            }

            ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                          "upstream aborted the request: \"%*s\"",
                          (size_t) fh.length,
                          b->pos + SPINDLE_FRAME_HEADER_SIZE);
            return NGX_HTTP_UPSTREAM_INVALID_HEADER;
        }

        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "upstream sent invalid frame (unexpected %s frame "
                      "before the response head)",
                      spindle_frame_name(fh.type));
        return NGX_HTTP_UPSTREAM_INVALID_HEADER;
    }

    if ((size_t) fh.length > (size_t) (b->end - b->start)
                             - SPINDLE_FRAME_HEADER_SIZE)
    {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "upstream sent too big response head: %uD bytes, "
                      "\"spindle_buffer_size\" is %uz",
                      fh.length, u->conf->buffer_size);
        return NGX_HTTP_UPSTREAM_INVALID_HEADER;
    }

    if (n < SPINDLE_FRAME_HEADER_SIZE + fh.length) {
        return NGX_AGAIN;
    }

    rc = ngx_http_spindle_parse_head(r, b->pos + SPINDLE_FRAME_HEADER_SIZE,
                                     fh.length);
    if (rc != NGX_OK) {
        return rc;
    }

    b->pos += SPINDLE_FRAME_HEADER_SIZE + fh.length;

    /*
     * a response without a body usually has its end frame in the same
     * read; seeing it now lets HEAD, 204 and 304 replies, whose upstream
     * request nginx finalizes right after the header, keep the connection
     */

    n = b->last - b->pos;

    if (n == SPINDLE_FRAME_HEADER_SIZE
        && !r->cached
        && spindle_frame_header_decode(b->pos, n, NULL, &fh) == SPINDLE_OK
        && fh.type == SPINDLE_FRAME_RESPONSE_END)
    {
        if (ngx_http_spindle_end(r, ctx) != NGX_OK) {
            return NGX_HTTP_UPSTREAM_INVALID_HEADER;
        }

        b->pos += SPINDLE_FRAME_HEADER_SIZE;
        ctx->state = ngx_http_spindle_st_done;
        u->keepalive = !u->headers_in.connection_close;
    }

    return NGX_OK;
}


/*
 * Two passes over the RESPONSE_HEAD payload with the codec's field
 * iterator: the first validates it (the header name and value checks are
 * the codec's) and sizes one allocation for every header's key, value and
 * lowercase key; the second fills u->headers_in.
 */

static ngx_int_t
ngx_http_spindle_parse_head(ngx_http_request_t *r, const u_char *payload,
    size_t len)
{
    u_char               *p;
    size_t                size;
    uint16_t              status;
    ngx_int_t             rc;
    spindle_field_t       f;
    spindle_fields_t      it;
    spindle_status_t      st;
    ngx_http_upstream_t  *u;

    u = r->upstream;

    st = spindle_response_head_open(payload, len, &status, &it);
    size = 0;

    if (st == SPINDLE_OK) {
        while ((st = spindle_fields_next(&it, &f)) == SPINDLE_OK) {
            size += 2 * (size_t) f.name.len + 1 + f.value.len + 1;
        }
    }

    if (st != SPINDLE_DONE) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "upstream sent invalid response head (%s)",
                      spindle_strerror(st));
        return NGX_HTTP_UPSTREAM_INVALID_HEADER;
    }

    p = NULL;

    if (size) {
        p = ngx_pnalloc(r->pool, size);
        if (p == NULL) {
            return NGX_ERROR;
        }
    }

    (void) spindle_response_head_open(payload, len, &status, &it);

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "spindle status %ui, %ui headers",
                   (ngx_uint_t) status, (ngx_uint_t) it.left);

    while (spindle_fields_next(&it, &f) == SPINDLE_OK) {
        rc = ngx_http_spindle_push_header(r, &f, &p);
        if (rc != NGX_OK) {
            return rc;
        }
    }

    u->headers_in.status_n = status;

    if (u->state && u->state->status == 0) {
        u->state->status = status;
    }

    return NGX_OK;
}


/*
 * One validated header into u->headers_in, its strings copied to *p, and
 * through the upstream module's headers_in handler for its name.
 */

static ngx_int_t
ngx_http_spindle_push_header(ngx_http_request_t *r, spindle_field_t *f,
    u_char **p)
{
    ngx_table_elt_t                 *h;
    ngx_http_upstream_t             *u;
    ngx_http_upstream_header_t      *hh;
    ngx_http_upstream_main_conf_t   *umcf;

    u = r->upstream;
    umcf = ngx_http_get_module_main_conf(r, ngx_http_upstream_module);

    h = ngx_list_push(&u->headers_in.headers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    h->key.len = f->name.len;
    h->key.data = *p;
    *p = ngx_cpymem(*p, f->name.data, f->name.len);
    *(*p)++ = '\0';

    h->value.len = f->value.len;
    h->value.data = *p;
    *p = ngx_cpymem(*p, f->value.data, f->value.len);
    *(*p)++ = '\0';

    h->lowcase_key = *p;
    h->hash = ngx_hash_strlow(h->lowcase_key, h->key.data, h->key.len);
    *p += f->name.len;

    hh = ngx_hash_find(&umcf->headers_in_hash, h->hash,
                       h->lowcase_key, h->key.len);

    if (hh && hh->handler(r, h, hh->offset) != NGX_OK) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "upstream sent invalid header \"%V: %V\"",
                      &h->key, &h->value);
        return NGX_HTTP_UPSTREAM_INVALID_HEADER;
    }

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "spindle header: \"%V: %V\"", &h->key, &h->value);

    return NGX_OK;
}


ngx_int_t
ngx_http_spindle_input_filter_init(void *data)
{
    ngx_http_request_t  *r = data;

    ngx_http_upstream_t     *u;
    ngx_http_spindle_ctx_t  *ctx;

    u = r->upstream;
    ctx = ngx_http_get_module_ctx(r, ngx_http_spindle_module);

    if (ctx == NULL) {
        return NGX_ERROR;
    }

    /*
     * u->length and p->length only say "done" (0) or "not yet" (the bytes
     * the parser needs next); -1 would let an early close pass as the end
     */

    u->length = (ctx->state == ngx_http_spindle_st_done) ? 0 : 1;
    u->pipe->length = ngx_http_spindle_wanted(ctx);

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "spindle filter init, done: %ui",
                   (ngx_uint_t) (u->length == 0));

    return NGX_OK;
}


/* the event pipe's input filter (spindle_buffering on) */

ngx_int_t
ngx_http_spindle_filter(ngx_event_pipe_t *p, ngx_buf_t *buf)
{
    u_char                  *pos, *data, *data_end;
    ngx_int_t                rc;
    ngx_buf_t               *b, **prev;
    ngx_http_request_t      *r;
    ngx_http_upstream_t     *u;
    ngx_http_spindle_ctx_t  *ctx;

    if (buf->pos == buf->last) {
        return NGX_OK;
    }

    r = p->input_ctx;
    u = r->upstream;
    ctx = ngx_http_get_module_ctx(r, ngx_http_spindle_module);

    if (ctx == NULL) {
        return NGX_ERROR;
    }

    if (p->upstream_done) {
        ngx_log_debug0(NGX_LOG_DEBUG_HTTP, p->log, 0,
                       "spindle data after close");
        return NGX_OK;
    }

    if (ctx->state == ngx_http_spindle_st_done) {
        ngx_log_error(NGX_LOG_WARN, p->log, 0,
                      "upstream sent data after the response end frame");
        u->keepalive = 0;
        p->upstream_done = 1;
        return NGX_OK;
    }

    b = NULL;
    prev = &buf->shadow;
    pos = buf->pos;

    for ( ;; ) {
        rc = ngx_http_spindle_parse(r, ctx, &pos, buf->last, &data, &data_end);

        if (rc == NGX_OK) {
            b = ngx_http_spindle_pipe_piece(p, buf, data, data_end);
            if (b == NULL) {
                return NGX_ERROR;
            }

            *prev = b;
            prev = &b->shadow;

            continue;
        }

        if (rc == NGX_DONE) {
            p->length = 0;
            u->keepalive = (pos == buf->last)
                           && !u->headers_in.connection_close;

            if (pos != buf->last) {
                ngx_log_error(NGX_LOG_WARN, p->log, 0,
                              "upstream sent data after the response "
                              "end frame");
            }

            break;
        }

        if (rc == NGX_AGAIN) {
            p->length = ngx_http_spindle_wanted(ctx);
            break;
        }

        return NGX_ERROR;
    }

    buf->pos = buf->last;

    if (b) {
        b->shadow = buf;
        b->last_shadow = 1;

        ngx_log_debug2(NGX_LOG_DEBUG_HTTP, p->log, 0,
                       "spindle input buf #%d %p", b->num, b->pos);

        return NGX_OK;
    }

    /* no body data in this buffer: give it back */

    if (ngx_event_pipe_add_free_buf(p, buf) != NGX_OK) {
        return NGX_ERROR;
    }

    return NGX_OK;
}


/* a piece of body for the pipe's input chain: a shadow of the raw buffer */

static ngx_buf_t *
ngx_http_spindle_pipe_piece(ngx_event_pipe_t *p, ngx_buf_t *buf, u_char *data,
    u_char *data_end)
{
    ngx_buf_t    *b;
    ngx_chain_t  *cl;

    cl = ngx_chain_get_free_buf(p->pool, &p->free);
    if (cl == NULL) {
        return NULL;
    }

    b = cl->buf;

    ngx_memzero(b, sizeof(ngx_buf_t));

    b->pos = data;
    b->last = data_end;
    b->start = buf->start;
    b->end = buf->end;
    b->tag = p->tag;
    b->temporary = 1;
    b->recycled = 1;

    if (p->in) {
        *p->last_in = cl;
    } else {
        p->in = cl;
    }
    p->last_in = &cl->next;

    b->num = buf->num;  /* buffer number for the debug log */

    return b;
}


/* the input filter for u->buffer (spindle_buffering off) */

ngx_int_t
ngx_http_spindle_non_buffered_filter(void *data, ssize_t bytes)
{
    ngx_http_request_t  *r = data;

    u_char                  *pos, *last, *chunk, *chunk_end;
    ngx_int_t                rc;
    ngx_buf_t               *b, *buf;
    ngx_chain_t             *cl, **ll;
    ngx_http_upstream_t     *u;
    ngx_http_spindle_ctx_t  *ctx;

    u = r->upstream;
    ctx = ngx_http_get_module_ctx(r, ngx_http_spindle_module);

    if (ctx == NULL) {
        return NGX_ERROR;
    }

    buf = &u->buffer;

    pos = buf->last;
    last = buf->last + bytes;

    buf->pos = pos;
    buf->last = last;

    if (ctx->state == ngx_http_spindle_st_done) {
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "upstream sent data after the response end frame");
        u->keepalive = 0;
        buf->pos = last;
        return NGX_OK;
    }

    for (cl = u->out_bufs, ll = &u->out_bufs; cl; cl = cl->next) {
        ll = &cl->next;
    }

    for ( ;; ) {
        rc = ngx_http_spindle_parse(r, ctx, &pos, last, &chunk, &chunk_end);

        if (rc == NGX_OK) {
            cl = ngx_chain_get_free_buf(r->pool, &u->free_bufs);
            if (cl == NULL) {
                return NGX_ERROR;
            }

            *ll = cl;
            ll = &cl->next;

            b = cl->buf;

            b->flush = 1;
            b->memory = 1;

            b->pos = chunk;
            b->last = chunk_end;
            b->tag = u->output.tag;

            continue;
        }

        if (rc == NGX_DONE) {
            u->length = 0;
            u->keepalive = (pos == last) && !u->headers_in.connection_close;

            if (pos != last) {
                ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                              "upstream sent data after the response "
                              "end frame");
            }

            break;
        }

        if (rc == NGX_AGAIN) {
            break;
        }

        return NGX_ERROR;
    }

    buf->pos = last;

    return NGX_OK;
}


/*
 * The response body frame parser. Returns NGX_OK with one piece of body
 * in [*data, *data_end), NGX_AGAIN when [*pos, last) is used up, NGX_DONE
 * after RESPONSE_END, NGX_ERROR (logged) on a malformed or aborted reply.
 */

static ngx_int_t
ngx_http_spindle_parse(ngx_http_request_t *r, ngx_http_spindle_ctx_t *ctx,
    u_char **pos, u_char *last, u_char **data, u_char **data_end)
{
    size_t     n;
    ngx_int_t  rc;

    for ( ;; ) {

        switch (ctx->state) {

        case ngx_http_spindle_st_done:
            return NGX_DONE;

        case ngx_http_spindle_st_body:

            if (*pos == last) {
                return NGX_AGAIN;
            }

            return ngx_http_spindle_body_piece(r, ctx, pos, last, data,
                                               data_end);

        case ngx_http_spindle_st_abort:

            n = ngx_min(ctx->rest, (size_t) (last - *pos));
            *pos += n;
            ctx->rest -= n;

            if (ctx->rest) {
                return NGX_AGAIN;
            }

            ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                          "upstream aborted the response");
            return NGX_ERROR;

        case ngx_http_spindle_st_frame_header:

            rc = ngx_http_spindle_frame_header(r, ctx, pos, last);
            if (rc != NGX_OK) {
                return rc;
            }

            break;
        }
    }
}


/* the next piece of a RESPONSE_BODY frame's payload: [*pos, last) is not
 * empty */

static ngx_int_t
ngx_http_spindle_body_piece(ngx_http_request_t *r,
    ngx_http_spindle_ctx_t *ctx, u_char **pos, u_char *last, u_char **data,
    u_char **data_end)
{
    size_t  n;

    n = ngx_min(ctx->rest, (size_t) (last - *pos));

    *data = *pos;
    *pos += n;
    *data_end = *pos;

    ctx->rest -= n;
    ctx->received += n;

    if (ctx->rest == 0) {
        ctx->state = ngx_http_spindle_st_frame_header;
    }

    if (r->upstream->headers_in.content_length_n >= 0
        && ctx->received > r->upstream->headers_in.content_length_n
        && r->method != NGX_HTTP_HEAD)
    {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "upstream sent more data than specified in "
                      "\"Content-Length\" header");
        return NGX_ERROR;
    }

    return NGX_OK;
}


/*
 * Reads one frame header (kept in ctx->header when split across reads)
 * and moves to the state its type starts. NGX_OK: go on parsing; NGX_AGAIN,
 * NGX_DONE and NGX_ERROR (logged) as for ngx_http_spindle_parse.
 */

static ngx_int_t
ngx_http_spindle_frame_header(ngx_http_request_t *r,
    ngx_http_spindle_ctx_t *ctx, u_char **pos, u_char *last)
{
    size_t                   n;
    u_char                  *h;
    spindle_status_t         rc;
    spindle_frame_header_t   fh;

    if (ctx->header_len == 0
        && (size_t) (last - *pos) >= SPINDLE_FRAME_HEADER_SIZE)
    {
        h = *pos;
        *pos += SPINDLE_FRAME_HEADER_SIZE;

    } else {

        /* a frame header split across reads */

        n = ngx_min(SPINDLE_FRAME_HEADER_SIZE - ctx->header_len,
                    (size_t) (last - *pos));

        ngx_memcpy(ctx->header + ctx->header_len, *pos, n);
        ctx->header_len += n;
        *pos += n;

        if (ctx->header_len < SPINDLE_FRAME_HEADER_SIZE) {
            return NGX_AGAIN;
        }

        ctx->header_len = 0;
        h = ctx->header;
    }

    rc = spindle_frame_header_decode(h, SPINDLE_FRAME_HEADER_SIZE, NULL, &fh);
    if (rc != SPINDLE_OK) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "upstream sent invalid frame header (%s)",
                      spindle_strerror(rc));
        return NGX_ERROR;
    }

    switch (fh.type) {

    case SPINDLE_FRAME_RESPONSE_BODY:
        ctx->state = ngx_http_spindle_st_body;
        ctx->rest = fh.length;
        return NGX_OK;

    case SPINDLE_FRAME_RESPONSE_END:
        if (ngx_http_spindle_end(r, ctx) != NGX_OK) {
            return NGX_ERROR;
        }

        ctx->state = ngx_http_spindle_st_done;
        return NGX_DONE;

    case SPINDLE_FRAME_ABORT:
        if (fh.length == 0) {
            ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                          "upstream aborted the response");
            return NGX_ERROR;
        }

        ctx->state = ngx_http_spindle_st_abort;
        ctx->rest = fh.length;
        return NGX_OK;

    default:
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "upstream sent invalid frame (unexpected %s "
                      "frame in the response body)",
                      spindle_frame_name(fh.type));
        return NGX_ERROR;
    }
}


/* RESPONSE_END: the body must have matched a Content-Length it declared */

static ngx_int_t
ngx_http_spindle_end(ngx_http_request_t *r, ngx_http_spindle_ctx_t *ctx)
{
    ngx_http_upstream_t  *u;

    u = r->upstream;

    if (u->headers_in.content_length_n > 0
        && ctx->received != u->headers_in.content_length_n
        && r->method != NGX_HTTP_HEAD
        && u->headers_in.status_n != NGX_HTTP_NO_CONTENT
        && u->headers_in.status_n != NGX_HTTP_NOT_MODIFIED)
    {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "upstream sent invalid response (end frame after %O "
                      "of %O body bytes declared in \"Content-Length\")",
                      ctx->received, u->headers_in.content_length_n);
        return NGX_ERROR;
    }

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "spindle response end, %O body bytes", ctx->received);

    return NGX_OK;
}


/* the fewest bytes the pipe should gather before calling the filter */

static off_t
ngx_http_spindle_wanted(ngx_http_spindle_ctx_t *ctx)
{
    switch (ctx->state) {

    case ngx_http_spindle_st_done:
        return 0;

    case ngx_http_spindle_st_body:
        return (off_t) ctx->rest + SPINDLE_FRAME_HEADER_SIZE;

    case ngx_http_spindle_st_abort:
        return (off_t) ctx->rest;

    default: /* ngx_http_spindle_st_frame_header */
        return (off_t) (SPINDLE_FRAME_HEADER_SIZE - ctx->header_len);
    }
}


void
ngx_http_spindle_abort_request(ngx_http_request_t *r)
{
    ngx_log_debug0(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "abort http spindle request");
    return;
}


void
ngx_http_spindle_finalize_request(ngx_http_request_t *r, ngx_int_t rc)
{
    ngx_log_debug0(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "finalize http spindle request");
    return;
}

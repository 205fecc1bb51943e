
/*
 * ngx_http_spindle_request.c: builds the request frames sent to spindled.
 *
 * The REQUEST_HEAD frame (method, URI, protocol, spindle_param values and
 * the request headers in arrival order) is sized first and then written
 * into one buffer, with no per-header allocation; a bodiless request gets
 * its REQUEST_END frame in the same buffer. A request body goes through
 * ngx_http_spindle_body_output_filter, installed as u->output.output_filter
 * like the proxy module's chunked body filter: each body buffer becomes a
 * REQUEST_BODY frame (split at the protocol's frame limit), and the end of
 * the body a REQUEST_END frame. With spindle_request_buffering off the
 * buffers arrive as nginx reads them, chunked uploads included.
 *
 * Worker event loop only.
 */


#include "ngx_http_spindle_module.h"


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
    off_t                          content_length;
    size_t                         len, payload, key_len, val_len, uri_len;
    u_char                        *p, *val;
    uintptr_t                      escape;
    ngx_buf_t                     *b;
    ngx_uint_t                     i, nparams, nheaders, skip_empty, has_body;
    ngx_uint_t                     end_inline;
    ngx_chain_t                   *cl, *body, **ll;
    ngx_list_part_t               *part;
    ngx_table_elt_t               *header;
    ngx_http_upstream_t           *u;
    ngx_http_spindle_ctx_t        *ctx;
    ngx_http_script_code_pt        code;
    ngx_http_script_engine_t       e, le;
    ngx_http_spindle_params_t     *params;
    ngx_http_spindle_loc_conf_t   *slcf;
    ngx_http_script_len_code_pt    lcode;

    u = r->upstream;
    ctx = ngx_http_get_module_ctx(r, ngx_http_spindle_module);
    slcf = ngx_http_get_module_loc_conf(r, ngx_http_spindle_module);
    params = &slcf->params;

    /* what follows the head: nothing, a buffered body, or a stream */

    content_length = 0;
    has_body = 0;

    if (slcf->upstream.pass_request_body) {

        if (r->request_body_no_buffering) {

            if (r->headers_in.chunked) {
                content_length = -1;
                has_body = 1;

            } else if (r->headers_in.content_length_n > 0) {
                content_length = r->headers_in.content_length_n;
                has_body = 1;
            }

        } else {
            for (cl = u->request_bufs; cl; cl = cl->next) {
                content_length += ngx_buf_size(cl->buf);
            }

            has_body = (content_length > 0);
        }
    }

    end_inline = !has_body;

    /* the URI as the client sent it, or as rewritten */

    escape = 0;

    if (r->valid_unparsed_uri) {
        uri_len = r->unparsed_uri.len;

    } else {
        escape = 2 * ngx_escape_uri(NULL, r->uri.data, r->uri.len,
                                    NGX_ESCAPE_URI);
        uri_len = r->uri.len + escape
                  + (r->args.len ? 1 + r->args.len : 0);
    }

    /* the path the location was matched on (decoded, dot segments merged):
     * the daemon routes on it, never on the raw URI */

    payload = 16 + 4 + r->method_name.len + 4 + uri_len + 4 + r->uri.len
              + 4 + r->http_protocol.len;

    /* pass 1: the length of every field */

    nparams = 0;

    if (params->lengths) {
        ngx_memzero(&le, sizeof(ngx_http_script_engine_t));

        ngx_http_script_flush_no_cacheable_variables(r, params->flushes);
        le.flushed = 1;

        le.ip = params->lengths->elts;
        le.request = r;

        while (*(uintptr_t *) le.ip) {

            lcode = *(ngx_http_script_len_code_pt *) le.ip;
            key_len = lcode(&le);

            lcode = *(ngx_http_script_len_code_pt *) le.ip;
            skip_empty = lcode(&le);

            for (val_len = 0; *(uintptr_t *) le.ip; val_len += lcode(&le)) {
                lcode = *(ngx_http_script_len_code_pt *) le.ip;
            }
            le.ip += sizeof(uintptr_t);

            if (skip_empty && val_len == 0) {
                continue;
            }

            payload += 8 + key_len + val_len;
            nparams++;
        }
    }

    nheaders = 0;

    if (slcf->upstream.pass_request_headers) {
        part = &r->headers_in.headers.part;
        header = part->elts;

        for (i = 0; /* void */; i++) {

            if (i >= part->nelts) {
                if (part->next == NULL) {
                    break;
                }

                part = part->next;
                header = part->elts;
                i = 0;
            }

#if (NGX_HTTP_CACHE)
            if (ngx_http_spindle_skip_cached(r, &header[i])) {
                continue;
            }
#endif

            payload += 8 + header[i].key.len + header[i].value.len;
            nheaders++;
        }
    }

    if (nheaders > SPINDLE_MAX_FIELDS) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "spindle request has too many headers: %ui, "
                      "the protocol allows %d", nheaders, SPINDLE_MAX_FIELDS);
        return NGX_ERROR;
    }

    if (payload > SPINDLE_MAX_HEAD_SIZE) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "spindle request head too large: %uz bytes, "
                      "the protocol allows %d", payload, SPINDLE_MAX_HEAD_SIZE);
        return NGX_ERROR;
    }

    len = SPINDLE_FRAME_HEADER_SIZE + payload
          + (end_inline ? SPINDLE_FRAME_HEADER_SIZE : 0);

    /* pass 2: one buffer, written in place */

    b = ngx_create_temp_buf(r->pool, len);
    if (b == NULL) {
        return NGX_ERROR;
    }

    b->tag = (ngx_buf_tag_t) &ngx_http_spindle_raw_tag;
    b->flush = 1;

    cl = ngx_alloc_chain_link(r->pool);
    if (cl == NULL) {
        return NGX_ERROR;
    }

    cl->buf = b;

    p = b->last;

    spindle_frame_header_encode(p, SPINDLE_FRAME_REQUEST_HEAD,
                                (uint32_t) payload);
    p += SPINDLE_FRAME_HEADER_SIZE;

    p = spindle_put_u16(p, has_body ? SPINDLE_REQUEST_HAS_BODY : 0);
    p = spindle_put_u16(p, (uint16_t) nparams);
    p = spindle_put_u16(p, (uint16_t) nheaders);
    p = spindle_put_u16(p, 0);
    p = spindle_put_i64(p, (int64_t) content_length);

    p = spindle_put_str(p, r->method_name.data,
                        (uint32_t) r->method_name.len);

    p = spindle_put_u32(p, (uint32_t) uri_len);

    if (r->valid_unparsed_uri) {
        p = ngx_cpymem(p, r->unparsed_uri.data, r->unparsed_uri.len);

    } else {
        if (escape) {
            ngx_escape_uri(p, r->uri.data, r->uri.len, NGX_ESCAPE_URI);
            p += r->uri.len + escape;

        } else {
            p = ngx_cpymem(p, r->uri.data, r->uri.len);
        }

        if (r->args.len) {
            *p++ = '?';
            p = ngx_cpymem(p, r->args.data, r->args.len);
        }
    }

    p = spindle_put_str(p, r->uri.data, (uint32_t) r->uri.len);

    p = spindle_put_str(p, r->http_protocol.data,
                        (uint32_t) r->http_protocol.len);

    if (params->lengths) {
        ngx_memzero(&e, sizeof(ngx_http_script_engine_t));

        e.ip = params->values->elts;
        e.request = r;
        e.flushed = 1;

        le.ip = params->lengths->elts;

        while (*(uintptr_t *) le.ip) {

            lcode = *(ngx_http_script_len_code_pt *) le.ip;
            key_len = lcode(&le);

            lcode = *(ngx_http_script_len_code_pt *) le.ip;
            skip_empty = lcode(&le);

            for (val_len = 0; *(uintptr_t *) le.ip; val_len += lcode(&le)) {
                lcode = *(ngx_http_script_len_code_pt *) le.ip;
            }
            le.ip += sizeof(uintptr_t);

            if (skip_empty && val_len == 0) {
                e.skip = 1;

                while (*(uintptr_t *) e.ip) {
                    code = *(ngx_http_script_code_pt *) e.ip;
                    code((ngx_http_script_engine_t *) &e);
                }
                e.ip += sizeof(uintptr_t);

                e.skip = 0;

                continue;
            }

            /* the key: its length, then the key copy code */

            e.pos = spindle_put_u32(p, (uint32_t) key_len);

            code = *(ngx_http_script_code_pt *) e.ip;
            code((ngx_http_script_engine_t *) &e);

            /* the value: its length, then the value codes */

            e.pos = spindle_put_u32(e.pos, (uint32_t) val_len);
            val = e.pos;

            while (*(uintptr_t *) e.ip) {
                code = *(ngx_http_script_code_pt *) e.ip;
                code((ngx_http_script_engine_t *) &e);
            }
            e.ip += sizeof(uintptr_t);

            if (e.status || (size_t) (e.pos - val) != val_len) {
                ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                              "spindle param length mismatch");
                return NGX_ERROR;
            }

            ngx_log_debug3(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                           "spindle param: \"%*s\" %uz bytes",
                           key_len, p + 4, val_len);

            p = e.pos;
        }
    }

    if (slcf->upstream.pass_request_headers) {
        part = &r->headers_in.headers.part;
        header = part->elts;

        for (i = 0; /* void */; i++) {

            if (i >= part->nelts) {
                if (part->next == NULL) {
                    break;
                }

                part = part->next;
                header = part->elts;
                i = 0;
            }

#if (NGX_HTTP_CACHE)
            if (ngx_http_spindle_skip_cached(r, &header[i])) {
                continue;
            }
#endif

            p = spindle_put_str(p, header[i].key.data,
                                (uint32_t) header[i].key.len);
            p = spindle_put_str(p, header[i].value.data,
                                (uint32_t) header[i].value.len);
        }
    }

    if (end_inline) {
        spindle_frame_header_encode(p, SPINDLE_FRAME_REQUEST_END, 0);
        p += SPINDLE_FRAME_HEADER_SIZE;
        ctx->end_sent = 1;
    }

    if (p != b->last + len) {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "spindle request length mismatch: "
                      "wrote %uz bytes, computed %uz",
                      (size_t) (p - b->last), len);
        return NGX_ERROR;
    }

    b->last = p;

    ngx_log_debug4(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "spindle request head: %uz bytes, %ui params, "
                   "%ui headers, body %O", len, nparams, nheaders,
                   has_body ? content_length : (off_t) 0);

    /* the body */

    if (!has_body) {
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

    /* buffered: [head] [copies of the body buffers] [end] */

    body = u->request_bufs;
    u->request_bufs = cl;
    ll = &cl->next;

    while (body) {
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

        body = body->next;
    }

    b = ngx_create_temp_buf(r->pool, SPINDLE_FRAME_HEADER_SIZE);
    if (b == NULL) {
        return NGX_ERROR;
    }

    spindle_frame_header_encode(b->last, SPINDLE_FRAME_REQUEST_END, 0);
    b->last += SPINDLE_FRAME_HEADER_SIZE;
    b->tag = (ngx_buf_tag_t) &ngx_http_spindle_raw_tag;
    b->flush = 1;
    b->last_buf = 1;

    cl = ngx_alloc_chain_link(r->pool);
    if (cl == NULL) {
        return NGX_ERROR;
    }

    cl->buf = b;
    cl->next = NULL;
    *ll = cl;

    ctx->end_sent = 1;

    return NGX_OK;
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

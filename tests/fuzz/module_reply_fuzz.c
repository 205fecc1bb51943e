/*
 * module_reply_fuzz.c: fuzzes the nginx module's reply-head parser
 * (ngx_http_spindle_process_header and its parse_head, in
 * nginx-module/ngx_http_spindle_response.c, compiled against ngx_stubs/)
 * differentially against the codec (protocol/spindle_protocol.c).
 *
 * The input is what the upstream buffer holds. The codec's answer, with the
 * module's documented differences applied, predicts the module's:
 *   - the module has a buffer (spindle_buffer_size, kBufferSize here): a
 *     head longer than the buffer is rejected where the codec would wait;
 *   - a header whose name is not an RFC 9110 token or whose value holds
 *     CR, LF or NUL (response splitting) is rejected: checked here
 *     independently of the codec's iterator (which both the module and the
 *     codec's decoder use), and the codec's decoder must agree;
 *   - ABORT before the head is waited for whole, then rejected;
 *   - a RESPONSE_END that is exactly the rest of the buffer is consumed and
 *     marks the connection for keepalive.
 * Property: both accept/reject/wait alike; on accept the status and the
 * headers (name, value, lowercase name, NUL terminators) agree; a reject is
 * logged at ERR. nginx's own upstream header handlers (Content-Length, ...)
 * are not modelled: the stub hash finds no handler.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_spindle_module.h"

#include <sanitizer/asan_interface.h>

#include <stdio.h>
#include <stdlib.h>

#define kBufferSize  4096

#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static spindle_field_t  fields[SPINDLE_MAX_FIELDS];


/* RFC 9110 tchar, written out independently of the module's bitmap */

static int
is_token(spindle_str_t s)
{
    uint32_t  i;
    u_char    c;

    if (s.len == 0) {
        return 0;
    }
    for (i = 0; i < s.len; i++) {
        c = (u_char) s.data[i];
        if (c == '\0') {
            return 0;  /* strchr() would find the terminator */
        }
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z')
              || (c >= 'A' && c <= 'Z') || strchr("!#$%&'*+-.^_`|~", c)))
        {
            return 0;
        }
    }
    return 1;
}


static int
is_safe_value(spindle_str_t s)
{
    uint32_t  i;

    for (i = 0; i < s.len; i++) {
        if (s.data[i] == '\r' || s.data[i] == '\n' || s.data[i] == '\0') {
            return 0;
        }
    }
    return 1;
}


/*
 * The codec's fields without its HTTP checks, then this file's own checks:
 * NGX_OK, or NGX_HTTP_UPSTREAM_INVALID_HEADER. The codec's validating
 * decoder must agree with the independent checks.
 */

static ngx_int_t
expect_head(const u_char *payload, size_t len, spindle_response_head_t *h)
{
    uint16_t          i;
    spindle_fields_t  it;
    spindle_status_t  st, codec;

    st = spindle_response_head_open(payload, len, &h->status, &it);
    it.http = 0;
    h->headers = fields;
    h->nheaders = it.left;

    for (i = 0; st == SPINDLE_OK; i++) {
        st = spindle_fields_next(&it, &fields[i]);
    }

    if (st != SPINDLE_DONE) {
        return NGX_HTTP_UPSTREAM_INVALID_HEADER;
    }

    codec = spindle_response_head_decode(payload, len, h, SPINDLE_MAX_FIELDS);

    for (i = 0; i < h->nheaders; i++) {
        if (!is_token(h->headers[i].name)
            || !is_safe_value(h->headers[i].value))
        {
            CHECK(codec == SPINDLE_E_NAME || codec == SPINDLE_E_VALUE);
            return NGX_HTTP_UPSTREAM_INVALID_HEADER;
        }
    }

    CHECK(codec == SPINDLE_OK);
    return NGX_OK;
}


/* the codec's verdict, with the module's differences: NGX_OK / AGAIN /
 * NGX_HTTP_UPSTREAM_INVALID_HEADER; fills *h and *consumed on NGX_OK */

static ngx_int_t
expect(const u_char *data, size_t size, spindle_response_head_t *h,
    size_t *consumed)
{
    spindle_frame_header_t  fh;
    int                     rc;

    rc = spindle_frame_header_decode(data, size, NULL, &fh);
    if (rc == SPINDLE_AGAIN) {
        return NGX_AGAIN;
    }
    if (rc != SPINDLE_OK) {
        return NGX_HTTP_UPSTREAM_INVALID_HEADER;
    }
    if (fh.type == SPINDLE_FRAME_ABORT) {
        return size < SPINDLE_FRAME_HEADER_SIZE + (size_t) fh.length
               ? NGX_AGAIN : NGX_HTTP_UPSTREAM_INVALID_HEADER;
    }
    if (fh.type != SPINDLE_FRAME_RESPONSE_HEAD
        || fh.length > kBufferSize - SPINDLE_FRAME_HEADER_SIZE)
    {
        return NGX_HTTP_UPSTREAM_INVALID_HEADER;
    }
    if (size < SPINDLE_FRAME_HEADER_SIZE + (size_t) fh.length) {
        return NGX_AGAIN;
    }

    if (expect_head(data + SPINDLE_FRAME_HEADER_SIZE, fh.length, h)
        != NGX_OK)
    {
        return NGX_HTTP_UPSTREAM_INVALID_HEADER;
    }

    *consumed = SPINDLE_FRAME_HEADER_SIZE + fh.length;
    return NGX_OK;
}


static void
check_headers(ngx_http_upstream_t *u, const spindle_response_head_t *h)
{
    uint16_t          i;
    uint32_t          j;
    u_char            c;
    ngx_table_elt_t  *elts;

    CHECK(u->headers_in.headers.nelts == h->nheaders);
    CHECK(u->headers_in.status_n == h->status);
    CHECK(u->state->status == h->status);

    elts = u->headers_in.headers.elts;

    for (i = 0; i < h->nheaders; i++) {
        CHECK(elts[i].key.len == h->headers[i].name.len);
        CHECK(memcmp(elts[i].key.data, h->headers[i].name.data,
                     elts[i].key.len) == 0);
        CHECK(elts[i].key.data[elts[i].key.len] == '\0');
        CHECK(elts[i].value.len == h->headers[i].value.len);
        CHECK(elts[i].value.len == 0
              || memcmp(elts[i].value.data, h->headers[i].value.data,
                        elts[i].value.len) == 0);
        CHECK(elts[i].value.data[elts[i].value.len] == '\0');
        for (j = 0; j < elts[i].key.len; j++) {
            c = (u_char) h->headers[i].name.data[j];
            c = (c >= 'A' && c <= 'Z') ? (u_char) (c + 32) : c;
            CHECK(elts[i].lowcase_key[j] == c);
        }
    }
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    u_char                         *buf;
    void                           *ctxs[1], *confs[1];
    size_t                          consumed, rest;
    ngx_int_t                       rc, want;
    ngx_log_t                       log;
    ngx_connection_t                c;
    ngx_http_request_t              r;
    ngx_http_upstream_t             u;
    ngx_http_spindle_ctx_t          ctx;
    ngx_http_upstream_conf_t        conf;
    ngx_http_upstream_state_t       state;
    spindle_response_head_t         h;
    spindle_frame_header_t          fh;
    ngx_http_upstream_main_conf_t   umcf;

    if (size > kBufferSize) {
        size = kBufferSize;  /* u->buffer never holds more */
    }

    /* the buffer as nginx has it: room to kBufferSize, bytes to size;
     * the room past the data is poisoned so that a read of it is caught */
    buf = malloc(kBufferSize);
    CHECK(buf != NULL);
    memcpy(buf, data, size);
    ASAN_POISON_MEMORY_REGION(buf + size, kBufferSize - size);

    memset(&log, 0, sizeof(log));
    log.last_level = 100;
    memset(&c, 0, sizeof(c));
    c.log = &log;
    memset(&ctx, 0, sizeof(ctx));
    memset(&umcf, 0, sizeof(umcf));
    conf.buffer_size = kBufferSize;
    state.status = 0;

    memset(&u, 0, sizeof(u));
    u.buffer.start = buf;
    u.buffer.pos = buf;
    u.buffer.last = buf + size;
    u.buffer.end = buf + kBufferSize;
    u.conf = &conf;
    u.state = &state;
    u.headers_in.content_length_n = -1;
    ngx_stub_list_init(&u.headers_in.headers, sizeof(ngx_table_elt_t));

    ctxs[0] = &ctx;
    confs[0] = &umcf;
    memset(&r, 0, sizeof(r));
    r.connection = &c;
    r.pool = ngx_stub_pool_create();
    r.ctx = ctxs;
    r.main_conf = confs;
    r.upstream = &u;

    memset(&h, 0, sizeof(h));
    consumed = 0;
    want = expect(data, size, &h, &consumed);

    rc = ngx_http_spindle_process_header(&r);

    if (rc != want) {
        fprintf(stderr, "module_reply_fuzz: module returned %ld, the codec "
                "predicts %ld\n", (long) rc, (long) want);
        abort();
    }

    if (rc == NGX_HTTP_UPSTREAM_INVALID_HEADER) {
        CHECK(log.last_level == NGX_LOG_ERR);
    } else {
        CHECK(log.last_level > NGX_LOG_ERR);
    }

    if (rc == NGX_OK) {
        check_headers(&u, &h);

        /* an end frame that is exactly the rest is taken now */
        rest = size - consumed;
        if (rest == SPINDLE_FRAME_HEADER_SIZE
            && spindle_frame_header_decode(data + consumed, rest, NULL, &fh)
               == SPINDLE_OK
            && fh.type == SPINDLE_FRAME_RESPONSE_END)
        {
            CHECK(u.keepalive == 1);
            CHECK(ctx.state == ngx_http_spindle_st_done);
            CHECK(u.buffer.pos == buf + size);
        } else {
            CHECK(u.keepalive == 0);
            CHECK(ctx.state == ngx_http_spindle_st_frame_header);
            CHECK(u.buffer.pos == buf + consumed);
        }
    } else {
        CHECK(u.buffer.pos == buf);
        CHECK(u.keepalive == 0);
    }

    ngx_stub_list_free(&u.headers_in.headers);
    ngx_stub_pool_destroy(r.pool);
    ASAN_UNPOISON_MEMORY_REGION(buf, kBufferSize);
    free(buf);

    return 0;
}

/*
 * spindle_protocol.c: encode/decode for the spindle wire protocol (see
 * spindle_protocol.h and docs/protocol.md). Explicit little-endian byte
 * access, every read bounds-checked, no allocation.
 */

#include "spindle_protocol.h"

#include <string.h>


const char *
spindle_strerror(int status)
{
    switch (status) {
    case SPINDLE_OK:          return "ok";
    case SPINDLE_AGAIN:       return "incomplete frame";
    case SPINDLE_DONE:        return "no more fields";
    case SPINDLE_E_VERSION:   return "unsupported protocol version";
    case SPINDLE_E_TYPE:      return "unknown frame type";
    case SPINDLE_E_RESERVED:  return "reserved bits set";
    case SPINDLE_E_TOO_LARGE: return "frame too large";
    case SPINDLE_E_LENGTH:    return "invalid frame length";
    case SPINDLE_E_TRUNCATED: return "truncated field";
    case SPINDLE_E_TRAILING:  return "trailing bytes after last field";
    case SPINDLE_E_FIELDS:    return "too many fields";
    case SPINDLE_E_STATUS:    return "invalid status code";
    case SPINDLE_E_NAME:      return "invalid header name";
    case SPINDLE_E_VALUE:     return "invalid header value";
    default:                  return "unknown error";
    }
}


const char *
spindle_frame_name(unsigned type)
{
    switch (type) {
    case SPINDLE_FRAME_REQUEST_HEAD:  return "request head";
    case SPINDLE_FRAME_REQUEST_BODY:  return "request body";
    case SPINDLE_FRAME_REQUEST_END:   return "request end";
    case SPINDLE_FRAME_RESPONSE_HEAD: return "response head";
    case SPINDLE_FRAME_RESPONSE_BODY: return "response body";
    case SPINDLE_FRAME_RESPONSE_END:  return "response end";
    case SPINDLE_FRAME_ABORT:         return "abort";
    default:                          return "unknown";
    }
}


void
spindle_frame_header_encode(uint8_t *out, uint8_t type, uint32_t length)
{
    out[0] = SPINDLE_PROTOCOL_VERSION;
    out[1] = type;
    out[2] = 0;
    out[3] = 0;
    spindle_put_u32(out + 4, length);
}


/* the length rule of each frame type; SPINDLE_E_TYPE for an unknown type */

static spindle_status_t
spindle_frame_length_check(uint8_t type, uint32_t len, uint32_t max_head,
    uint32_t max_body)
{
    switch (type) {
    case SPINDLE_FRAME_REQUEST_HEAD:
        if (len > max_head) {
            return SPINDLE_E_TOO_LARGE;
        }
        return len < SPINDLE_REQUEST_HEAD_FIXED + 3 * 4 ? SPINDLE_E_LENGTH
                                                         : SPINDLE_OK;

    case SPINDLE_FRAME_RESPONSE_HEAD:
        if (len > max_head) {
            return SPINDLE_E_TOO_LARGE;
        }
        return len < SPINDLE_RESPONSE_HEAD_FIXED ? SPINDLE_E_LENGTH
                                                 : SPINDLE_OK;

    case SPINDLE_FRAME_REQUEST_BODY:
    case SPINDLE_FRAME_RESPONSE_BODY:
        if (len > max_body) {
            return SPINDLE_E_TOO_LARGE;
        }
        return len == 0 ? SPINDLE_E_LENGTH : SPINDLE_OK;

    case SPINDLE_FRAME_REQUEST_END:
    case SPINDLE_FRAME_RESPONSE_END:
        return len != 0 ? SPINDLE_E_LENGTH : SPINDLE_OK;

    case SPINDLE_FRAME_ABORT:
        return len > SPINDLE_MAX_ABORT_SIZE ? SPINDLE_E_TOO_LARGE : SPINDLE_OK;

    default:
        return SPINDLE_E_TYPE;
    }
}


spindle_status_t
spindle_frame_header_decode(const uint8_t *in, size_t n,
    const spindle_limits_t *limits, spindle_frame_header_t *out)
{
    uint32_t          max_head, max_body, len;
    spindle_status_t  rc;

    if (n < SPINDLE_FRAME_HEADER_SIZE) {
        return SPINDLE_AGAIN;
    }

    if (in[0] != SPINDLE_PROTOCOL_VERSION) {
        return SPINDLE_E_VERSION;
    }

    if (in[2] != 0 || in[3] != 0) {
        return SPINDLE_E_RESERVED;
    }

    max_head = SPINDLE_MAX_HEAD_SIZE;
    max_body = SPINDLE_MAX_BODY_FRAME;

    if (limits != NULL) {
        if (limits->max_head_size && limits->max_head_size < max_head) {
            max_head = limits->max_head_size;
        }
        if (limits->max_body_frame && limits->max_body_frame < max_body) {
            max_body = limits->max_body_frame;
        }
    }

    len = (uint32_t) in[4] | ((uint32_t) in[5] << 8)
          | ((uint32_t) in[6] << 16) | ((uint32_t) in[7] << 24);

    rc = spindle_frame_length_check(in[1], len, max_head, max_body);
    if (rc != SPINDLE_OK) {
        return rc;
    }

    out->version = in[0];
    out->type = in[1];
    out->length = len;

    return SPINDLE_OK;
}


uint8_t *
spindle_put_u16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t) v;
    p[1] = (uint8_t) (v >> 8);
    return p + 2;
}


uint8_t *
spindle_put_u32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t) v;
    p[1] = (uint8_t) (v >> 8);
    p[2] = (uint8_t) (v >> 16);
    p[3] = (uint8_t) (v >> 24);
    return p + 4;
}


uint8_t *
spindle_put_i64(uint8_t *p, int64_t v)
{
    uint64_t  u = (uint64_t) v;
    int       i;

    for (i = 0; i < 8; i++) {
        p[i] = (uint8_t) (u >> (8 * i));
    }
    return p + 8;
}


uint8_t *
spindle_put_str(uint8_t *p, const void *data, uint32_t len)
{
    p = spindle_put_u32(p, len);
    if (len) {
        memcpy(p, data, len);
    }
    return p + len;
}


uint8_t *
spindle_put_field(uint8_t *p, const void *name, uint32_t name_len,
    const void *value, uint32_t value_len)
{
    p = spindle_put_str(p, name, name_len);
    return spindle_put_str(p, value, value_len);
}


spindle_status_t
spindle_get_u16(spindle_reader_t *r, uint16_t *v)
{
    if (r->end - r->pos < 2) {
        return SPINDLE_E_TRUNCATED;
    }
    *v = (uint16_t) (r->pos[0] | (r->pos[1] << 8));
    r->pos += 2;
    return SPINDLE_OK;
}


spindle_status_t
spindle_get_u32(spindle_reader_t *r, uint32_t *v)
{
    if (r->end - r->pos < 4) {
        return SPINDLE_E_TRUNCATED;
    }
    *v = (uint32_t) r->pos[0] | ((uint32_t) r->pos[1] << 8)
         | ((uint32_t) r->pos[2] << 16) | ((uint32_t) r->pos[3] << 24);
    r->pos += 4;
    return SPINDLE_OK;
}


spindle_status_t
spindle_get_i64(spindle_reader_t *r, int64_t *v)
{
    uint64_t  u = 0;
    int       i;

    if (r->end - r->pos < 8) {
        return SPINDLE_E_TRUNCATED;
    }
    for (i = 0; i < 8; i++) {
        u |= (uint64_t) r->pos[i] << (8 * i);
    }
    *v = (int64_t) u;
    r->pos += 8;
    return SPINDLE_OK;
}


spindle_status_t
spindle_get_str(spindle_reader_t *r, spindle_str_t *s)
{
    uint32_t          len;
    spindle_status_t  rc;

    rc = spindle_get_u32(r, &len);
    if (rc != SPINDLE_OK) {
        return rc;
    }
    if ((size_t) (r->end - r->pos) < len) {
        return SPINDLE_E_TRUNCATED;
    }
    s->data = (const char *) r->pos;
    s->len = len;
    r->pos += len;
    return SPINDLE_OK;
}


/* an HTTP header name is a token (RFC 9110 tchar) */

static int
spindle_is_token(const spindle_str_t *s)
{
    uint8_t   ch;
    uint32_t  i;

    static const uint32_t  token[] = {
        0x00000000, /* 0000 0000 0000 0000  0000 0000 0000 0000 */

                    /* ?>=< ;:98 7654 3210  /.-, +*)( '&%$ #"!  */
        0x03ff6cfa, /* 0000 0011 1111 1111  0110 1100 1111 1010 */

                    /* _^]\ [ZYX WVUT SRQP  ONML KJIH GFED CBA@ */
        0xc7fffffe, /* 1100 0111 1111 1111  1111 1111 1111 1110 */

                    /*  ~}| {zyx wvut srqp  onml kjih gfed cba` */
        0x57ffffff, /* 0101 0111 1111 1111  1111 1111 1111 1111 */

        0x00000000, 0x00000000, 0x00000000, 0x00000000
    };

    if (s->len == 0) {
        return 0;
    }

    for (i = 0; i < s->len; i++) {
        ch = (uint8_t) s->data[i];

        if (!(token[ch >> 5] & (1U << (ch & 0x1f)))) {
            return 0;
        }
    }

    return 1;
}


/* a header value must not split the response it is written into */

static int
spindle_is_safe_value(const spindle_str_t *s)
{
    uint8_t   ch;
    uint32_t  i;

    for (i = 0; i < s->len; i++) {
        ch = (uint8_t) s->data[i];

        if (ch == '\r' || ch == '\n' || ch == '\0') {
            return 0;
        }
    }

    return 1;
}


spindle_status_t
spindle_fields_next(spindle_fields_t *it, spindle_field_t *f)
{
    spindle_status_t  rc;

    if (it->left == 0) {
        return (it->last && it->r.pos != it->r.end) ? SPINDLE_E_TRAILING
                                                     : SPINDLE_DONE;
    }

    if ((rc = spindle_get_str(&it->r, &f->name)) != SPINDLE_OK
        || (rc = spindle_get_str(&it->r, &f->value)) != SPINDLE_OK)
    {
        return rc;
    }

    if (it->http) {
        if (!spindle_is_token(&f->name)) {
            return SPINDLE_E_NAME;
        }
        if (!spindle_is_safe_value(&f->value)) {
            return SPINDLE_E_VALUE;
        }
    }

    it->left--;

    return SPINDLE_OK;
}


uint8_t *
spindle_request_head_begin(uint8_t *out, uint32_t payload_len,
    uint16_t flags, uint16_t nparams, uint16_t nheaders,
    int64_t content_length)
{
    uint8_t  *p;

    spindle_frame_header_encode(out, SPINDLE_FRAME_REQUEST_HEAD, payload_len);
    p = out + SPINDLE_FRAME_HEADER_SIZE;
    p = spindle_put_u16(p, flags);
    p = spindle_put_u16(p, nparams);
    p = spindle_put_u16(p, nheaders);
    p = spindle_put_u16(p, 0);
    return spindle_put_i64(p, content_length);
}


uint8_t *
spindle_response_head_begin(uint8_t *out, uint32_t payload_len,
    uint16_t status, uint16_t nheaders)
{
    uint8_t  *p;

    spindle_frame_header_encode(out, SPINDLE_FRAME_RESPONSE_HEAD, payload_len);
    p = out + SPINDLE_FRAME_HEADER_SIZE;
    p = spindle_put_u16(p, status);
    return spindle_put_u16(p, nheaders);
}


spindle_status_t
spindle_response_head_open(const uint8_t *payload, size_t len,
    uint16_t *status, spindle_fields_t *headers)
{
    spindle_status_t  rc;

    headers->r.pos = payload;
    headers->r.end = payload + len;
    headers->http = 1;
    headers->last = 1;

    if ((rc = spindle_get_u16(&headers->r, status)) != SPINDLE_OK
        || (rc = spindle_get_u16(&headers->r, &headers->left)) != SPINDLE_OK)
    {
        return rc;
    }

    if (*status < SPINDLE_STATUS_MIN || *status > SPINDLE_STATUS_MAX) {
        return SPINDLE_E_STATUS;
    }

    return headers->left > SPINDLE_MAX_FIELDS ? SPINDLE_E_FIELDS : SPINDLE_OK;
}


/* --- whole heads, on the primitives above --- */

static size_t
spindle_fields_size(const spindle_field_t *f, uint16_t n)
{
    size_t    size = 0;
    uint16_t  i;

    for (i = 0; i < n; i++) {
        size += SPINDLE_FIELD_SIZE(f[i].name.len, f[i].value.len);
    }
    return size;
}


static uint8_t *
spindle_fields_encode(uint8_t *p, const spindle_field_t *f, uint16_t n)
{
    uint16_t  i;

    for (i = 0; i < n; i++) {
        p = spindle_put_field(p, f[i].name.data, f[i].name.len,
                              f[i].value.data, f[i].value.len);
    }
    return p;
}


/* every field of a section into `f` (room for it->left entries) */

static spindle_status_t
spindle_fields_decode(spindle_fields_t *it, spindle_field_t *f)
{
    spindle_status_t  rc;

    while ((rc = spindle_fields_next(it, f)) == SPINDLE_OK) {
        f++;
    }
    return rc == SPINDLE_DONE ? SPINDLE_OK : rc;
}


size_t
spindle_request_head_size(const spindle_request_head_t *h)
{
    return SPINDLE_REQUEST_HEAD_FIXED
           + SPINDLE_STR_SIZE(h->method.len) + SPINDLE_STR_SIZE(h->uri.len)
           + SPINDLE_STR_SIZE(h->path.len) + SPINDLE_STR_SIZE(h->protocol.len)
           + SPINDLE_STR_SIZE(h->remote_addr.len) + SPINDLE_STR_SIZE(h->scheme.len)
           + SPINDLE_STR_SIZE(h->host.len)
           + spindle_fields_size(h->params, h->nparams)
           + spindle_fields_size(h->headers, h->nheaders);
}


uint8_t *
spindle_request_head_encode(uint8_t *out, const spindle_request_head_t *h)
{
    uint8_t  *p;

    p = spindle_request_head_begin(out,
                                   (uint32_t) spindle_request_head_size(h),
                                   h->flags, h->nparams, h->nheaders,
                                   h->content_length);
    p = spindle_put_str(p, h->method.data, h->method.len);
    p = spindle_put_str(p, h->uri.data, h->uri.len);
    p = spindle_put_str(p, h->path.data, h->path.len);
    p = spindle_put_str(p, h->protocol.data, h->protocol.len);
    p = spindle_put_str(p, h->remote_addr.data, h->remote_addr.len);
    p = spindle_put_str(p, h->scheme.data, h->scheme.len);
    p = spindle_put_str(p, h->host.data, h->host.len);
    p = spindle_fields_encode(p, h->params, h->nparams);
    return spindle_fields_encode(p, h->headers, h->nheaders);
}


/* the fixed part of a request head, checked */

static spindle_status_t
spindle_request_head_fixed(spindle_reader_t *r, spindle_request_head_t *out,
    uint16_t cap)
{
    uint16_t          reserved;
    spindle_status_t  rc;

    if ((rc = spindle_get_u16(r, &out->flags)) != SPINDLE_OK
        || (rc = spindle_get_u16(r, &out->nparams)) != SPINDLE_OK
        || (rc = spindle_get_u16(r, &out->nheaders)) != SPINDLE_OK
        || (rc = spindle_get_u16(r, &reserved)) != SPINDLE_OK
        || (rc = spindle_get_i64(r, &out->content_length)) != SPINDLE_OK)
    {
        return rc;
    }

    if (reserved != 0 || (out->flags & ~SPINDLE_REQUEST_HAS_BODY)) {
        return SPINDLE_E_RESERVED;
    }

    if (out->nparams > cap || out->nheaders > cap
        || out->nparams > SPINDLE_MAX_FIELDS
        || out->nheaders > SPINDLE_MAX_FIELDS)
    {
        return SPINDLE_E_FIELDS;
    }

    return out->content_length < -1 ? SPINDLE_E_LENGTH : SPINDLE_OK;
}


/* the fixed part and the strings; `fields` then holds params and headers */

static spindle_status_t
spindle_request_head_start(const uint8_t *payload, size_t len,
    spindle_request_head_t *out, uint16_t cap, spindle_fields_t *fields)
{
    spindle_reader_t  *r;
    spindle_status_t   rc;

    r = &fields->r;
    r->pos = payload;
    r->end = payload + len;
    fields->http = 0;
    fields->last = 1;

    if ((rc = spindle_request_head_fixed(r, out, cap)) != SPINDLE_OK
        || (rc = spindle_get_str(r, &out->method)) != SPINDLE_OK
        || (rc = spindle_get_str(r, &out->uri)) != SPINDLE_OK
        || (rc = spindle_get_str(r, &out->path)) != SPINDLE_OK
        || (rc = spindle_get_str(r, &out->protocol)) != SPINDLE_OK
        || (rc = spindle_get_str(r, &out->remote_addr)) != SPINDLE_OK
        || (rc = spindle_get_str(r, &out->scheme)) != SPINDLE_OK
        || (rc = spindle_get_str(r, &out->host)) != SPINDLE_OK)
    {
        return rc;
    }

    fields->left = (uint16_t) (out->nparams + out->nheaders);

    return SPINDLE_OK;
}


spindle_status_t
spindle_request_head_open(const uint8_t *payload, size_t len,
    spindle_request_head_t *out, spindle_fields_t *fields)
{
    return spindle_request_head_start(payload, len, out, SPINDLE_MAX_FIELDS,
                                      fields);
}


spindle_status_t
spindle_request_head_decode(const uint8_t *payload, size_t len,
    spindle_request_head_t *out, uint16_t cap)
{
    uint16_t          i;
    spindle_field_t   f;
    spindle_fields_t  it;
    spindle_status_t  rc;

    rc = spindle_request_head_start(payload, len, out, cap, &it);
    if (rc != SPINDLE_OK) {
        return rc;
    }

    for (i = 0; (rc = spindle_fields_next(&it, &f)) == SPINDLE_OK; i++) {
        if (i < out->nparams) {
            out->params[i] = f;
        } else {
            out->headers[i - out->nparams] = f;
        }
    }

    return rc == SPINDLE_DONE ? SPINDLE_OK : rc;
}


size_t
spindle_response_head_size(const spindle_response_head_t *h)
{
    return SPINDLE_RESPONSE_HEAD_FIXED
           + spindle_fields_size(h->headers, h->nheaders);
}


uint8_t *
spindle_response_head_encode(uint8_t *out, const spindle_response_head_t *h)
{
    uint8_t  *p;

    p = spindle_response_head_begin(out,
                                    (uint32_t) spindle_response_head_size(h),
                                    h->status, h->nheaders);
    return spindle_fields_encode(p, h->headers, h->nheaders);
}


spindle_status_t
spindle_response_head_decode(const uint8_t *payload, size_t len,
    spindle_response_head_t *out, uint16_t cap)
{
    spindle_fields_t  it;
    spindle_status_t  rc;

    rc = spindle_response_head_open(payload, len, &out->status, &it);
    if (rc != SPINDLE_OK) {
        return rc;
    }

    if (it.left > cap) {
        return SPINDLE_E_FIELDS;
    }

    out->nheaders = it.left;

    return spindle_fields_decode(&it, out->headers);
}

/*
 * spindle_protocol.c: encode/decode for the spindle wire protocol (see
 * spindle_protocol.h and docs/protocol.md). Explicit little-endian byte
 * access, every read bounds-checked, no allocation.
 */

#include "spindle_protocol.h"

#include <string.h>

#define SPINDLE_REQUEST_HEAD_FIXED   16  /* flags, counts, reserved, i64 */
#define SPINDLE_RESPONSE_HEAD_FIXED  4   /* status, count */


const char *
spindle_strerror(int status)
{
    switch (status) {
    case SPINDLE_OK:          return "ok";
    case SPINDLE_AGAIN:       return "incomplete frame";
    case SPINDLE_E_VERSION:   return "unsupported protocol version";
    case SPINDLE_E_TYPE:      return "unknown frame type";
    case SPINDLE_E_RESERVED:  return "reserved bits set";
    case SPINDLE_E_TOO_LARGE: return "frame too large";
    case SPINDLE_E_LENGTH:    return "invalid frame length";
    case SPINDLE_E_TRUNCATED: return "truncated field";
    case SPINDLE_E_TRAILING:  return "trailing bytes after last field";
    case SPINDLE_E_FIELDS:    return "too many fields";
    case SPINDLE_E_STATUS:    return "invalid status code";
    default:                  return "unknown error";
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


int
spindle_frame_header_decode(const uint8_t *in, size_t n,
    const spindle_limits_t *limits, spindle_frame_header_t *out)
{
    uint32_t  max_head, max_body, len;

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

    switch (in[1]) {
    case SPINDLE_FRAME_REQUEST_HEAD:
        if (len > max_head) {
            return SPINDLE_E_TOO_LARGE;
        }
        if (len < SPINDLE_REQUEST_HEAD_FIXED + 3 * 4) {
            return SPINDLE_E_LENGTH;
        }
        break;

    case SPINDLE_FRAME_RESPONSE_HEAD:
        if (len > max_head) {
            return SPINDLE_E_TOO_LARGE;
        }
        if (len < SPINDLE_RESPONSE_HEAD_FIXED) {
            return SPINDLE_E_LENGTH;
        }
        break;

    case SPINDLE_FRAME_REQUEST_BODY:
    case SPINDLE_FRAME_RESPONSE_BODY:
        if (len > max_body) {
            return SPINDLE_E_TOO_LARGE;
        }
        if (len == 0) {
            return SPINDLE_E_LENGTH;
        }
        break;

    case SPINDLE_FRAME_REQUEST_END:
    case SPINDLE_FRAME_RESPONSE_END:
        if (len != 0) {
            return SPINDLE_E_LENGTH;
        }
        break;

    case SPINDLE_FRAME_ABORT:
        if (len > SPINDLE_MAX_ABORT_SIZE) {
            return SPINDLE_E_TOO_LARGE;
        }
        break;

    default:
        return SPINDLE_E_TYPE;
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


int
spindle_get_u16(spindle_reader_t *r, uint16_t *v)
{
    if (r->end - r->pos < 2) {
        return SPINDLE_E_TRUNCATED;
    }
    *v = (uint16_t) (r->pos[0] | (r->pos[1] << 8));
    r->pos += 2;
    return SPINDLE_OK;
}


int
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


int
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


int
spindle_get_str(spindle_reader_t *r, spindle_str_t *s)
{
    uint32_t  len;
    int       rc;

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


static size_t
spindle_fields_size(const spindle_field_t *f, uint16_t n)
{
    size_t    size = 0;
    uint16_t  i;

    for (i = 0; i < n; i++) {
        size += 8 + (size_t) f[i].name.len + f[i].value.len;
    }
    return size;
}


static uint8_t *
spindle_fields_encode(uint8_t *p, const spindle_field_t *f, uint16_t n)
{
    uint16_t  i;

    for (i = 0; i < n; i++) {
        p = spindle_put_str(p, f[i].name.data, f[i].name.len);
        p = spindle_put_str(p, f[i].value.data, f[i].value.len);
    }
    return p;
}


static int
spindle_fields_decode(spindle_reader_t *r, spindle_field_t *f, uint16_t n)
{
    uint16_t  i;
    int       rc;

    for (i = 0; i < n; i++) {
        rc = spindle_get_str(r, &f[i].name);
        if (rc != SPINDLE_OK) {
            return rc;
        }
        rc = spindle_get_str(r, &f[i].value);
        if (rc != SPINDLE_OK) {
            return rc;
        }
    }
    return SPINDLE_OK;
}


size_t
spindle_request_head_size(const spindle_request_head_t *h)
{
    return SPINDLE_REQUEST_HEAD_FIXED
           + 16 + (size_t) h->method.len + h->uri.len + h->path.len
           + h->protocol.len
           + spindle_fields_size(h->params, h->nparams)
           + spindle_fields_size(h->headers, h->nheaders);
}


uint8_t *
spindle_request_head_encode(uint8_t *out, const spindle_request_head_t *h)
{
    uint8_t  *p;

    spindle_frame_header_encode(out, SPINDLE_FRAME_REQUEST_HEAD,
                                (uint32_t) spindle_request_head_size(h));
    p = out + SPINDLE_FRAME_HEADER_SIZE;
    p = spindle_put_u16(p, h->flags);
    p = spindle_put_u16(p, h->nparams);
    p = spindle_put_u16(p, h->nheaders);
    p = spindle_put_u16(p, 0);
    p = spindle_put_i64(p, h->content_length);
    p = spindle_put_str(p, h->method.data, h->method.len);
    p = spindle_put_str(p, h->uri.data, h->uri.len);
    p = spindle_put_str(p, h->path.data, h->path.len);
    p = spindle_put_str(p, h->protocol.data, h->protocol.len);
    p = spindle_fields_encode(p, h->params, h->nparams);
    return spindle_fields_encode(p, h->headers, h->nheaders);
}


int
spindle_request_head_decode(const uint8_t *payload, size_t len,
    spindle_request_head_t *out, uint16_t cap)
{
    spindle_reader_t  r;
    uint16_t          reserved;
    int               rc;

    r.pos = payload;
    r.end = payload + len;

    if ((rc = spindle_get_u16(&r, &out->flags)) != SPINDLE_OK
        || (rc = spindle_get_u16(&r, &out->nparams)) != SPINDLE_OK
        || (rc = spindle_get_u16(&r, &out->nheaders)) != SPINDLE_OK
        || (rc = spindle_get_u16(&r, &reserved)) != SPINDLE_OK
        || (rc = spindle_get_i64(&r, &out->content_length)) != SPINDLE_OK)
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

    if (out->content_length < -1) {
        return SPINDLE_E_LENGTH;
    }

    if ((rc = spindle_get_str(&r, &out->method)) != SPINDLE_OK
        || (rc = spindle_get_str(&r, &out->uri)) != SPINDLE_OK
        || (rc = spindle_get_str(&r, &out->path)) != SPINDLE_OK
        || (rc = spindle_get_str(&r, &out->protocol)) != SPINDLE_OK
        || (rc = spindle_fields_decode(&r, out->params, out->nparams))
           != SPINDLE_OK
        || (rc = spindle_fields_decode(&r, out->headers, out->nheaders))
           != SPINDLE_OK)
    {
        return rc;
    }

    return r.pos == r.end ? SPINDLE_OK : SPINDLE_E_TRAILING;
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

    spindle_frame_header_encode(out, SPINDLE_FRAME_RESPONSE_HEAD,
                                (uint32_t) spindle_response_head_size(h));
    p = out + SPINDLE_FRAME_HEADER_SIZE;
    p = spindle_put_u16(p, h->status);
    p = spindle_put_u16(p, h->nheaders);
    return spindle_fields_encode(p, h->headers, h->nheaders);
}


int
spindle_response_head_decode(const uint8_t *payload, size_t len,
    spindle_response_head_t *out, uint16_t cap)
{
    spindle_reader_t  r;
    int               rc;

    r.pos = payload;
    r.end = payload + len;

    if ((rc = spindle_get_u16(&r, &out->status)) != SPINDLE_OK
        || (rc = spindle_get_u16(&r, &out->nheaders)) != SPINDLE_OK)
    {
        return rc;
    }

    if (out->status < SPINDLE_STATUS_MIN || out->status > SPINDLE_STATUS_MAX) {
        return SPINDLE_E_STATUS;
    }

    if (out->nheaders > cap || out->nheaders > SPINDLE_MAX_FIELDS) {
        return SPINDLE_E_FIELDS;
    }

    rc = spindle_fields_decode(&r, out->headers, out->nheaders);
    if (rc != SPINDLE_OK) {
        return rc;
    }

    return r.pos == r.end ? SPINDLE_OK : SPINDLE_E_TRAILING;
}

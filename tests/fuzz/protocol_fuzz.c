/*
 * protocol_fuzz.c: fuzzes the wire codec (protocol/spindle_protocol.[ch]).
 * The input is a stream of frames. Each frame whose header and payload
 * decode is re-encoded with the codec's encoders; the property: the
 * re-encoded frame decodes to the same header and fields, the *_size
 * functions match what the encoders wrote, and, the encoding being
 * canonical (reserved bytes zero, no trailing bytes), the re-encoded bytes
 * equal the input frame. And on every head, decoded or not, reading it with
 * *_head_open and spindle_fields_next (what the module and the admin
 * listener do) gives the whole-head decoder's verdict and fields. Any
 * mismatch aborts.
 */

#include "spindle_protocol.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"

static spindle_field_t  fields_a[2][SPINDLE_MAX_FIELDS];
static spindle_field_t  fields_b[2][SPINDLE_MAX_FIELDS];
static uint8_t          out[SPINDLE_FRAME_HEADER_SIZE + SPINDLE_MAX_HEAD_SIZE];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


static int
str_eq(spindle_str_t a, spindle_str_t b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.data, b.data, a.len) == 0);
}


static int
fields_eq(const spindle_field_t *a, const spindle_field_t *b, uint16_t n)
{
    uint16_t  i;

    for (i = 0; i < n; i++) {
        if (!str_eq(a[i].name, b[i].name) || !str_eq(a[i].value, b[i].value)) {
            return 0;
        }
    }
    return 1;
}


/* the iterator's verdict; on success its fields must be `want`'s */

static spindle_status_t
iterate(spindle_fields_t *it, const spindle_field_t *want_a, uint16_t na,
    const spindle_field_t *want_b, spindle_status_t want)
{
    uint16_t          i;
    spindle_field_t   f;
    spindle_status_t  rc;

    for (i = 0; (rc = spindle_fields_next(it, &f)) == SPINDLE_OK; i++) {
        if (want == SPINDLE_OK) {
            CHECK(i < na ? fields_eq(&f, &want_a[i], 1)
                         : fields_eq(&f, &want_b[i - na], 1));
        }
    }
    return rc == SPINDLE_DONE ? SPINDLE_OK : rc;
}


static void
check_request_iterator(const uint8_t *payload, uint32_t len,
    const spindle_request_head_t *a, spindle_status_t want)
{
    spindle_request_head_t  h;
    spindle_fields_t        it;
    spindle_status_t        rc;

    memset(&h, 0, sizeof(h));
    rc = spindle_request_head_open(payload, len, &h, &it);
    if (rc == SPINDLE_OK) {
        rc = iterate(&it, a->params, h.nparams, a->headers, want);
    }
    CHECK(rc == want);
}


static void
check_response_iterator(const uint8_t *payload, uint32_t len,
    const spindle_response_head_t *a, spindle_status_t want)
{
    uint16_t          status;
    spindle_fields_t  it;
    spindle_status_t  rc;

    rc = spindle_response_head_open(payload, len, &status, &it);
    if (rc == SPINDLE_OK) {
        rc = iterate(&it, a->headers, it.left, NULL, want);
    }
    CHECK(rc == want);
}


static void
check_request_head(const uint8_t *payload, uint32_t len)
{
    spindle_request_head_t  a, b;
    uint8_t                *end;
    size_t                  size;
    spindle_status_t        rc;
    spindle_frame_header_t  fh;

    memset(&a, 0, sizeof(a));
    a.params = fields_a[0];
    a.headers = fields_a[1];
    rc = spindle_request_head_decode(payload, len, &a, SPINDLE_MAX_FIELDS);
    check_request_iterator(payload, len, &a, rc);
    if (rc != SPINDLE_OK) {
        return;
    }

    size = spindle_request_head_size(&a);
    CHECK(size == len);
    end = spindle_request_head_encode(out, &a);
    CHECK((size_t) (end - out) == SPINDLE_FRAME_HEADER_SIZE + size);
    CHECK(spindle_frame_header_decode(out, (size_t) (end - out), NULL, &fh)
          == SPINDLE_OK);
    CHECK(fh.type == SPINDLE_FRAME_REQUEST_HEAD && fh.length == len);

    memset(&b, 0, sizeof(b));
    b.params = fields_b[0];
    b.headers = fields_b[1];
    CHECK(spindle_request_head_decode(out + SPINDLE_FRAME_HEADER_SIZE, size,
                                      &b, SPINDLE_MAX_FIELDS) == SPINDLE_OK);
    CHECK(a.flags == b.flags && a.content_length == b.content_length);
    CHECK(str_eq(a.method, b.method) && str_eq(a.uri, b.uri)
          && str_eq(a.path, b.path)
          && str_eq(a.protocol, b.protocol)
          && str_eq(a.remote_addr, b.remote_addr)
          && str_eq(a.scheme, b.scheme) && str_eq(a.host, b.host));
    CHECK(a.nparams == b.nparams && a.nheaders == b.nheaders);
    CHECK(fields_eq(a.params, b.params, a.nparams));
    CHECK(fields_eq(a.headers, b.headers, a.nheaders));
    CHECK(memcmp(out + SPINDLE_FRAME_HEADER_SIZE, payload, len) == 0);
}


static void
check_response_head(const uint8_t *payload, uint32_t len)
{
    spindle_response_head_t  a, b;
    uint8_t                 *end;
    size_t                   size;
    spindle_status_t         rc;
    spindle_frame_header_t   fh;

    memset(&a, 0, sizeof(a));
    a.headers = fields_a[0];
    rc = spindle_response_head_decode(payload, len, &a, SPINDLE_MAX_FIELDS);
    check_response_iterator(payload, len, &a, rc);
    if (rc != SPINDLE_OK) {
        return;
    }

    CHECK(a.status >= SPINDLE_STATUS_MIN && a.status <= SPINDLE_STATUS_MAX);
    size = spindle_response_head_size(&a);
    CHECK(size == len);
    end = spindle_response_head_encode(out, &a);
    CHECK((size_t) (end - out) == SPINDLE_FRAME_HEADER_SIZE + size);
    CHECK(spindle_frame_header_decode(out, (size_t) (end - out), NULL, &fh)
          == SPINDLE_OK);
    CHECK(fh.type == SPINDLE_FRAME_RESPONSE_HEAD && fh.length == len);

    memset(&b, 0, sizeof(b));
    b.headers = fields_b[0];
    CHECK(spindle_response_head_decode(out + SPINDLE_FRAME_HEADER_SIZE, size,
                                       &b, SPINDLE_MAX_FIELDS) == SPINDLE_OK);
    CHECK(a.status == b.status && a.nheaders == b.nheaders);
    CHECK(fields_eq(a.headers, b.headers, a.nheaders));
    CHECK(memcmp(out + SPINDLE_FRAME_HEADER_SIZE, payload, len) == 0);
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int                     rc;
    uint8_t                 hdr[SPINDLE_FRAME_HEADER_SIZE];
    spindle_frame_header_t  fh, fh2;

    while (size > 0) {
        rc = spindle_frame_header_decode(data, size, NULL, &fh);
        if (rc == SPINDLE_AGAIN) {
            CHECK(size < SPINDLE_FRAME_HEADER_SIZE);
            return 0;
        }
        if (rc != SPINDLE_OK) {
            CHECK(rc < 0 && strcmp(spindle_strerror(rc), "unknown error") != 0);
            return 0;
        }

        /* the header alone round-trips */
        spindle_frame_header_encode(hdr, fh.type, fh.length);
        CHECK(memcmp(hdr, data, SPINDLE_FRAME_HEADER_SIZE) == 0);
        CHECK(spindle_frame_header_decode(hdr, sizeof(hdr), NULL, &fh2)
              == SPINDLE_OK);
        CHECK(fh2.type == fh.type && fh2.length == fh.length);

        if (size - SPINDLE_FRAME_HEADER_SIZE < fh.length) {
            return 0;  /* incomplete payload */
        }

        if (fh.type == SPINDLE_FRAME_REQUEST_HEAD) {
            check_request_head(data + SPINDLE_FRAME_HEADER_SIZE, fh.length);
        } else if (fh.type == SPINDLE_FRAME_RESPONSE_HEAD) {
            check_response_head(data + SPINDLE_FRAME_HEADER_SIZE, fh.length);
        }

        data += SPINDLE_FRAME_HEADER_SIZE + fh.length;
        size -= SPINDLE_FRAME_HEADER_SIZE + fh.length;
    }

    return 0;
}

/*
 * spindle_protocol.h: the framed wire protocol between ngx_http_spindle_module
 * and spindled, version 1. Plain C99, no allocation, no nginx or C++
 * dependency: the nginx module and the daemon both compile this header and
 * spindle_protocol.c. docs/protocol.md is the prose specification.
 *
 * Every frame is an 8-byte header followed by `length` payload bytes:
 *
 *   +---------+--------+-----------+-----------------------------+
 *   | 0       | 1      | 2..3      | 4..7                        |
 *   | version | type   | reserved  | payload length (u32 LE)     |
 *   | (= 1)   |        | (= 0)     |                             |
 *   +---------+--------+-----------+-----------------------------+
 *
 * All integers are little-endian. A string is a u32 LE length and that many
 * bytes (no terminator). A request is REQUEST_HEAD, REQUEST_BODY*, REQUEST_END;
 * a response is RESPONSE_HEAD, RESPONSE_BODY*, RESPONSE_END. ABORT (either
 * direction) ends the current request only.
 *
 * REQUEST_HEAD payload:
 *   u16 flags (bit 0: a body follows), u16 param count, u16 header count,
 *   u16 reserved (0), i64 content length (-1: unknown, e.g. chunked),
 *   string method, string uri, string path, string protocol,
 *   params  (string name, string value) * param count,
 *   headers (string name, string value) * header count.
 * RESPONSE_HEAD payload:
 *   u16 status, u16 header count, headers (string name, string value) * count.
 * REQUEST_BODY / RESPONSE_BODY payload: raw body bytes (non-empty).
 * REQUEST_END / RESPONSE_END payload: empty.
 * ABORT payload: an optional reason (raw bytes, at most 1024).
 *
 * `uri` is the request target as the client sent it (query included);
 * `path` is the path nginx matched its location on: percent-decoded, dot
 * segments resolved, slashes merged (nginx's r->uri). The daemon routes on
 * `path`, never on `uri`.
 *
 * Lengths are checked against limits before anything is allocated; any
 * violation is a malformed frame, and the receiver closes the connection.
 */

#ifndef SPINDLE_PROTOCOL_H
#define SPINDLE_PROTOCOL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* 2: REQUEST_HEAD carries `path` (version 1 routed on the raw URI). */
#define SPINDLE_PROTOCOL_VERSION   2
#define SPINDLE_FRAME_HEADER_SIZE  8

/* Hard ceilings; each side may configure lower limits. */
#define SPINDLE_MAX_HEAD_SIZE      (1024 * 1024)
#define SPINDLE_MAX_BODY_FRAME     (1024 * 1024)
#define SPINDLE_MAX_ABORT_SIZE     1024
#define SPINDLE_MAX_FIELDS         1024

/* Final statuses only: a 1xx would reach the client as an interim response
 * and the body after it would be read as the real reply (response
 * splitting); 101 waits for WebSocket support. */
#define SPINDLE_STATUS_MIN         200
#define SPINDLE_STATUS_MAX         599

#define SPINDLE_REQUEST_HAS_BODY   0x0001

typedef enum {
    SPINDLE_FRAME_REQUEST_HEAD  = 1,
    SPINDLE_FRAME_REQUEST_BODY  = 2,
    SPINDLE_FRAME_REQUEST_END   = 3,
    SPINDLE_FRAME_RESPONSE_HEAD = 4,
    SPINDLE_FRAME_RESPONSE_BODY = 5,
    SPINDLE_FRAME_RESPONSE_END  = 6,
    SPINDLE_FRAME_ABORT         = 7
} spindle_frame_type_t;

typedef enum {
    SPINDLE_OK = 0,
    SPINDLE_AGAIN = 1,          /* not enough bytes yet (header only) */
    SPINDLE_E_VERSION = -1,     /* unknown protocol version */
    SPINDLE_E_TYPE = -2,        /* unknown frame type */
    SPINDLE_E_RESERVED = -3,    /* reserved bits not zero */
    SPINDLE_E_TOO_LARGE = -4,   /* length over the limit for its type */
    SPINDLE_E_LENGTH = -5,      /* length invalid for its type */
    SPINDLE_E_TRUNCATED = -6,   /* payload ends inside a field */
    SPINDLE_E_TRAILING = -7,    /* payload has bytes after the last field */
    SPINDLE_E_FIELDS = -8,      /* more fields than the caller allows */
    SPINDLE_E_STATUS = -9       /* status code outside 200..599 */
} spindle_status_t;

typedef struct {
    uint8_t   version;
    uint8_t   type;
    uint32_t  length;
} spindle_frame_header_t;

/* Per-receiver limits. Zero fields mean "use the hard ceiling". */
typedef struct {
    uint32_t  max_head_size;
    uint32_t  max_body_frame;
} spindle_limits_t;

typedef struct {
    const char  *data;
    uint32_t     len;
} spindle_str_t;

typedef struct {
    spindle_str_t  name;
    spindle_str_t  value;
} spindle_field_t;

typedef struct {
    uint16_t          flags;
    int64_t           content_length;
    spindle_str_t     method;
    spindle_str_t     uri;
    spindle_str_t     path;
    spindle_str_t     protocol;
    spindle_field_t  *params;       /* caller-owned array */
    uint16_t          nparams;
    spindle_field_t  *headers;      /* caller-owned array */
    uint16_t          nheaders;
} spindle_request_head_t;

typedef struct {
    uint16_t          status;
    spindle_field_t  *headers;      /* caller-owned array */
    uint16_t          nheaders;
} spindle_response_head_t;

/* A bounds-checked cursor over a payload. */
typedef struct {
    const uint8_t  *pos;
    const uint8_t  *end;
} spindle_reader_t;

const char *spindle_strerror(int status);

/* Frame header. decode returns SPINDLE_AGAIN when n < 8, else validates the
 * version, type, reserved bytes and the length against `limits` (may be
 * NULL) for the frame's type. */
void spindle_frame_header_encode(uint8_t *out, uint8_t type, uint32_t length);
int spindle_frame_header_decode(const uint8_t *in, size_t n,
    const spindle_limits_t *limits, spindle_frame_header_t *out);

/* Little-endian primitives. The put_* functions return the advanced pointer. */
uint8_t *spindle_put_u16(uint8_t *p, uint16_t v);
uint8_t *spindle_put_u32(uint8_t *p, uint32_t v);
uint8_t *spindle_put_i64(uint8_t *p, int64_t v);
uint8_t *spindle_put_str(uint8_t *p, const void *data, uint32_t len);
int spindle_get_u16(spindle_reader_t *r, uint16_t *v);
int spindle_get_u32(spindle_reader_t *r, uint32_t *v);
int spindle_get_i64(spindle_reader_t *r, int64_t *v);
int spindle_get_str(spindle_reader_t *r, spindle_str_t *s);

/* Whole heads. *_size gives the payload size (without the frame header);
 * *_encode writes the frame header and payload and returns the end pointer.
 * decode fills `out`, whose params/headers arrays the caller provides with
 * room for `cap` entries each; strings point into `payload`. */
size_t spindle_request_head_size(const spindle_request_head_t *h);
uint8_t *spindle_request_head_encode(uint8_t *out,
    const spindle_request_head_t *h);
int spindle_request_head_decode(const uint8_t *payload, size_t len,
    spindle_request_head_t *out, uint16_t cap);

size_t spindle_response_head_size(const spindle_response_head_t *h);
uint8_t *spindle_response_head_encode(uint8_t *out,
    const spindle_response_head_t *h);
int spindle_response_head_decode(const uint8_t *payload, size_t len,
    spindle_response_head_t *out, uint16_t cap);

#ifdef __cplusplus
}
#endif

#endif /* SPINDLE_PROTOCOL_H */

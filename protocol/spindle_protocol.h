/*
 * spindle_protocol.h: the framed wire protocol between ngx_http_spindle_module
 * and spindled, version 3. Plain C99, no allocation, no nginx or C++
 * dependency: the nginx module and the daemon both compile this header and
 * spindle_protocol.c. docs/protocol.md is the prose specification.
 *
 * Every frame is an 8-byte header followed by `length` payload bytes:
 *
 *   +---------+--------+-----------+-----------------------------+
 *   | 0       | 1      | 2..3      | 4..7                        |
 *   | version | type   | reserved  | payload length (u32 LE)     |
 *   | (= 3)   |        | (= 0)     |                             |
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
 *   string remote_addr, string scheme, string host,
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
 * `path`, never on `uri`. `remote_addr` is the client's address as nginx
 * sees it ($remote_addr, after realip), `scheme` is "http" or "https"
 * ($scheme), `host` is nginx's $host (the Host header's name lowercased,
 * without the port, or the server's name when the request has none).
 *
 * Lengths are checked against limits before anything is allocated; any
 * violation is a malformed frame, and the receiver closes the connection.
 *
 * Every encoder and decoder of the project goes through this codec: heads
 * are written with *_head_begin and spindle_put_field into a buffer sized
 * with the SPINDLE_*_SIZE constants, and read with *_head_open and the
 * validating field iterator spindle_fields_next, with no caller-owned
 * arrays; the whole-head functions at the end are built on those.
 */

#ifndef SPINDLE_PROTOCOL_H
#define SPINDLE_PROTOCOL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* 2: REQUEST_HEAD carries `path` (version 1 routed on the raw URI).
 * 3: REQUEST_HEAD carries `remote_addr`, `scheme` and `host`. */
#define SPINDLE_PROTOCOL_VERSION   3
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

/* Sizes on the wire. The fixed part of a request head is flags, the two
 * counts, reserved and the content length; of a response head the status
 * and the header count. A string is its u32 length and its bytes; a field
 * (param or header) is two strings. */
#define SPINDLE_REQUEST_HEAD_FIXED   16
#define SPINDLE_RESPONSE_HEAD_FIXED  4
#define SPINDLE_STR_SIZE(len)        (4 + (size_t) (len))
#define SPINDLE_FIELD_SIZE(name_len, value_len)                               \
    (8 + (size_t) (name_len) + (size_t) (value_len))

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
    SPINDLE_DONE = 2,           /* field iterator: no fields left */
    SPINDLE_E_VERSION = -1,     /* unknown protocol version */
    SPINDLE_E_TYPE = -2,        /* unknown frame type */
    SPINDLE_E_RESERVED = -3,    /* reserved bits not zero */
    SPINDLE_E_TOO_LARGE = -4,   /* length over the limit for its type */
    SPINDLE_E_LENGTH = -5,      /* length invalid for its type */
    SPINDLE_E_TRUNCATED = -6,   /* payload ends inside a field */
    SPINDLE_E_TRAILING = -7,    /* payload has bytes after the last field */
    SPINDLE_E_FIELDS = -8,      /* more fields than the caller allows */
    SPINDLE_E_STATUS = -9,      /* status code outside 200..599 */
    SPINDLE_E_NAME = -10,       /* response header name not an HTTP token */
    SPINDLE_E_VALUE = -11       /* response header value with CR, LF or NUL */
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
    spindle_str_t     remote_addr;
    spindle_str_t     scheme;
    spindle_str_t     host;
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

/* The (name, value) fields of one section of a head: `left` fields remain
 * in `r`. `http` asks for HTTP checks (a name is a token, a value has no
 * CR, LF or NUL); `last` says the section ends the payload, so bytes after
 * its last field are an error. */
typedef struct {
    spindle_reader_t  r;
    uint16_t          left;
    unsigned          http:1;
    unsigned          last:1;
} spindle_fields_t;

const char *spindle_strerror(int status);

/* "request head", "response body", ...; "unknown" for other values. */
const char *spindle_frame_name(unsigned type);

/* Frame header. decode returns SPINDLE_AGAIN when n < 8, else validates the
 * version, type, reserved bytes and the length against `limits` (may be
 * NULL) for the frame's type. */
void spindle_frame_header_encode(uint8_t *out, uint8_t type, uint32_t length);
spindle_status_t spindle_frame_header_decode(const uint8_t *in, size_t n,
    const spindle_limits_t *limits, spindle_frame_header_t *out);

/* Little-endian primitives. The put_* functions return the advanced pointer. */
uint8_t *spindle_put_u16(uint8_t *p, uint16_t v);
uint8_t *spindle_put_u32(uint8_t *p, uint32_t v);
uint8_t *spindle_put_i64(uint8_t *p, int64_t v);
uint8_t *spindle_put_str(uint8_t *p, const void *data, uint32_t len);
uint8_t *spindle_put_field(uint8_t *p, const void *name, uint32_t name_len,
    const void *value, uint32_t value_len);
spindle_status_t spindle_get_u16(spindle_reader_t *r, uint16_t *v);
spindle_status_t spindle_get_u32(spindle_reader_t *r, uint32_t *v);
spindle_status_t spindle_get_i64(spindle_reader_t *r, int64_t *v);
spindle_status_t spindle_get_str(spindle_reader_t *r, spindle_str_t *s);

/* Writing a head: *_head_begin writes the frame header (for a payload of
 * `payload_len` bytes) and the head's fixed part at `out`, and returns
 * where the strings go. A request head continues with spindle_put_str for
 * method, uri, path, protocol, remote_addr, scheme and host, then nparams
 * and nheaders fields; a
 * response head with nheaders fields (spindle_put_field). */
uint8_t *spindle_request_head_begin(uint8_t *out, uint32_t payload_len,
    uint16_t flags, uint16_t nparams, uint16_t nheaders,
    int64_t content_length);
uint8_t *spindle_response_head_begin(uint8_t *out, uint32_t payload_len,
    uint16_t status, uint16_t nheaders);

/* Reading a request head: open fills `out` but for its params and headers
 * arrays (left alone) and sets up `fields` over its nparams params and
 * then its nheaders headers (no HTTP checks, the payload's last section). */
spindle_status_t spindle_request_head_open(const uint8_t *payload,
    size_t len, spindle_request_head_t *out, spindle_fields_t *fields);

/* Reading a response head: open checks the status and the header count
 * and sets up `headers` (HTTP checks on, the payload's last section). */
spindle_status_t spindle_response_head_open(const uint8_t *payload,
    size_t len, uint16_t *status, spindle_fields_t *headers);

/* The next field of a section: SPINDLE_OK with `f` pointing into the
 * payload, SPINDLE_DONE after the last one (SPINDLE_E_TRAILING instead when
 * bytes follow the payload's last section), or the error that stops it. */
spindle_status_t spindle_fields_next(spindle_fields_t *it, spindle_field_t *f);

/* Whole heads, on the functions above. *_size gives the payload size
 * (without the frame header); *_encode writes the frame header and payload
 * and returns the end pointer. decode fills `out`, whose params/headers
 * arrays the caller provides with room for `cap` entries each; strings
 * point into `payload`. */
size_t spindle_request_head_size(const spindle_request_head_t *h);
uint8_t *spindle_request_head_encode(uint8_t *out,
    const spindle_request_head_t *h);
spindle_status_t spindle_request_head_decode(const uint8_t *payload,
    size_t len, spindle_request_head_t *out, uint16_t cap);

size_t spindle_response_head_size(const spindle_response_head_t *h);
uint8_t *spindle_response_head_encode(uint8_t *out,
    const spindle_response_head_t *h);
spindle_status_t spindle_response_head_decode(const uint8_t *payload,
    size_t len, spindle_response_head_t *out, uint16_t cap);

#ifdef __cplusplus
}
#endif

#endif /* SPINDLE_PROTOCOL_H */

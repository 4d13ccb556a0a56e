/* imgshare.h - v1.1.0 - share images between processes through System V shared memory, from C11 and C++.
 *                        Speaks imgshare's protocol 2 (docs/protocol.md); Linux.
 *
 * LICENCE: MIT. Copyright (c) the imgshare authors.
 *   Permission is hereby granted, free of charge, to any person obtaining a copy of this software and
 *   associated documentation files (the "Software"), to deal in the Software without restriction, including
 *   without limitation the rights to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
 *   copies of the Software, and to permit persons to whom the Software is furnished to do so, subject to the
 *   following conditions: the above copyright notice and this permission notice shall be included in all
 *   copies or substantial portions of the Software.
 *   THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED, INCLUDING BUT NOT
 *   LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO
 *   EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER
 *   IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM, OUT OF OR IN CONNECTION WITH THE SOFTWARE OR
 *   THE USE OR OTHER DEALINGS IN THE SOFTWARE.
 *
 * USE
 *   This is a single-header library. Include it wherever you need the declarations; in exactly ONE C or
 *   C++ file, define IMGSHARE_IMPLEMENTATION first to compile the implementation there:
 *
 *       #include <stdio.h>                 // other headers may come before or after, in any order
 *       #define IMGSHARE_IMPLEMENTATION
 *       #include "imgshare.h"
 *
 *   and link with -lxxhash (Debian/Ubuntu: libxxhash-dev), or define XXH_INLINE_ALL (below) and link
 *   nothing. Needs libc (the System V IPC calls, pthreads) and xxhash.h. Compiles as C11 and C++11 or later
 *   with -Wall -Wextra -Werror, with or without _GNU_SOURCE or any other feature macro.
 *
 *       imgshare_sender *s;
 *       if (imgshare_sender_open(&s, "demo") == IMGSHARE_OK &&
 *           imgshare_share(s, pixels, width, height, IMGSHARE_MODE_RGBA, stride, NULL) == IMGSHARE_OK)
 *           ...;                                  // serve until you stop
 *       else
 *           fprintf(stderr, "%s\n", imgshare_message());
 *       imgshare_sender_close(s, 0);              // removes the share (1: leave it, persisted)
 *
 * OPTIONS (#define before including the implementation; each is optional)
 *   IMGSHARE_STATIC          the functions get internal linkage (static): the implementation lives in
 *                            each file that includes it with IMGSHARE_IMPLEMENTATION, and nothing clashes
 *                            with another copy of imgshare.h in the same program.
 *   IMGSHARE_SHARED          default visibility for the functions: build imgshare into a shared library
 *                            compiled with -fvisibility=hidden.
 *   IMGSHARE_API             or say yourself what goes before each function (e.g. extern "C" and an
 *                            attribute); overrides both of the above.
 *   IMGSHARE_MALLOC(n)       the allocator (default malloc), its pair IMGSHARE_FREE(p) (default free):
 *                            define both or neither. The library allocates only in the _open() calls.
 *   IMGSHARE_ASSERT(x)       checks of the library's own invariants (default assert() from <assert.h>;
 *                            NDEBUG turns them off). Bad arguments never assert: they return a status.
 *   XXH_INLINE_ALL           compile xxHash's XXH3 into this file from xxhash.h: no -lxxhash needed.
 *   IMGSHARE_XXHASH_HEADER   the xxhash.h to include, e.g. "third_party/xxhash.h" (default <xxhash.h>).
 *
 * WHAT IT DOES
 *   A sender publishes images under a key (a short UTF-8 name such as "camera-1"); receivers, in any
 *   process of the same user, copy or borrow the latest one. imgshare's own window, command line and Python
 *   API read what this library shares and share what it reads; tests/c/ checks it both ways.
 *   Sender:   imgshare_sender_open, imgshare_share (from your buffer) or imgshare_frame_begin/
 *             imgshare_frame_publish (write in place), imgshare_sender_close.
 *   Receiver: imgshare_receiver_open, imgshare_receive (a copy), imgshare_borrow (in place, pinned until
 *             imgshare_release), imgshare_receive_new/imgshare_borrow_new (wait for a newer image),
 *             imgshare_receive_info (metadata only), imgshare_receiver_close.
 *   Modes:    1, L, LA, P, RGB, RGBA, I;16, I, F as Pillow names them (imgshare_mode); palettes,
 *             transparency and OpenCV's BGR order through imgshare_extras.
 *
 * ERRORS
 *   Every call returns an imgshare_status whose values are imgshare's command-line exit codes
 *   (IMGSHARE_NOT_SHARED is 3, as `imgshare receive` exits 3); imgshare_message() then gives one sentence
 *   saying what happened, for this thread's last call. No call aborts, prints, or keeps an IPC object it
 *   made after failing. A failed call leaves the imgshare_info it was given zeroed.
 *
 * THREADS AND CRASHES
 *   A sender or receiver is used by one thread at a time (different ones may be used from different
 *   threads). A killed program's pins and lock holds are undone by the kernel; its share stays readable and
 *   the next sender takes the key over.
 *
 * VERSIONS
 *   IMGSHARE_VERSION_MAJOR/MINOR/PATCH (and IMGSHARE_VERSION, a string) number this header: the major
 *   number changes when a program written for the old one needs changing or cannot talk to it.
 *   IMGSHARE_PROTOCOL_VERSION is the format version it reads and writes (docs/protocol.md).
 *   1.1.0  stb-style header: versions, licence, IMGSHARE_API, allocator and assert overrides, no include
 *          order, XXH_INLINE_ALL; imgshare__sha1/imgshare__crc32 (test helpers) no longer public; a failed
 *          read zeroes its imgshare_info.
 *   1.0.0  protocol 2: slots, pins, borrowing, frames written in place, the new-image signal.
 */
#ifndef IMGSHARE_H
#define IMGSHARE_H

#define IMGSHARE_VERSION_MAJOR 1
#define IMGSHARE_VERSION_MINOR 1
#define IMGSHARE_VERSION_PATCH 0
#define IMGSHARE_VERSION "1.1.0"
#define IMGSHARE_PROTOCOL_VERSION 2

#include <stddef.h>
#include <stdint.h>

#ifndef IMGSHARE_API
#if defined(IMGSHARE_STATIC) && defined(__GNUC__)
#define IMGSHARE_API static __attribute__((unused))
#elif defined(IMGSHARE_STATIC)
#define IMGSHARE_API static
#elif defined(IMGSHARE_SHARED) && defined(__GNUC__)
#define IMGSHARE_API extern __attribute__((visibility("default")))
#else
#define IMGSHARE_API extern
#endif
#endif

#ifdef __cplusplus
extern "C" {
#endif
/* Status values: the exit codes of the imgshare command line (docs/protocol.md, section 9). */
typedef enum imgshare_status {
    IMGSHARE_OK = 0,
    IMGSHARE_ERROR = 1,       /* the image cannot be shared (too large, bad arguments to a call), out of memory */
    IMGSHARE_USAGE = 2,       /* a key that is not a key */
    IMGSHARE_NOT_SHARED = 3,  /* nothing is shared under the key (yet) */
    IMGSHARE_CORRUPT = 4,     /* damaged, another program's segment, a key collision, another format */
    IMGSHARE_TIMED_OUT = 5,   /* the lock stayed busy, or no new image came within the time given */
    IMGSHARE_PERMISSION = 6,  /* the key's objects belong to another user */
    IMGSHARE_IN_USE = 7       /* a live sender owns the key */
} imgshare_status;

/* Pixel modes (Pillow's names in comments); row layouts in docs/protocol.md, section 3.3. */
typedef enum imgshare_mode {
    IMGSHARE_MODE_1 = 0,   /* "1": 1 bit a pixel, MSB first, 1 = white */
    IMGSHARE_MODE_L,       /* "L": 8-bit grey */
    IMGSHARE_MODE_LA,      /* "LA": grey, alpha */
    IMGSHARE_MODE_P,       /* "P": 8-bit palette index */
    IMGSHARE_MODE_RGB,     /* "RGB" (B, G, R with bgr set) */
    IMGSHARE_MODE_RGBA,    /* "RGBA" (B, G, R, A with bgr set) */
    IMGSHARE_MODE_I16,     /* "I;16": unsigned 16-bit little-endian */
    IMGSHARE_MODE_I,       /* "I": signed 32-bit little-endian */
    IMGSHARE_MODE_F,       /* "F": float32 little-endian */
    IMGSHARE_MODE_COUNT
} imgshare_mode;

enum {
    IMGSHARE_TRANSPARENCY_NONE = 0,
    IMGSHARE_TRANSPARENCY_VALUE = 1,   /* P: an index; 1, L, I;16, I: a value */
    IMGSHARE_TRANSPARENCY_COLOUR = 2,  /* RGB: R, G, B */
    IMGSHARE_TRANSPARENCY_ALPHA = 3    /* P: one alpha byte per palette index (PNG tRNS) */
};

/* What a receiver learns about an image besides its pixels. */
typedef struct imgshare_info {
    uint64_t sequence;            /* 1 for a key's first share, +1 per share */
    uint64_t missed;              /* shares published between the last image (pixels) this receiver returned and this one */
    uint32_t width, height;
    imgshare_mode mode;
    uint32_t stride;              /* bytes per row in the shared slot (a borrow's row pitch) */
    uint64_t payload_length;      /* stride x height */
    int bgr;                      /* RGB/RGBA bytes are in OpenCV's order B, G, R(, A) */
    int converted;                /* the sender converted from source_mode */
    char source_mode[17];
    char source_name[256];        /* UTF-8, may be empty */
    int32_t sender_pid;
    int sender_alive;             /* the process serving the key runs now */
    int persisted;                /* the sender left the share on purpose */
    int64_t timestamp_ns;         /* Unix time of the share */
    int checksum_kind;            /* 0 none, 1 XXH3-64 */
    uint64_t checksum;
    char palette_mode[9];         /* P: "RGB" or "RGBA" (or empty: no palette) */
    uint32_t palette_length;      /* bytes in palette */
    uint8_t palette[1024];
    int transparency_kind;        /* IMGSHARE_TRANSPARENCY_* */
    uint32_t transparency_length;
    uint32_t transparency_values[4];
    uint8_t transparency_alpha[256];
    int segment_id;
    uint64_t segment_size;
} imgshare_info;

/* Optional details of a share (pass NULL for none). Zero-initialise, then set what you need. */
typedef struct imgshare_extras {
    const char *source_name;          /* shown by receivers (the base name is kept, cut to 255 bytes) */
    int bgr;                          /* RGB/RGBA pixels given as B, G, R(, A): carried as they are */
    const uint8_t *palette;           /* P: palette_length bytes of 3-byte (RGB) or 4-byte (RGBA) entries */
    uint32_t palette_length;          /* at most 256 entries */
    int palette_rgba;                 /* entries are 4 bytes */
    int transparency_kind;            /* IMGSHARE_TRANSPARENCY_*, allowed as docs/protocol.md 3.2 says */
    uint32_t transparency_values[3];  /* VALUE: [0]; COLOUR: R, G, B */
    const uint8_t *transparency_alpha;/* ALPHA: 1..256 bytes */
    uint32_t transparency_alpha_length;
} imgshare_extras;

typedef struct imgshare_sender imgshare_sender;
typedef struct imgshare_receiver imgshare_receiver;

/* The sentence describing this thread's last call ("" after a success). */
IMGSHARE_API const char *imgshare_message(void);
IMGSHARE_API const char *imgshare_mode_name(imgshare_mode mode);
/* The mode named name ("RGBA", "I;16"...); IMGSHARE_USAGE if there is none. */
IMGSHARE_API imgshare_status imgshare_mode_from_name(const char *name, imgshare_mode *mode);
/* Bytes in one unpadded row of width pixels. */
IMGSHARE_API size_t imgshare_row_bytes(imgshare_mode mode, uint32_t width);
/* The System V keys of a key: [0] segment and lock, [1] pin set, [2] new-image signal. */
IMGSHARE_API imgshare_status imgshare_key_numbers(const char *key, int32_t numbers[3]);

/* ---- Sender ---- */
/* A sender for key (nothing is touched until the first share). On failure *sender is NULL. */
IMGSHARE_API imgshare_status imgshare_sender_open(imgshare_sender **sender, const char *key);
IMGSHARE_API void imgshare_sender_set_lock_timeout(imgshare_sender *sender, double seconds); /* default 5 s */
IMGSHARE_API void imgshare_sender_set_checksum(imgshare_sender *sender, int on);              /* default on */
/* Publish height rows of stride bytes at pixels (stride 0: unpadded). */
IMGSHARE_API imgshare_status imgshare_share(imgshare_sender *sender, const void *pixels, uint32_t width,
                                            uint32_t height, imgshare_mode mode, size_t stride,
                                            const imgshare_extras *extras);
/* Write in place: *pixels points into a free slot of *stride bytes a row; fill it, then
 * imgshare_frame_publish() (or imgshare_frame_cancel() to publish nothing). */
IMGSHARE_API imgshare_status imgshare_frame_begin(imgshare_sender *sender, uint32_t width, uint32_t height,
                                                  imgshare_mode mode, const imgshare_extras *extras, void **pixels,
                                                  size_t *stride);
IMGSHARE_API imgshare_status imgshare_frame_publish(imgshare_sender *sender);
IMGSHARE_API void imgshare_frame_cancel(imgshare_sender *sender);
/* The sequence number of the last share, 0 before the first. */
IMGSHARE_API uint64_t imgshare_sender_sequence(const imgshare_sender *sender);
/* Stop: remove the share, or with persist leave it (marked persisted). Frees sender (NULL is fine). */
IMGSHARE_API imgshare_status imgshare_sender_close(imgshare_sender *sender, int persist);

/* ---- Receiver ---- */
/* A receiver for key (nothing is touched until the first read). On failure *receiver is NULL. */
IMGSHARE_API imgshare_status imgshare_receiver_open(imgshare_receiver **receiver, const char *key);
IMGSHARE_API void imgshare_receiver_set_lock_timeout(imgshare_receiver *receiver, double seconds); /* default 5 s */
IMGSHARE_API void imgshare_receiver_set_verify(imgshare_receiver *receiver, int on);              /* default on */
/* The current image's metadata, without its pixels. */
IMGSHARE_API imgshare_status imgshare_receive_info(imgshare_receiver *receiver, imgshare_info *info);
/* Copy the current image into buffer (rows of stride bytes; 0: unpadded), capacity bytes long. */
IMGSHARE_API imgshare_status imgshare_receive(imgshare_receiver *receiver, void *buffer, size_t capacity,
                                              size_t stride, imgshare_info *info);
/* Borrow the current image in place: *pixels (rows of info->stride bytes) stays valid and unchanged
 * (the slot is pinned: no sender writes it) until imgshare_release(), the next call on this receiver,
 * or imgshare_receiver_close(). */
IMGSHARE_API imgshare_status imgshare_borrow(imgshare_receiver *receiver, const void **pixels, imgshare_info *info);
/* As above, for an image newer than the last one whose pixels this receiver returned, waiting up to timeout
 * seconds on the new-image signal: IMGSHARE_TIMED_OUT if none came (IMGSHARE_NOT_SHARED if, by
 * then, nothing is shared at all). */
IMGSHARE_API imgshare_status imgshare_receive_new(imgshare_receiver *receiver, double timeout, void *buffer,
                                                  size_t capacity, size_t stride, imgshare_info *info);
IMGSHARE_API imgshare_status imgshare_borrow_new(imgshare_receiver *receiver, double timeout, const void **pixels,
                                                 imgshare_info *info);
IMGSHARE_API void imgshare_release(imgshare_receiver *receiver);
IMGSHARE_API void imgshare_receiver_close(imgshare_receiver *receiver);

/* Read a segment image held in memory (a file, a test vector) as a receiver reads a live one: the
 * same validation, checksum and copy. buffer may be NULL for the metadata alone. */
IMGSHARE_API imgshare_status imgshare_read_image(const void *segment, size_t size, const char *key, int verify,
                                                 imgshare_info *info, void *buffer, size_t capacity, size_t stride);

#ifdef __cplusplus
}
#endif
#endif /* IMGSHARE_H */

/* ================================== implementation ================================== */
#ifdef IMGSHARE_IMPLEMENTATION
#ifndef IMGSHARE_IMPLEMENTED
#define IMGSHARE_IMPLEMENTED

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#if !defined(XXH_STATIC_LINKING_ONLY)
#define XXH_STATIC_LINKING_ONLY /* XXH3_state_t's size: the state lives in our own allocation */
#endif
#ifdef IMGSHARE_XXHASH_HEADER
#include IMGSHARE_XXHASH_HEADER
#else
#include <xxhash.h>
#endif
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#if defined(IMGSHARE_MALLOC) != defined(IMGSHARE_FREE)
#error "define both IMGSHARE_MALLOC and IMGSHARE_FREE, or neither"
#endif
#ifndef IMGSHARE_MALLOC
#define IMGSHARE_MALLOC(size) malloc(size)
#define IMGSHARE_FREE(pointer) free(pointer)
#endif
#ifndef IMGSHARE_ASSERT
#include <assert.h>
#define IMGSHARE_ASSERT(condition) assert(condition)
#endif

#ifdef __cplusplus
#define IMGSHARE_TLS thread_local
extern "C" {
#else
#define IMGSHARE_TLS _Thread_local
/* POSIX declares these only under feature macros (_GNU_SOURCE for semtimedop, _POSIX_C_SOURCE for the
 * rest) that the including file may not have set before its first system header, and a later #define
 * cannot add them. They are declared here as glibc and musl define them (clockid_t and pid_t are int),
 * so imgshare.h can be included anywhere. C++ compilers on Linux define _GNU_SOURCE: nothing is needed. */
int semtimedop(int semid, struct sembuf *sops, size_t nsops, const struct timespec *timeout);
int clock_gettime(int clock, struct timespec *now);
int nanosleep(const struct timespec *duration, struct timespec *remaining);
int kill(int pid, int signal_number);
#endif
/* Linux's values, which <time.h> and <sys/shm.h> name only under the same feature macros. */
#define IMGSHARE__CLOCK_REALTIME 0
#define IMGSHARE__CLOCK_MONOTONIC 1
#define IMGSHARE__SHM_DEST 01000
#ifdef O_CLOEXEC
#define IMGSHARE__O_CLOEXEC O_CLOEXEC
#else
#define IMGSHARE__O_CLOEXEC 0
#endif

/* ---- constants of the protocol (docs/protocol.md) ---- */
#define IMGSHARE__PAGE 4096u
#define IMGSHARE__CONTROL 4096u
#define IMGSHARE__DESCRIPTOR 4096u
#define IMGSHARE__MIN_SLOTS 2u
#define IMGSHARE__MAX_SLOTS 8u
#define IMGSHARE__SLOTS 3u              /* what we create: a borrowed, a published and a written slot */
#define IMGSHARE__NONE 0xFFFFFFFFu       /* published: nothing yet */
#define IMGSHARE__PERSISTED 1u
#define IMGSHARE__CONVERTED 1u
#define IMGSHARE__BGR 2u
#define IMGSHARE__MAX_DIM 65536u
#define IMGSHARE__PIN_COUNT 8
#define IMGSHARE__WRAP_AT 32000
#define IMGSHARE__SEM_MAX 32767
/* Bytes hashed just before they are copied: the hash pulls them into the cache the copy then reads
 * from (hashing after the copy reads them again from memory: large copies bypass the cache). */
#define IMGSHARE__CHUNK (1024u * 1024u)
/* Images from this size on are copied with streaming stores: a cached store first reads each line of
 * the destination (a third pass over memory), and no one reads these bytes back before they leave the
 * cache anyway. Smaller ones stay in the cache for the reader. */
#define IMGSHARE__STREAM_FROM (4u * 1024u * 1024u)
#define IMGSHARE__WAKE_BOUND 0.5         /* longest sleep on the signal: a dead sender is noticed */
#define IMGSHARE__NOTHING_POLL 0.1       /* between looks while following a key with no sender */
#define IMGSHARE__DEFAULT_TIMEOUT 5.0
/* control block offsets */
#define IMGSHARE__O_PUBLISHED 16
#define IMGSHARE__O_FLAGS 20
#define IMGSHARE__O_OWNER_PID 24
#define IMGSHARE__O_CRC 28
#define IMGSHARE__O_OWNER_START 32
#define IMGSHARE__O_SLOTS 64
#define IMGSHARE__O_KEY_LENGTH 192
#define IMGSHARE__O_KEY 256

static const char imgshare__magic[8] = {'I', 'M', 'G', 'S', 'H', 'A', 'R', 'E'};
static const char *const imgshare__mode_names[IMGSHARE_MODE_COUNT] = {"1", "L", "LA", "P", "RGB", "RGBA",
                                                                        "I;16", "I", "F"};
static const unsigned imgshare__mode_bits[IMGSHARE_MODE_COUNT] = {1, 8, 16, 8, 24, 32, 16, 32, 32};

union imgshare__semun {
    int val;
    struct semid_ds *buf;
    unsigned short *array;
};

/* ---- messages ---- */
static IMGSHARE_TLS char imgshare__text[512];

static imgshare_status imgshare__fail(imgshare_status status, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    vsnprintf(imgshare__text, sizeof imgshare__text, format, args);
    va_end(args);
    return status;
}

static imgshare_status imgshare__ok(void)
{
    imgshare__text[0] = '\0';
    return IMGSHARE_OK;
}

IMGSHARE_API const char *imgshare_message(void) { return imgshare__text; }

/* What a read returns: after a failure, info holds nothing (no half-filled or earlier image). */
static imgshare_status imgshare__outcome(imgshare_status st, imgshare_info *info)
{
    if (st && info)
        memset(info, 0, sizeof *info);
    return st;
}

/* ---- little-endian fields ---- */
static uint16_t imgshare__u16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t imgshare__u32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint64_t imgshare__u64(const uint8_t *p) { return imgshare__u32(p) | (uint64_t)imgshare__u32(p + 4) << 32; }
static void imgshare__put16(uint8_t *p, uint32_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void imgshare__put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 24);
}
static void imgshare__put64(uint8_t *p, uint64_t v) { imgshare__put32(p, (uint32_t)v); imgshare__put32(p + 4, (uint32_t)(v >> 32)); }

/* ---- modes ---- */
IMGSHARE_API const char *imgshare_mode_name(imgshare_mode mode)
{
    return (unsigned)mode < IMGSHARE_MODE_COUNT ? imgshare__mode_names[mode] : "?";
}

static int imgshare__mode_of(const char *name, size_t length, imgshare_mode *mode)
{
    unsigned i;
    for (i = 0; i < IMGSHARE_MODE_COUNT; i++) {
        if (strlen(imgshare__mode_names[i]) == length && memcmp(imgshare__mode_names[i], name, length) == 0) {
            *mode = (imgshare_mode)i;
            return 1;
        }
    }
    return 0;
}

IMGSHARE_API imgshare_status imgshare_mode_from_name(const char *name, imgshare_mode *mode)
{
    if (name && mode && imgshare__mode_of(name, strlen(name), mode))
        return imgshare__ok();
    return imgshare__fail(IMGSHARE_USAGE, "'%s' is not a mode imgshare carries (1, L, LA, P, RGB, RGBA, I;16, I, F)",
                          name ? name : "(null)");
}

IMGSHARE_API size_t imgshare_row_bytes(imgshare_mode mode, uint32_t width)
{
    if ((unsigned)mode >= IMGSHARE_MODE_COUNT)
        return 0;
    return ((size_t)width * imgshare__mode_bits[mode] + 7) / 8;
}

/* ---- SHA-1 (FIPS 180-4) and the key recipe (protocol §1) ---- */
static uint32_t imgshare__rotl(uint32_t x, unsigned n) { return (x << n) | (x >> (32 - n)); }

static void imgshare__sha1_block(uint32_t h[5], const uint8_t *block)
{
    uint32_t w[80], a, b, c, d, e, f, k, temp;
    unsigned t;
    for (t = 0; t < 16; t++)
        w[t] = (uint32_t)block[4 * t] << 24 | (uint32_t)block[4 * t + 1] << 16 | (uint32_t)block[4 * t + 2] << 8 |
               block[4 * t + 3];
    for (t = 16; t < 80; t++)
        w[t] = imgshare__rotl(w[t - 3] ^ w[t - 8] ^ w[t - 14] ^ w[t - 16], 1);
    a = h[0]; b = h[1]; c = h[2]; d = h[3]; e = h[4];
    for (t = 0; t < 80; t++) {
        if (t < 20) { f = (b & c) | (~b & d); k = 0x5A827999u; }
        else if (t < 40) { f = b ^ c ^ d; k = 0x6ED9EBA1u; }
        else if (t < 60) { f = (b & c) | (b & d) | (c & d); k = 0x8F1BBCDCu; }
        else { f = b ^ c ^ d; k = 0xCA62C1D6u; }
        temp = imgshare__rotl(a, 5) + f + e + k + w[t];
        e = d; d = c; c = imgshare__rotl(b, 30); b = a; a = temp;
    }
    h[0] += a; h[1] += b; h[2] += c; h[3] += d; h[4] += e;
}

static void imgshare__sha1(const void *data, size_t length, uint8_t digest[20])
{
    uint32_t h[5] = {0x67452301u, 0xEFCDAB89u, 0x98BADCFEu, 0x10325476u, 0xC3D2E1F0u};
    const uint8_t *p = (const uint8_t *)data;
    uint8_t tail[128];
    size_t rest, padded, i;
    uint64_t bits = (uint64_t)length * 8;
    while (length >= 64) {
        imgshare__sha1_block(h, p);
        p += 64;
        length -= 64;
    }
    rest = length;
    memset(tail, 0, sizeof tail);
    if (rest)
        memcpy(tail, p, rest);
    tail[rest] = 0x80;
    padded = rest + 1 + 8 <= 64 ? 64 : 128;
    for (i = 0; i < 8; i++)
        tail[padded - 1 - i] = (uint8_t)(bits >> (8 * i));
    for (i = 0; i < padded; i += 64)
        imgshare__sha1_block(h, tail + i);
    for (i = 0; i < 5; i++) {
        digest[4 * i] = (uint8_t)(h[i] >> 24);
        digest[4 * i + 1] = (uint8_t)(h[i] >> 16);
        digest[4 * i + 2] = (uint8_t)(h[i] >> 8);
        digest[4 * i + 3] = (uint8_t)h[i];
    }
}

static int32_t imgshare__recipe(int prefix, const char *key, size_t length)
{
    uint8_t input[256], digest[20];
    size_t n = 0;
    uint32_t value;
    if (prefix >= 0)
        input[n++] = (uint8_t)prefix;
    memcpy(input + n, key, length);
    imgshare__sha1(input, n + length, digest);
    value = ((uint32_t)digest[0] << 24 | (uint32_t)digest[1] << 16 | (uint32_t)digest[2] << 8 | digest[3]) &
            0x7FFFFFFFu;
    return (int32_t)(value ? value : 1);
}

/* Decode one UTF-8 character strictly (no overlong forms, no surrogates); its length, or 0. */
static size_t imgshare__utf8_char(const uint8_t *p, size_t left, uint32_t *point)
{
    uint32_t c;
    size_t n, i;
    if (left == 0)
        return 0;
    if (p[0] < 0x80) { *point = p[0]; return 1; }
    if (p[0] >= 0xC2 && p[0] <= 0xDF) { n = 2; c = p[0] & 0x1Fu; }
    else if (p[0] >= 0xE0 && p[0] <= 0xEF) { n = 3; c = p[0] & 0x0Fu; }
    else if (p[0] >= 0xF0 && p[0] <= 0xF4) { n = 4; c = p[0] & 0x07u; }
    else return 0;
    if (left < n)
        return 0;
    for (i = 1; i < n; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return 0;
        c = c << 6 | (p[i] & 0x3Fu);
    }
    if ((n == 3 && c < 0x800) || (n == 4 && (c < 0x10000 || c > 0x10FFFF)) || (c >= 0xD800 && c <= 0xDFFF))
        return 0;
    *point = c;
    return n;
}

static int imgshare__valid_utf8(const uint8_t *p, size_t length)
{
    uint32_t point;
    size_t n;
    while (length) {
        n = imgshare__utf8_char(p, length, &point);
        if (!n)
            return 0;
        p += n;
        length -= n;
    }
    return 1;
}

static int imgshare__refused_point(uint32_t c)
{
    static const uint32_t ranges[][2] = {{0x0000, 0x001F}, {0x007F, 0x009F}, {0x00AD, 0x00AD}, {0x061C, 0x061C},
                                         {0x180E, 0x180E}, {0x200B, 0x200F}, {0x2028, 0x202E}, {0x2060, 0x206F},
                                         {0xFEFF, 0xFEFF}, {0xFFF9, 0xFFFB}, {0xE0000, 0xE007F}};
    size_t i;
    for (i = 0; i < sizeof ranges / sizeof ranges[0]; i++)
        if (c >= ranges[i][0] && c <= ranges[i][1])
            return 1;
    return 0;
}

/* IMGSHARE_OK with the key's length, or IMGSHARE_USAGE with the sentence (protocol §1.1). */
static imgshare_status imgshare__check_key(const char *key, size_t *length)
{
    const uint8_t *p = (const uint8_t *)key;
    size_t n, left, position = 0;
    uint32_t point;
    if (!key || !*key)
        return imgshare__fail(IMGSHARE_USAGE, "the key must not be empty");
    left = strlen(key);
    if (left > 255)
        return imgshare__fail(IMGSHARE_USAGE, "the key is %zu bytes long in UTF-8; at most 255 are allowed", left);
    *length = left;
    while (left) {
        n = imgshare__utf8_char(p, left, &point);
        if (!n)
            return imgshare__fail(IMGSHARE_USAGE, "the key is not valid UTF-8 text");
        position++;
        if (imgshare__refused_point(point))
            return imgshare__fail(IMGSHARE_USAGE,
                                  "the key must not contain control or invisible characters (U+%04X at position %zu)",
                                  (unsigned)point, position);
        p += n;
        left -= n;
    }
    return IMGSHARE_OK;
}

IMGSHARE_API imgshare_status imgshare_key_numbers(const char *key, int32_t numbers[3])
{
    size_t length = 0;
    imgshare_status st = imgshare__check_key(key, &length);
    if (st)
        return st;
    numbers[0] = imgshare__recipe(-1, key, length);
    numbers[1] = imgshare__recipe(0xFF, key, length);
    numbers[2] = imgshare__recipe(0xFE, key, length);
    return imgshare__ok();
}

/* ---- CRC-32 (zlib's), a nibble at a time ---- */
static uint32_t imgshare__crc32(const void *data, size_t length)
{
    static const uint32_t table[16] = {0x00000000u, 0x1DB71064u, 0x3B6E20C8u, 0x26D930ACu, 0x76DC4190u, 0x6B6B51F4u,
                                       0x4DB26158u, 0x5005713Cu, 0xEDB88320u, 0xF00F9344u, 0xD6D6A3E8u, 0xCB61B38Cu,
                                       0x9B64C2B0u, 0x86D3D2D4u, 0xA00AE278u, 0xBDBDF21Cu};
    const uint8_t *p = (const uint8_t *)data;
    uint32_t crc = 0xFFFFFFFFu;
    while (length--) {
        crc ^= *p++;
        crc = (crc >> 4) ^ table[crc & 15];
        crc = (crc >> 4) ^ table[crc & 15];
    }
    return crc ^ 0xFFFFFFFFu;
}

/* ---- allocation ---- */
/* One zeroed block from IMGSHARE_MALLOC holding an object of size bytes and, after it, an XXH3 state at
 * the 64-byte alignment XXH3's vector code needs (more than malloc promises); NULL when out of memory. */
static void *imgshare__allocate(size_t size, XXH3_state_t **state)
{
    size_t total = size + sizeof(XXH3_state_t) + 64;
    uint8_t *block = (uint8_t *)IMGSHARE_MALLOC(total);
    uintptr_t at;
    if (!block)
        return NULL;
    memset(block, 0, total);
    at = ((uintptr_t)(block + size) + 63) & ~(uintptr_t)63;
    *state = (XXH3_state_t *)(void *)at;
    IMGSHARE_ASSERT(at + sizeof(XXH3_state_t) <= (uintptr_t)(block + total));
    return block;
}

/* ---- copies ---- */
static void imgshare__copy(uint8_t *dest, const uint8_t *src, size_t n, int stream)
{
#if defined(__SSE2__)
    if (stream && n >= 64) {
        size_t head = (16 - ((uintptr_t)dest & 15)) & 15;
        memcpy(dest, src, head);
        dest += head;
        src += head;
        n -= head;
        for (; n >= 64; n -= 64, dest += 64, src += 64) {
            __m128i a = _mm_loadu_si128((const __m128i *)(const void *)src);
            __m128i b = _mm_loadu_si128((const __m128i *)(const void *)(src + 16));
            __m128i c = _mm_loadu_si128((const __m128i *)(const void *)(src + 32));
            __m128i d = _mm_loadu_si128((const __m128i *)(const void *)(src + 48));
            _mm_stream_si128((__m128i *)(void *)dest, a);
            _mm_stream_si128((__m128i *)(void *)(dest + 16), b);
            _mm_stream_si128((__m128i *)(void *)(dest + 32), c);
            _mm_stream_si128((__m128i *)(void *)(dest + 48), d);
        }
    }
#else
    (void)stream;
#endif
    memcpy(dest, src, n);
}

/* Streaming stores are weakly ordered: fence them before anyone is told the bytes are there. */
static void imgshare__copied(int stream)
{
#if defined(__SSE2__)
    if (stream)
        _mm_sfence();
#else
    (void)stream;
#endif
}

/* ---- time ---- */
static double imgshare__now(void)
{
    struct timespec ts;
    clock_gettime(IMGSHARE__CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void imgshare__sleep(double seconds)
{
    struct timespec ts;
    if (seconds <= 0)
        return;
    ts.tv_sec = (time_t)seconds;
    ts.tv_nsec = (long)((seconds - (double)ts.tv_sec) * 1e9);
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

static struct timespec imgshare__span(double seconds)
{
    struct timespec ts;
    if (seconds < 0)
        seconds = 0;
    ts.tv_sec = (time_t)seconds;
    ts.tv_nsec = (long)((seconds - (double)ts.tv_sec) * 1e9);
    if (ts.tv_nsec >= 1000000000L) { ts.tv_sec++; ts.tv_nsec -= 1000000000L; }
    return ts;
}

/* ---- liveness (protocol §8.1) ---- */
/* State letter and start time of pid from /proc/PID/stat; 0 if it cannot be read or parsed. */
static int imgshare__stat(int32_t pid, char *state, uint64_t *start)
{
    char path[64], buffer[1024];
    int fd;
    ssize_t n;
    char *close_paren, *p;
    int field;
    if (pid <= 0)
        return 0;
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    fd = open(path, O_RDONLY | IMGSHARE__O_CLOEXEC);
    if (fd < 0)
        return 0;
    n = read(fd, buffer, sizeof buffer - 1);
    close(fd);
    if (n <= 0)
        return 0;
    buffer[n] = '\0';
    close_paren = strrchr(buffer, ')'); /* the name may hold spaces and ')': its LAST ')' ends it */
    if (!close_paren || close_paren[1] != ' ' || !close_paren[2])
        return 0;
    p = close_paren + 2;
    *state = *p;
    for (field = 3; field < 22; field++) {
        p = strchr(p, ' ');
        if (!p)
            return 0;
        p++;
    }
    if (*p < '0' || *p > '9')
        return 0;
    *start = strtoull(p, NULL, 10);
    return 1;
}

static uint64_t imgshare__start_ticks(int32_t pid)
{
    char state;
    uint64_t start = 0;
    return imgshare__stat(pid, &state, &start) ? start : 0;
}

static int imgshare__alive(int32_t pid, uint64_t start)
{
    char state = 0;
    uint64_t now_start = 0;
    if (pid <= 0)
        return 0;
    if (access("/proc/self/stat", R_OK) == 0) {
        if (!imgshare__stat(pid, &state, &now_start) || state == 'Z' || state == 'X')
            return 0;
        return start == 0 || now_start == start;
    }
    return kill(pid, 0) == 0 || errno == EPERM;
}

/* ---- System V helpers ---- */
static int imgshare__semval(int semid, int number)
{
    return semctl(semid, number, GETVAL);
}

/* Semaphore ops with a timeout, retrying after signals with the time left; 0 or an errno. */
static int imgshare__semop_for(int semid, struct sembuf *ops, size_t count, double seconds)
{
    double deadline = imgshare__now() + (seconds > 0 ? seconds : 0);
    for (;;) {
        struct timespec ts = imgshare__span(deadline - imgshare__now());
        if (semtimedop(semid, ops, count, &ts) == 0)
            return 0;
        if (errno == EINTR && imgshare__now() < deadline)
            continue;
        return errno == EINTR ? EAGAIN : errno;
    }
}

static void imgshare__op(struct sembuf *op, int number, int delta, int flags)
{
    op->sem_num = (unsigned short)number;
    op->sem_op = (short)delta;
    op->sem_flg = (short)flags;
}

static int imgshare__lock_acquire(int semid, double seconds)
{
    struct sembuf op;
    imgshare__op(&op, 0, -1, SEM_UNDO);
    return imgshare__semop_for(semid, &op, 1, seconds);
}

static void imgshare__lock_release(int semid)
{
    struct sembuf op;
    imgshare__op(&op, 0, 1, SEM_UNDO);
    while (semop(semid, &op, 1) != 0 && errno == EINTR) {
    }
}

/* Wait until the lock's creator released it once (sem_otime set): 0, ETIMEDOUT, or an errno. */
static int imgshare__lock_initialised(int semid, double seconds)
{
    double deadline = imgshare__now() + seconds, delay = 0.0005;
    struct semid_ds ds;
    union imgshare__semun arg;
    for (;;) {
        arg.buf = &ds;
        if (semctl(semid, 0, IPC_STAT, arg) != 0)
            return errno;
        if (ds.sem_otime != 0)
            return 0;
        if (imgshare__now() >= deadline)
            return ETIMEDOUT;
        imgshare__sleep(delay);
        delay = delay * 2 > 0.02 ? 0.02 : delay * 2;
    }
}

static int imgshare__shm_stat(int shmid, struct shmid_ds *ds) { return shmctl(shmid, IPC_STAT, ds); }

static int imgshare__removed(int shmid)
{
    struct shmid_ds ds;
    return imgshare__shm_stat(shmid, &ds) != 0 || (ds.shm_perm.mode & IMGSHARE__SHM_DEST) != 0;
}

/* The first bytes of the segment at sysv, read without the lock: 1 if read, 0 if none, -1 EACCES. */
static int imgshare__peek(int32_t sysv, uint8_t *out, size_t length)
{
    struct shmid_ds ds;
    void *base;
    int shmid = shmget(sysv, 0, 0);
    memset(out, 0, length);
    if (shmid < 0)
        return errno == EACCES ? -1 : 0;
    if (imgshare__shm_stat(shmid, &ds) != 0)
        return errno == EACCES ? -1 : 0;
    base = shmat(shmid, NULL, SHM_RDONLY);
    if (base == (void *)-1)
        return errno == EACCES ? -1 : 0;
    memcpy(out, base, ds.shm_segsz < length ? ds.shm_segsz : length);
    shmdt(base);
    return 1;
}

static int imgshare__foreign_start(const uint8_t start[8])
{
    static const uint8_t zero[8] = {0};
    return memcmp(start, zero, 8) != 0 && memcmp(start, imgshare__magic, 8) != 0;
}

/* ---- the control block (protocol §3.1) ---- */
typedef struct imgshare__control {
    uint32_t slot_count, published, flags;
    int32_t owner_pid;
    uint64_t owner_start;
    uint64_t offset[IMGSHARE__MAX_SLOTS], capacity[IMGSHARE__MAX_SLOTS];
} imgshare__control;

static imgshare_status imgshare__damaged(const char *detail)
{
    return imgshare__fail(IMGSHARE_CORRUPT, "the shared memory under this key is damaged (%s)", detail);
}

static imgshare_status imgshare__format(uint32_t version, const char *key)
{
    if (version == 1)
        return imgshare__fail(IMGSHARE_CORRUPT,
                              "the share under key '%s' was made by an older imgshare (format 1); stop that program, "
                              "or run 'imgshare remove --key %s'", key, key);
    return imgshare__fail(IMGSHARE_CORRUPT,
                          "the share under key '%s' was made by an imgshare of format %u; this program reads format 2",
                          key, (unsigned)version);
}

/* Validate a control block (raw: its first min(size, 4096) bytes, zero-padded) of a segment of size
 * bytes (the kernel's figure) for key. Steps 2-7 of protocol §3.1; step 1 (blank) is the caller's. */
static imgshare_status imgshare__check_control(const uint8_t *raw, uint64_t size, const char *key, size_t key_length,
                                               imgshare__control *c, int *not_ours)
{
    uint8_t zeroed[IMGSHARE__CONTROL];
    uint32_t version, crc, i, key_len;
    uint64_t lowest;
    *not_ours = 1; /* foreign, another format, another key: never replaced, only refused */
    if (size < 8 || memcmp(raw, imgshare__magic, 8) != 0)
        return imgshare__fail(IMGSHARE_CORRUPT, "the key '%s' holds another program's shared memory, not an imgshare image",
                              key);
    version = size >= 10 ? imgshare__u16(raw + 8) : 2;
    if (version != 2)
        return imgshare__format(version, key);
    *not_ours = 0;
    if (size < IMGSHARE__CONTROL)
        return imgshare__damaged("it is shorter than its control block");
    memcpy(zeroed, raw, IMGSHARE__CONTROL);
    memset(zeroed + 16, 0, 32);
    crc = imgshare__u32(raw + IMGSHARE__O_CRC);
    if (imgshare__crc32(zeroed, IMGSHARE__CONTROL) != crc)
        return imgshare__damaged("control block checksum mismatch");
    if (imgshare__u16(raw + 10) != IMGSHARE__CONTROL)
        return imgshare__damaged("control block size");
    c->slot_count = imgshare__u32(raw + 12);
    if (c->slot_count < IMGSHARE__MIN_SLOTS || c->slot_count > IMGSHARE__MAX_SLOTS)
        return imgshare__damaged("slot count out of bounds");
    c->published = imgshare__u32(raw + IMGSHARE__O_PUBLISHED);
    c->flags = imgshare__u32(raw + IMGSHARE__O_FLAGS);
    c->owner_pid = (int32_t)imgshare__u32(raw + IMGSHARE__O_OWNER_PID);
    c->owner_start = imgshare__u64(raw + IMGSHARE__O_OWNER_START);
    if (c->flags & ~IMGSHARE__PERSISTED)
        return imgshare__damaged("unknown flags");
    key_len = imgshare__u16(raw + IMGSHARE__O_KEY_LENGTH);
    if (key_len < 1 || key_len > 255)
        return imgshare__damaged("key length out of bounds");
    if (!imgshare__valid_utf8(raw + IMGSHARE__O_KEY, key_len))
        return imgshare__damaged("key is not valid utf-8");
    if (key_len != key_length || memcmp(raw + IMGSHARE__O_KEY, key, key_length) != 0) {
        char named[256];
        memcpy(named, raw + IMGSHARE__O_KEY, key_len);
        named[key_len] = '\0';
        *not_ours = 1;
        return imgshare__fail(IMGSHARE_CORRUPT,
                              "the key '%s' collides with imgshare key '%s' (the same System V key); choose another key",
                              key, named);
    }
    for (i = 0; i < IMGSHARE__MAX_SLOTS; i++) {
        c->offset[i] = imgshare__u64(raw + IMGSHARE__O_SLOTS + 16 * i);
        c->capacity[i] = imgshare__u64(raw + IMGSHARE__O_SLOTS + 16 * i + 8);
        if (i >= c->slot_count && (c->offset[i] || c->capacity[i]))
            return imgshare__damaged("slot table entries beyond the slot count");
    }
    lowest = (uint64_t)IMGSHARE__CONTROL + (uint64_t)c->slot_count * IMGSHARE__DESCRIPTOR;
    for (i = 0; i < c->slot_count; i++) {
        uint32_t j;
        if (c->offset[i] % IMGSHARE__PAGE || c->offset[i] < lowest || c->offset[i] > size ||
            c->capacity[i] > size - c->offset[i])
            return imgshare__damaged("a slot does not fit the segment");
        for (j = 0; j < i; j++) {
            if (c->capacity[i] && c->capacity[j] && c->offset[i] < c->offset[j] + c->capacity[j] &&
                c->offset[j] < c->offset[i] + c->capacity[i])
                return imgshare__damaged("two slots overlap");
        }
    }
    if (c->published != IMGSHARE__NONE && c->published >= c->slot_count)
        return imgshare__damaged("published slot out of bounds");
    return IMGSHARE_OK;
}

static void imgshare__pack_control(uint8_t *buf, const char *key, size_t key_length, const imgshare__control *c)
{
    uint32_t i;
    memset(buf, 0, IMGSHARE__CONTROL);
    memcpy(buf, imgshare__magic, 8);
    imgshare__put16(buf + 8, 2);
    imgshare__put16(buf + 10, IMGSHARE__CONTROL);
    imgshare__put32(buf + 12, c->slot_count);
    for (i = 0; i < c->slot_count; i++) {
        imgshare__put64(buf + IMGSHARE__O_SLOTS + 16 * i, c->offset[i]);
        imgshare__put64(buf + IMGSHARE__O_SLOTS + 16 * i + 8, c->capacity[i]);
    }
    imgshare__put16(buf + IMGSHARE__O_KEY_LENGTH, (uint32_t)key_length);
    memcpy(buf + IMGSHARE__O_KEY, key, key_length);
    imgshare__put32(buf + IMGSHARE__O_CRC, imgshare__crc32(buf, IMGSHARE__CONTROL)); /* mutable range is 0 here */
    imgshare__put32(buf + IMGSHARE__O_PUBLISHED, c->published);
    imgshare__put32(buf + IMGSHARE__O_FLAGS, c->flags);
    imgshare__put32(buf + IMGSHARE__O_OWNER_PID, (uint32_t)c->owner_pid);
    imgshare__put64(buf + IMGSHARE__O_OWNER_START, c->owner_start);
}

/* ---- the slot descriptor (protocol §3.2) ---- */
static imgshare_status imgshare__bad_header(const char *detail)
{
    return imgshare__fail(IMGSHARE_CORRUPT, "the image's header in the shared memory is damaged (%s)", detail);
}

/* A NUL-padded ASCII field: 1 with its text (trailing NULs removed; *length counts any inner NUL, which
 * then matches no name), 0 if it is not ASCII. */
static int imgshare__ascii_field(const uint8_t *p, size_t size, char *out, size_t *length)
{
    size_t n = size;
    size_t i;
    while (n && p[n - 1] == 0)
        n--;
    for (i = 0; i < n; i++)
        if (p[i] >= 0x80)
            return 0;
    memcpy(out, p, n);
    out[n] = '\0';
    *length = n;
    return 1;
}

/* Validate the descriptor raw (4096 bytes) of a slot of capacity bytes and fill info from it. */
static imgshare_status imgshare__check_descriptor(const uint8_t *raw, uint64_t capacity, imgshare_info *info)
{
    uint8_t zeroed[IMGSHARE__DESCRIPTOR];
    char mode_name[17], palette_mode[9];
    size_t mode_length, palette_mode_length, source_mode_length;
    uint32_t flags, kind, source_len, palette_len, t_kind, t_len, i, limit;
    uint64_t min_stride;
    imgshare_mode mode;
    memcpy(zeroed, raw, IMGSHARE__DESCRIPTOR);
    memset(zeroed + 28, 0, 4);
    if (imgshare__crc32(zeroed, IMGSHARE__DESCRIPTOR) != imgshare__u32(raw + 28))
        return imgshare__bad_header("descriptor checksum mismatch");
    memset(info, 0, sizeof *info);
    info->sequence = imgshare__u64(raw);
    if (info->sequence < 1)
        return imgshare__bad_header("sequence 0");
    if (!imgshare__ascii_field(raw + 72, 16, mode_name, &mode_length) ||
        !imgshare__mode_of(mode_name, mode_length, &mode))
        return imgshare__bad_header("unsupported mode");
    info->mode = mode;
    info->width = imgshare__u32(raw + 8);
    info->height = imgshare__u32(raw + 12);
    if (info->width < 1 || info->width > IMGSHARE__MAX_DIM || info->height < 1 || info->height > IMGSHARE__MAX_DIM)
        return imgshare__bad_header("dimensions out of bounds");
    info->stride = imgshare__u32(raw + 16);
    min_stride = imgshare_row_bytes(mode, info->width);
    if (info->stride < min_stride || info->stride > min_stride + 4096)
        return imgshare__bad_header("stride does not fit the width");
    info->payload_length = imgshare__u64(raw + 32);
    if (info->payload_length != (uint64_t)info->stride * info->height)
        return imgshare__bad_header("payload length is not stride x height");
    if (info->payload_length > capacity)
        return imgshare__bad_header("the image is larger than its slot");
    flags = imgshare__u32(raw + 20);
    if ((flags & ~(IMGSHARE__CONVERTED | IMGSHARE__BGR)) ||
        ((flags & IMGSHARE__BGR) && mode != IMGSHARE_MODE_RGB && mode != IMGSHARE_MODE_RGBA))
        return imgshare__bad_header("flags do not fit the mode");
    info->converted = (flags & IMGSHARE__CONVERTED) != 0;
    info->bgr = (flags & IMGSHARE__BGR) != 0;
    kind = imgshare__u32(raw + 24);
    info->checksum = imgshare__u64(raw + 40);
    if (kind > 1 || (kind == 0 && info->checksum != 0))
        return imgshare__bad_header("unknown checksum kind");
    info->checksum_kind = (int)kind;
    info->sender_pid = (int32_t)imgshare__u32(raw + 48);
    info->timestamp_ns = (int64_t)imgshare__u64(raw + 64);
    if (!imgshare__ascii_field(raw + 88, 16, info->source_mode, &source_mode_length))
        return imgshare__bad_header("source mode is not valid ascii");
    if (!source_mode_length)
        strcpy(info->source_mode, mode_name);
    if (!imgshare__ascii_field(raw + 104, 8, palette_mode, &palette_mode_length))
        return imgshare__bad_header("palette mode is not valid ascii");
    source_len = imgshare__u16(raw + 112);
    palette_len = imgshare__u16(raw + 114);
    t_kind = imgshare__u16(raw + 116);
    t_len = imgshare__u16(raw + 118);
    if (source_len > 255)
        return imgshare__bad_header("source name length out of bounds");
    if (!imgshare__valid_utf8(raw + 256, source_len))
        return imgshare__bad_header("source name is not valid utf-8");
    memcpy(info->source_name, raw + 256, source_len);
    info->source_name[source_len] = '\0';
    if (mode == IMGSHARE_MODE_P) {
        size_t entry = palette_mode_length == 3 && memcmp(palette_mode, "RGB", 3) == 0    ? 3
                       : palette_mode_length == 4 && memcmp(palette_mode, "RGBA", 4) == 0 ? 4
                                                                                          : 0;
        if (palette_len && (!entry || palette_len % entry || palette_len / entry > 256))
            return imgshare__bad_header("palette out of bounds");
    } else if (palette_len || palette_mode_length) {
        return imgshare__bad_header("a palette on an image that is not P");
    }
    strcpy(info->palette_mode, palette_mode);
    info->palette_length = palette_len;
    memcpy(info->palette, raw + 768, palette_len);
    /* transparency: kinds by mode (protocol §3.2) */
    if (t_kind > 3)
        return imgshare__bad_header("unknown transparency kind");
    info->transparency_kind = (int)t_kind;
    info->transparency_length = t_len;
    for (i = 0; i < 4; i++)
        info->transparency_values[i] = imgshare__u32(raw + 120 + 4 * i);
    limit = mode == IMGSHARE_MODE_I16 ? 65535u : mode == IMGSHARE_MODE_I ? 0x7FFFFFFFu : 255u;
    {
        int ok;
        switch (t_kind) {
        case 0: ok = t_len == 0; break;
        case 1:
            ok = t_len == 1 && info->transparency_values[0] <= limit &&
                 (mode == IMGSHARE_MODE_P || mode == IMGSHARE_MODE_1 || mode == IMGSHARE_MODE_L ||
                  mode == IMGSHARE_MODE_I16 || mode == IMGSHARE_MODE_I);
            break;
        case 2:
            ok = t_len == 3 && mode == IMGSHARE_MODE_RGB && info->transparency_values[0] <= 255 &&
                 info->transparency_values[1] <= 255 && info->transparency_values[2] <= 255;
            break;
        default: ok = mode == IMGSHARE_MODE_P && t_len >= 1 && t_len <= 256; break;
        }
        if (!ok)
            return imgshare__bad_header("transparency does not fit the mode");
    }
    /* values beyond the kind's count are not part of the image (Python keeps only t_len of them) */
    for (i = t_kind == 1 ? 1 : t_kind == 2 ? 3 : 0; i < 4; i++)
        info->transparency_values[i] = 0;
    if (t_kind == 3)
        memcpy(info->transparency_alpha, raw + 512, t_len);
    return IMGSHARE_OK;
}

/* Copy a payload into buffer (rows of stride bytes), hashing each chunk right after copying it. */
static imgshare_status imgshare__copy_out(const uint8_t *payload, const imgshare_info *info, int verify,
                                          XXH3_state_t *state, void *buffer, size_t capacity, size_t stride)
{
    size_t row = imgshare_row_bytes(info->mode, info->width);
    size_t rows_per_chunk = IMGSHARE__CHUNK / info->stride ? IMGSHARE__CHUNK / info->stride : 1;
    size_t top, y, needed;
    int stream = info->payload_length >= IMGSHARE__STREAM_FROM;
    uint8_t *out = (uint8_t *)buffer;
    if (stride == 0)
        stride = row;
    if (stride < row)
        return imgshare__fail(IMGSHARE_ERROR, "a row of this image needs %zu bytes but the stride given is %zu", row,
                              stride);
    needed = stride * (info->height - 1) + row;
    if (!buffer || capacity < needed)
        return imgshare__fail(IMGSHARE_ERROR, "the image (%ux%u %s) needs a buffer of %zu bytes; %zu were given",
                              (unsigned)info->width, (unsigned)info->height, imgshare_mode_name(info->mode), needed,
                              capacity);
    if (verify)
        XXH3_64bits_reset(state);
    for (top = 0; top < info->height; top += rows_per_chunk) {
        size_t bottom = top + rows_per_chunk < info->height ? top + rows_per_chunk : info->height;
        const uint8_t *band = payload + top * info->stride;
        if (verify)
            XXH3_64bits_update(state, band, (bottom - top) * info->stride);
        if (stride == info->stride && stride == row)
            imgshare__copy(out + top * stride, band, (bottom - top) * row, stream);
        else
            for (y = top; y < bottom; y++)
                imgshare__copy(out + y * stride, payload + y * info->stride, row, stream);
    }
    imgshare__copied(stream);
    if (verify && XXH3_64bits_digest(state) != info->checksum)
        return imgshare__fail(IMGSHARE_CORRUPT, "the image failed its checksum (damaged segment)");
    return IMGSHARE_OK;
}

static imgshare_status imgshare__read_image(const void *segment, size_t size, const char *key, int verify,
                                           imgshare_info *info, void *buffer, size_t capacity, size_t stride)
{
    static const uint8_t zero[8] = {0};
    uint8_t raw[IMGSHARE__CONTROL];
    imgshare__control c;
    imgshare_info local;
    imgshare_status st;
    size_t key_length;
    int not_ours;
    const uint8_t *bytes = (const uint8_t *)segment;
    if (!info)
        info = &local;
    if ((st = imgshare__check_key(key, &key_length)))
        return st;
    memset(raw, 0, sizeof raw);
    memcpy(raw, bytes, size < sizeof raw ? size : sizeof raw);
    if (size >= 8 && memcmp(raw, zero, 8) == 0)
        return imgshare__fail(IMGSHARE_NOT_SHARED, "nothing is shared under the key '%s' yet", key);
    if ((st = imgshare__check_control(raw, size, key, key_length, &c, &not_ours)))
        return st;
    if (c.published == IMGSHARE__NONE)
        return imgshare__fail(IMGSHARE_NOT_SHARED, "nothing is shared under the key '%s' yet", key);
    if ((st = imgshare__check_descriptor(bytes + IMGSHARE__CONTROL + (size_t)c.published * IMGSHARE__DESCRIPTOR,
                                         c.capacity[c.published], info)))
        return st;
    info->sender_alive = imgshare__alive(c.owner_pid, c.owner_start);
    info->persisted = (c.flags & IMGSHARE__PERSISTED) != 0;
    info->segment_id = -1;
    info->segment_size = size;
    if (buffer || verify) {
        XXH3_state_t state; /* its type is aligned as XXH3 needs it */
        memset(&state, 0, sizeof state);
        if (buffer) {
            st = imgshare__copy_out(bytes + c.offset[c.published], info, verify && info->checksum_kind == 1, &state,
                                    buffer, capacity, stride);
        } else {
            st = IMGSHARE_OK;
            if (info->checksum_kind == 1 &&
                XXH3_64bits(bytes + c.offset[c.published], (size_t)info->payload_length) != info->checksum)
                st = imgshare__fail(IMGSHARE_CORRUPT, "the image failed its checksum (damaged segment)");
        }
        if (st)
            return st;
    }
    return imgshare__ok();
}

IMGSHARE_API imgshare_status imgshare_read_image(const void *segment, size_t size, const char *key, int verify,
                                                 imgshare_info *info, void *buffer, size_t capacity, size_t stride)
{
    return imgshare__outcome(imgshare__read_image(segment, size, key, verify, info, buffer, capacity, stride), info);
}

/* ---- one sender per key in this process (protocol §9, exit 7) ---- */
static pthread_mutex_t imgshare__claims_guard = PTHREAD_MUTEX_INITIALIZER;
static int32_t imgshare__claims[64];
static int imgshare__claim_count;

static int imgshare__claim(int32_t sysv)
{
    int i, ok = 1;
    pthread_mutex_lock(&imgshare__claims_guard);
    for (i = 0; i < imgshare__claim_count; i++)
        if (imgshare__claims[i] == sysv)
            ok = 0;
    if (ok && imgshare__claim_count < 64)
        imgshare__claims[imgshare__claim_count++] = sysv;
    else if (ok)
        ok = 0;
    pthread_mutex_unlock(&imgshare__claims_guard);
    return ok;
}

static void imgshare__unclaim(int32_t sysv)
{
    int i;
    pthread_mutex_lock(&imgshare__claims_guard);
    for (i = 0; i < imgshare__claim_count; i++) {
        if (imgshare__claims[i] == sysv) {
            imgshare__claims[i] = imgshare__claims[--imgshare__claim_count];
            break;
        }
    }
    pthread_mutex_unlock(&imgshare__claims_guard);
}

/* ---- the sender ---- */
struct imgshare_sender {
    char key[256];
    size_t key_length;
    int32_t sysv, sysv_pins, sysv_wake;
    double lock_timeout;
    int checksum;
    int claimed;
    int lock, lock_held;        /* semaphore ids, -1 for none */
    int pins, wake;
    int shmid;
    uint8_t *base;
    uint64_t size;
    imgshare__control control;
    uint32_t published;         /* IMGSHARE__NONE before the first */
    uint64_t sequence;
    XXH3_state_t *state;
    int in_frame;
    uint32_t frame_slot, frame_width, frame_height;
    imgshare_mode frame_mode;
    imgshare_extras frame_extras;
    char frame_source[256];
    uint8_t frame_palette[1024], frame_alpha[256];
};

#define IMGSHARE__LOST (-100) /* our segment was removed under us: claim the key afresh */

static void imgshare__own_identity(int32_t *pid, uint64_t *start)
{
    static pthread_mutex_t guard = PTHREAD_MUTEX_INITIALIZER;
    static int32_t cached_pid;
    static uint64_t cached_start;
    pthread_mutex_lock(&guard);
    if (cached_pid != (int32_t)getpid()) { /* after a fork too */
        cached_pid = (int32_t)getpid();
        cached_start = imgshare__start_ticks(cached_pid);
    }
    *pid = cached_pid;
    *start = cached_start;
    pthread_mutex_unlock(&guard);
}

IMGSHARE_API imgshare_status imgshare_sender_open(imgshare_sender **out, const char *key)
{
    imgshare_sender *s;
    XXH3_state_t *state;
    int32_t numbers[3];
    imgshare_status st;
    if (!out)
        return imgshare__fail(IMGSHARE_ERROR, "no place was given for the sender");
    *out = NULL;
    if ((st = imgshare_key_numbers(key, numbers)))
        return st;
    s = (imgshare_sender *)imgshare__allocate(sizeof *s, &state);
    if (!s)
        return imgshare__fail(IMGSHARE_ERROR, "out of memory");
    s->state = state;
    s->key_length = strlen(key);
    memcpy(s->key, key, s->key_length + 1);
    s->sysv = numbers[0];
    s->sysv_pins = numbers[1];
    s->sysv_wake = numbers[2];
    s->lock_timeout = IMGSHARE__DEFAULT_TIMEOUT;
    s->checksum = 1;
    s->lock = s->pins = s->wake = s->shmid = -1;
    s->published = IMGSHARE__NONE;
    *out = s;
    return imgshare__ok();
}

IMGSHARE_API void imgshare_sender_set_lock_timeout(imgshare_sender *s, double seconds)
{
    if (s)
        s->lock_timeout = seconds > 0 ? seconds : 0;
}

IMGSHARE_API void imgshare_sender_set_checksum(imgshare_sender *s, int on)
{
    if (s)
        s->checksum = on != 0;
}

IMGSHARE_API uint64_t imgshare_sender_sequence(const imgshare_sender *s) { return s ? s->sequence : 0; }

static imgshare_status imgshare__busy(const char *key, double timeout)
{
    return imgshare__fail(IMGSHARE_TIMED_OUT, "the lock of key '%s' stayed busy for %g s; another process holds it, try again",
                          key, timeout);
}

static imgshare_status imgshare__acquire_status(int result, const char *key, double timeout)
{
    if (result == 0)
        return IMGSHARE_OK;
    if (result == EAGAIN)
        return imgshare__busy(key, timeout);
    if (result == EIDRM || result == EINVAL)
        return imgshare__fail(IMGSHARE_NOT_SHARED, "nothing is shared under the key '%s'", key);
    if (result == EACCES || result == EPERM)
        return imgshare__fail(IMGSHARE_PERMISSION, "permission denied for the lock of key '%s'", key);
    return imgshare__fail(IMGSHARE_ERROR, "the lock of key '%s' cannot be used (%s)", key, strerror(result));
}

static imgshare_status imgshare__sender_acquire(imgshare_sender *s)
{
    int result = imgshare__lock_acquire(s->lock, s->lock_timeout);
    if (result == 0)
        s->lock_held = 1;
    return imgshare__acquire_status(result, s->key, s->lock_timeout);
}

static void imgshare__sender_release(imgshare_sender *s)
{
    if (s->lock_held) {
        s->lock_held = 0;
        imgshare__lock_release(s->lock);
    }
}

/* Drop our handles (detaching, removing nothing): whoever calls decides the objects' fate. */
static void imgshare__forget(imgshare_sender *s)
{
    if (s->base)
        shmdt(s->base);
    s->base = NULL;
    s->shmid = -1;
    s->lock = s->pins = s->wake = -1;
    s->lock_held = 0;
    s->published = IMGSHARE__NONE;
}

static int imgshare__lost(const imgshare_sender *s)
{
    return s->shmid < 0 || imgshare__removed(s->shmid) || shmget(s->sysv, 0, 0) != s->shmid;
}

static void imgshare__store32(uint8_t *base, size_t offset, uint32_t value)
{
    __atomic_store_n((uint32_t *)(void *)(base + offset), value, __ATOMIC_RELEASE); /* one aligned store */
}

static void imgshare__store64(uint8_t *base, size_t offset, uint64_t value)
{
    __atomic_store_n((uint64_t *)(void *)(base + offset), value, __ATOMIC_RELEASE);
}

static uint64_t imgshare__round_up(uint64_t length)
{
    uint64_t r = (length + IMGSHARE__PAGE - 1) / IMGSHARE__PAGE * IMGSHARE__PAGE;
    return r ? r : IMGSHARE__PAGE;
}

static int imgshare__fits(uint64_t capacity, uint64_t length)
{
    return length <= capacity && capacity <= 4 * imgshare__round_up(length) + (1u << 20);
}

static int imgshare__read_number(const char *path, unsigned long long *value)
{
    char text[64];
    ssize_t n;
    int fd = open(path, O_RDONLY | IMGSHARE__O_CLOEXEC);
    if (fd < 0)
        return 0;
    n = read(fd, text, sizeof text - 1);
    close(fd);
    if (n <= 0)
        return 0;
    text[n] = '\0';
    *value = strtoull(text, NULL, 10);
    return 1;
}

/* Refuse before giving anything up a segment the kernel's limits would refuse (kernel.shmmax). */
static imgshare_status imgshare__check_fits(uint64_t size)
{
    unsigned long long shmmax;
    if (imgshare__read_number("/proc/sys/kernel/shmmax", &shmmax) && size > shmmax)
        return imgshare__fail(IMGSHARE_ERROR,
                              "the image needs a %.1f MB segment but this machine allows at most %.1f MB (kernel.shmmax)",
                              (double)size / 1e6, (double)shmmax / 1e6);
    return IMGSHARE_OK;
}

/* A fresh pin set for a fresh segment (holding the lock): pins on the old one no longer matter. */
static imgshare_status imgshare__replace_pins(imgshare_sender *s)
{
    /* ours, or a dead sender's set of 8 (a smaller set is another program's: refused when claiming) */
    int stale = s->pins >= 0 ? s->pins : semget(s->sysv_pins, IMGSHARE__PIN_COUNT, 0);
    if (stale >= 0)
        semctl(stale, 0, IPC_RMID);
    s->pins = semget(s->sysv_pins, IMGSHARE__PIN_COUNT, IPC_CREAT | IPC_EXCL | 0600);
    if (s->pins < 0) {
        if (errno == EACCES || errno == EPERM)
            return imgshare__fail(IMGSHARE_PERMISSION, "permission denied for the pin semaphores of key '%s'", s->key);
        return imgshare__fail(IMGSHARE_ERROR, "the pin semaphores of key '%s' cannot be created (%s)", s->key,
                              strerror(errno));
    }
    return IMGSHARE_OK;
}

/* Replace the key's segment by a new one with room for length-byte images, holding the lock; with
 * carry, the published image is copied into slot 0 and published there, so readers never find the
 * key empty (what app/ipc/sender.py does). */
static imgshare_status imgshare__move(imgshare_sender *s, uint64_t length, int carry)
{
    imgshare__control c;
    uint64_t carried_length = 0, size;
    uint32_t i;
    int old_shmid = s->shmid, shmid;
    uint8_t *old = s->base, *base;
    imgshare_status st;
    if (carry && old && s->published != IMGSHARE__NONE) {
        imgshare_info info;
        if (imgshare__check_descriptor(old + IMGSHARE__CONTROL + (size_t)s->published * IMGSHARE__DESCRIPTOR,
                                       s->control.capacity[s->published], &info) == IMGSHARE_OK)
            carried_length = info.payload_length;
        else
            carry = 0;
    } else {
        carry = 0;
    }
    memset(&c, 0, sizeof c);
    c.slot_count = IMGSHARE__SLOTS;
    c.published = IMGSHARE__NONE;
    size = IMGSHARE__CONTROL + (uint64_t)IMGSHARE__SLOTS * IMGSHARE__DESCRIPTOR;
    for (i = 0; i < IMGSHARE__SLOTS; i++) {
        c.offset[i] = size;
        c.capacity[i] = imgshare__round_up(i == 0 && carry ? carried_length : length);
        size += c.capacity[i];
    }
    if ((st = imgshare__check_fits(size)))
        return st;
    if (old_shmid >= 0)
        shmctl(old_shmid, IPC_RMID, NULL); /* the key is free at once; attached processes keep it */
    shmid = shmget(s->sysv, (size_t)size, IPC_CREAT | IPC_EXCL | 0600);
    base = shmid >= 0 ? (uint8_t *)shmat(shmid, NULL, 0) : NULL;
    if (shmid < 0 || base == (uint8_t *)-1) {
        int error = errno;
        if (shmid >= 0)
            shmctl(shmid, IPC_RMID, NULL);
        if (old_shmid >= 0) { /* put the previous share back under the key */
            struct shmid_ds ds;
            int again = imgshare__shm_stat(old_shmid, &ds) == 0
                            ? shmget(s->sysv, ds.shm_segsz, IPC_CREAT | IPC_EXCL | 0600) : -1;
            uint8_t *copy = again >= 0 ? (uint8_t *)shmat(again, NULL, 0) : (uint8_t *)-1;
            if (copy != (uint8_t *)-1) {
                memcpy(copy, old, ds.shm_segsz);
                shmdt(old);
                s->base = copy;
                s->shmid = again;
            } else {
                if (again >= 0)
                    shmctl(again, IPC_RMID, NULL);
                shmdt(old);
                s->base = NULL;
                s->shmid = -1;
                s->published = IMGSHARE__NONE;
            }
        }
        if (error == EEXIST)
            return imgshare__fail(IMGSHARE_IN_USE, "the key '%s' was taken by another process meanwhile", s->key);
        if (error == EACCES || error == EPERM)
            return imgshare__fail(IMGSHARE_PERMISSION, "permission denied creating the segment of key '%s'", s->key);
        return imgshare__fail(IMGSHARE_ERROR,
                              "the system refused a %.1f MB shared-memory segment (%s); the image is too large for "
                              "this machine's limits", (double)size / 1e6, strerror(error));
    }
    imgshare__own_identity(&c.owner_pid, &c.owner_start);
    {
        uint8_t block[IMGSHARE__CONTROL];
        uint64_t magic;
        imgshare__pack_control(block, s->key, s->key_length, &c);
        memcpy(base + 8, block + 8, IMGSHARE__CONTROL - 8);
        memcpy(&magic, block, 8); /* last and in one store: a lock-free peek sees zeros or the magic */
        imgshare__store64(base, 0, magic);
    }
    if (carry) {
        memcpy(base + c.offset[0], old + s->control.offset[s->published], (size_t)carried_length);
        memcpy(base + IMGSHARE__CONTROL, old + IMGSHARE__CONTROL + (size_t)s->published * IMGSHARE__DESCRIPTOR,
               IMGSHARE__DESCRIPTOR);
        imgshare__store32(base, IMGSHARE__O_PUBLISHED, 0);
        c.published = 0;
    }
    if (old)
        shmdt(old);
    s->base = base;
    s->shmid = shmid;
    s->size = size;
    s->control = c;
    s->published = carry ? 0 : IMGSHARE__NONE;
    return imgshare__replace_pins(s);
}

/* Open the key's lock or create it (value 0, then one release WITHOUT SEM_UNDO: protocol §5). */
static imgshare_status imgshare__open_or_create_lock(imgshare_sender *s, int *created)
{
    struct sembuf op;
    int attempt;
    *created = 0;
    for (attempt = 0; attempt < 100; attempt++) {
        int id = semget(s->sysv, 1, IPC_CREAT | IPC_EXCL | 0600);
        if (id >= 0) {
            imgshare__op(&op, 0, 1, 0);
            while (semop(id, &op, 1) != 0 && errno == EINTR) {
            }
            s->lock = id;
            *created = 1;
            return IMGSHARE_OK;
        }
        if (errno == EACCES || errno == EPERM)
            return imgshare__fail(IMGSHARE_PERMISSION, "permission denied creating the lock of key '%s'", s->key);
        if (errno != EEXIST)
            return imgshare__fail(IMGSHARE_ERROR, "the lock of key '%s' cannot be created (%s)", s->key, strerror(errno));
        id = semget(s->sysv, 0, 0);
        if (id < 0) {
            if (errno == ENOENT)
                continue; /* removed between our two calls: create it again */
            if (errno == EACCES || errno == EPERM)
                return imgshare__fail(IMGSHARE_PERMISSION,
                                      "permission denied for the lock of key '%s' (it belongs to another user)", s->key);
            return imgshare__fail(IMGSHARE_ERROR, "the lock of key '%s' cannot be opened (%s)", s->key, strerror(errno));
        }
        {
            int result = imgshare__lock_initialised(id, s->lock_timeout);
            if (result == EIDRM || result == EINVAL)
                continue;
            if (result == ETIMEDOUT)
                return imgshare__fail(IMGSHARE_TIMED_OUT,
                                      "the lock of key '%s' was never initialised by its creator; if its sender "
                                      "crashed, run 'imgshare clean'", s->key);
            if (result)
                return imgshare__acquire_status(result, s->key, s->lock_timeout);
        }
        s->lock = id;
        return IMGSHARE_OK;
    }
    return imgshare__fail(IMGSHARE_TIMED_OUT, "the lock of key '%s' keeps being created and removed", s->key);
}

/* Holding the lock: adopt the key's segment if it is ours to take, else make a new one (§7.1 step 4). */
static imgshare_status imgshare__take_over_or_create(imgshare_sender *s, uint64_t length, int *made_wake,
                                                     int *made_pins)
{
    static const uint8_t zero[8] = {0};
    struct shmid_ds ds;
    imgshare__control c;
    int32_t own_pid;
    uint64_t own_start;
    int adopt = 0, not_ours;
    imgshare_status st = IMGSHARE_OK;
    uint8_t *base = NULL;
    int shmid, pins = semget(s->sysv_pins, IMGSHARE__PIN_COUNT, 0);
    if (pins < 0 && errno == EINVAL) /* a set of fewer semaphores: another program's, left alone */
        return imgshare__fail(IMGSHARE_CORRUPT, "the key '%s' has another program's semaphores beside it; choose "
                              "another key", s->key);
    if (pins < 0 && (errno == EACCES || errno == EPERM))
        return imgshare__fail(IMGSHARE_PERMISSION, "permission denied for the pin semaphores of key '%s'", s->key);
    shmid = shmget(s->sysv, 0, 0);
    imgshare__own_identity(&own_pid, &own_start);
    if (shmid < 0 && errno == EACCES)
        return imgshare__fail(IMGSHARE_PERMISSION,
                              "permission denied for the segment of key '%s' (it belongs to another user)", s->key);
    if (shmid >= 0) {
        uint8_t raw[IMGSHARE__CONTROL];
        if (imgshare__shm_stat(shmid, &ds) != 0 || (base = (uint8_t *)shmat(shmid, NULL, 0)) == (uint8_t *)-1) {
            if (errno == EACCES)
                return imgshare__fail(IMGSHARE_PERMISSION,
                                      "permission denied for the segment of key '%s' (it belongs to another user)",
                                      s->key);
            return imgshare__fail(IMGSHARE_ERROR, "the segment of key '%s' cannot be attached (%s)", s->key,
                                  strerror(errno));
        }
        memset(raw, 0, sizeof raw);
        memcpy(raw, base, ds.shm_segsz < sizeof raw ? ds.shm_segsz : sizeof raw);
        if (ds.shm_segsz >= 8 && memcmp(raw, zero, 8) == 0) {
            /* blank: its creator died between creating and writing it, unless it still runs */
            if (ds.shm_cpid != own_pid && imgshare__alive(ds.shm_cpid, 0))
                st = imgshare__fail(IMGSHARE_IN_USE, "the key '%s' is in use by pid %d", s->key, (int)ds.shm_cpid);
            else if (ds.shm_nattch > 1)
                st = imgshare__fail(IMGSHARE_IN_USE, "the key '%s' is being set up by another process", s->key);
        } else if ((st = imgshare__check_control(raw, ds.shm_segsz, s->key, s->key_length, &c, &not_ours))) {
            if (!not_ours)
                st = IMGSHARE_OK; /* our format but damaged: the lock is ours, nobody writes it: replace it */
        } else if (!(c.flags & IMGSHARE__PERSISTED) && c.owner_pid != own_pid &&
                   imgshare__alive(c.owner_pid, c.owner_start)) {
            st = imgshare__fail(IMGSHARE_IN_USE, "the key '%s' is in use by pid %d", s->key, (int)c.owner_pid);
        } else {
            imgshare_info info;
            adopt = 1;
            if (c.published != IMGSHARE__NONE) {
                if (imgshare__check_descriptor(base + IMGSHARE__CONTROL + (size_t)c.published * IMGSHARE__DESCRIPTOR,
                                               c.capacity[c.published], &info) == IMGSHARE_OK) {
                    if (info.sequence > s->sequence)
                        s->sequence = info.sequence; /* followers see it keep growing */
                } else {
                    adopt = 0; /* its image is damaged: replace the segment */
                }
            }
        }
        if (st) {
            shmdt(base);
            return st;
        }
        s->shmid = shmid;
        s->base = base;
        s->size = ds.shm_segsz;
    }
    s->wake = semget(s->sysv_wake, 0, 0);
    if (s->wake < 0) {
        s->wake = semget(s->sysv_wake, 1, IPC_CREAT | IPC_EXCL | 0600);
        if (s->wake >= 0)
            *made_wake = 1;
        else
            s->wake = semget(s->sysv_wake, 0, 0); /* made by another process meanwhile */
    }
    if (adopt) {
        s->pins = semget(s->sysv_pins, IMGSHARE__PIN_COUNT, 0);
        if (s->pins < 0) {
            s->pins = semget(s->sysv_pins, IMGSHARE__PIN_COUNT, IPC_CREAT | IPC_EXCL | 0600);
            if (s->pins < 0) {
                st = imgshare__fail(IMGSHARE_ERROR, "the pin semaphores of key '%s' cannot be created (%s)", s->key,
                                    strerror(errno));
                shmdt(s->base);
                s->base = NULL;
                s->shmid = -1;
                return st;
            }
            *made_pins = 1;
        }
        imgshare__store64(s->base, IMGSHARE__O_OWNER_START, own_start);
        imgshare__store32(s->base, IMGSHARE__O_OWNER_PID, (uint32_t)own_pid);
        imgshare__store32(s->base, IMGSHARE__O_FLAGS, c.flags & ~IMGSHARE__PERSISTED);
        c.flags &= ~IMGSHARE__PERSISTED;
        c.owner_pid = own_pid;
        c.owner_start = own_start;
        s->control = c;
        s->published = c.published;
        return IMGSHARE_OK;
    }
    s->published = IMGSHARE__NONE; /* damaged or blank (or none): replaced, nothing carried over */
    st = imgshare__move(s, length, 0);
    if (st && s->base) {
        shmdt(s->base); /* the damaged share, put back at the key: not ours to keep */
        s->base = NULL;
        s->shmid = -1;
    }
    return st;
}

/* Become the key's sender (protocol §7.1); a refused sender removes what it made, holding the lock. */
static imgshare_status imgshare__claim_key(imgshare_sender *s, uint64_t length)
{
    uint8_t start[8];
    int created_lock = 0, made_wake = 0, made_pins = 0, peek;
    imgshare_status st;
    if (!s->claimed) {
        if (!imgshare__claim(s->sysv))
            return imgshare__fail(IMGSHARE_IN_USE, "the key '%s' is in use by pid %d (another sender in this program)",
                                  s->key, (int)getpid());
        s->claimed = 1;
    }
    peek = imgshare__peek(s->sysv, start, sizeof start);
    if (peek < 0)
        st = imgshare__fail(IMGSHARE_PERMISSION,
                            "permission denied for the segment of key '%s' (it belongs to another user)", s->key);
    else if (peek > 0 && imgshare__foreign_start(start))
        st = imgshare__fail(IMGSHARE_CORRUPT,
                            "the key '%s' holds another program's shared memory; imgshare will not touch it, choose "
                            "another key", s->key);
    else
        st = imgshare__open_or_create_lock(s, &created_lock);
    if (st == IMGSHARE_OK && (st = imgshare__sender_acquire(s)) == IMGSHARE_OK) {
        st = imgshare__take_over_or_create(s, length, &made_wake, &made_pins);
        if (st && !s->base) {
            /* refused: leave the key as we found it, removing what we made, holding the lock */
            if (made_pins && s->pins >= 0)
                semctl(s->pins, 0, IPC_RMID);
            if (made_wake && s->wake >= 0)
                semctl(s->wake, 0, IPC_RMID);
            if (created_lock)
                semctl(s->lock, 0, IPC_RMID);
            s->lock_held = 0;
        }
        imgshare__sender_release(s);
    } else if (st && created_lock && s->lock >= 0) {
        semctl(s->lock, 0, IPC_RMID);
    }
    if (st) {
        imgshare__forget(s);
        imgshare__unclaim(s->sysv);
        s->claimed = 0;
    }
    return st;
}

static int imgshare__free_slot(imgshare_sender *s, uint64_t length)
{
    uint32_t i;
    if (!s->base || s->pins < 0)
        return -1;
    for (i = 0; i < s->control.slot_count; i++) {
        if (i != s->published && imgshare__fits(s->control.capacity[i], length) && imgshare__semval(s->pins, (int)i) == 0)
            return (int)i; /* a set that is gone reads -1: counted as pinned */
    }
    return -1;
}

/* A slot that holds length bytes, is not published and no reader pins; claims the key first and moves
 * to a new segment when none fits. */
static imgshare_status imgshare__slot_for(imgshare_sender *s, uint64_t length, uint32_t *slot)
{
    imgshare_status st;
    int found;
    if (s->base && imgshare__lost(s))
        imgshare__forget(s); /* removed under us: start over as a new sender */
    if (!s->base && (st = imgshare__claim_key(s, length)))
        return st;
    found = imgshare__free_slot(s, length);
    if (found < 0) {
        if ((st = imgshare__sender_acquire(s)))
            return st;
        st = imgshare__move(s, length, 1);
        imgshare__sender_release(s);
        if (st)
            return st;
        found = imgshare__free_slot(s, length);
    }
    if (found < 0)
        return imgshare__fail(IMGSHARE_ERROR, "no free slot in the new segment of key '%s'", s->key);
    *slot = (uint32_t)found;
    return IMGSHARE_OK;
}

static imgshare_status imgshare__check_extras(imgshare_mode mode, const imgshare_extras *e)
{
    uint32_t limit = mode == IMGSHARE_MODE_I16 ? 65535u : mode == IMGSHARE_MODE_I ? 0x7FFFFFFFu : 255u;
    if (!e)
        return IMGSHARE_OK;
    if (e->bgr && mode != IMGSHARE_MODE_RGB && mode != IMGSHARE_MODE_RGBA)
        return imgshare__fail(IMGSHARE_ERROR, "the BGR order goes with modes RGB and RGBA only");
    if (e->palette_length) {
        uint32_t entry = e->palette_rgba ? 4 : 3;
        if (mode != IMGSHARE_MODE_P || !e->palette || e->palette_length % entry || e->palette_length / entry > 256)
            return imgshare__fail(IMGSHARE_ERROR, "a palette goes with mode P: up to 256 entries of %u bytes", entry);
    }
    switch (e->transparency_kind) {
    case IMGSHARE_TRANSPARENCY_NONE: return IMGSHARE_OK;
    case IMGSHARE_TRANSPARENCY_VALUE:
        if ((mode == IMGSHARE_MODE_P || mode == IMGSHARE_MODE_1 || mode == IMGSHARE_MODE_L ||
             mode == IMGSHARE_MODE_I16 || mode == IMGSHARE_MODE_I) && e->transparency_values[0] <= limit)
            return IMGSHARE_OK;
        break;
    case IMGSHARE_TRANSPARENCY_COLOUR:
        if (mode == IMGSHARE_MODE_RGB && e->transparency_values[0] <= 255 && e->transparency_values[1] <= 255 &&
            e->transparency_values[2] <= 255)
            return IMGSHARE_OK;
        break;
    case IMGSHARE_TRANSPARENCY_ALPHA:
        if (mode == IMGSHARE_MODE_P && e->transparency_alpha && e->transparency_alpha_length >= 1 &&
            e->transparency_alpha_length <= 256)
            return IMGSHARE_OK;
        break;
    default: break;
    }
    return imgshare__fail(IMGSHARE_ERROR, "transparency of kind %d does not fit mode %s", e->transparency_kind,
                          imgshare_mode_name(mode));
}

/* The descriptor of the image in slot, written lock free (the pixels are there already). */
static void imgshare__write_descriptor(imgshare_sender *s, uint32_t slot, uint32_t width, uint32_t height,
                                       imgshare_mode mode, const imgshare_extras *e, uint64_t checksum)
{
    uint8_t d[IMGSHARE__DESCRIPTOR];
    int32_t pid;
    uint64_t start;
    struct timespec now;
    uint32_t stride = (uint32_t)imgshare_row_bytes(mode, width);
    const char *name = imgshare_mode_name(mode);
    memset(d, 0, sizeof d);
    imgshare__own_identity(&pid, &start);
    clock_gettime(IMGSHARE__CLOCK_REALTIME, &now);
    imgshare__put64(d, s->sequence + 1);
    imgshare__put32(d + 8, width);
    imgshare__put32(d + 12, height);
    imgshare__put32(d + 16, stride);
    imgshare__put32(d + 20, e && e->bgr ? IMGSHARE__BGR : 0);
    imgshare__put32(d + 24, s->checksum ? 1 : 0);
    imgshare__put64(d + 32, (uint64_t)stride * height);
    imgshare__put64(d + 40, s->checksum ? checksum : 0);
    imgshare__put32(d + 48, (uint32_t)pid);
    imgshare__put64(d + 56, start);
    imgshare__put64(d + 64, (uint64_t)((int64_t)now.tv_sec * 1000000000 + now.tv_nsec));
    memcpy(d + 72, name, strlen(name));
    memcpy(d + 88, name, strlen(name)); /* no other mode given: source_mode is the mode (protocol §3.2) */
    if (e && e->source_name) {
        /* the base name, cut to 255 bytes on a character boundary */
        const char *base = strrchr(e->source_name, '/');
        const uint8_t *p = (const uint8_t *)(base ? base + 1 : e->source_name);
        size_t left = strlen((const char *)p), used = 0, n;
        uint32_t point;
        while (left && (n = imgshare__utf8_char(p + used, left, &point)) && used + n <= 255) {
            used += n;
            left -= n;
        }
        memcpy(d + 256, p, used);
        imgshare__put16(d + 112, (uint32_t)used);
    }
    if (e && mode == IMGSHARE_MODE_P && e->palette_length) {
        memcpy(d + 104, e->palette_rgba ? "RGBA" : "RGB", e->palette_rgba ? 4 : 3);
        imgshare__put16(d + 114, e->palette_length);
        memcpy(d + 768, e->palette, e->palette_length);
    }
    if (e && e->transparency_kind) {
        imgshare__put16(d + 116, (uint32_t)e->transparency_kind);
        if (e->transparency_kind == IMGSHARE_TRANSPARENCY_VALUE) {
            imgshare__put16(d + 118, 1);
            imgshare__put32(d + 120, e->transparency_values[0]);
        } else if (e->transparency_kind == IMGSHARE_TRANSPARENCY_COLOUR) {
            imgshare__put16(d + 118, 3);
            imgshare__put32(d + 120, e->transparency_values[0]);
            imgshare__put32(d + 124, e->transparency_values[1]);
            imgshare__put32(d + 128, e->transparency_values[2]);
        } else {
            imgshare__put16(d + 118, e->transparency_alpha_length);
            memcpy(d + 512, e->transparency_alpha, e->transparency_alpha_length);
        }
    }
    imgshare__put32(d + 28, imgshare__crc32(d, sizeof d));
    memcpy(s->base + IMGSHARE__CONTROL + (size_t)slot * IMGSHARE__DESCRIPTOR, d, sizeof d);
}

/* Rewrite our control block if another program damaged it (holding the lock): it is written once per
 * segment, so without this one stray write would damage every later share (as app/ipc/sender.py does). */
static void imgshare__repair_control(imgshare_sender *s)
{
    uint8_t raw[IMGSHARE__CONTROL];
    imgshare__control c;
    int not_ours;
    memcpy(raw, s->base, sizeof raw);
    if (imgshare__check_control(raw, s->size, s->key, s->key_length, &c, &not_ours) != IMGSHARE_OK) {
        c = s->control;
        c.published = s->published;
        imgshare__pack_control(raw, s->key, s->key_length, &c);
        memcpy(s->base, raw, sizeof raw);
    }
}

/* Make slot the published one: a short critical section with no pixel work in it (protocol §7.2). */
static imgshare_status imgshare__publish(imgshare_sender *s, uint32_t slot)
{
    imgshare_status st;
    int result = imgshare__lock_acquire(s->lock, s->lock_timeout);
    if (result == EIDRM || result == EINVAL)
        return (imgshare_status)IMGSHARE__LOST;
    if ((st = imgshare__acquire_status(result, s->key, s->lock_timeout)))
        return st;
    s->lock_held = 1;
    if (imgshare__lost(s)) {
        imgshare__sender_release(s);
        return (imgshare_status)IMGSHARE__LOST;
    }
    imgshare__repair_control(s);
    imgshare__store32(s->base, IMGSHARE__O_PUBLISHED, slot);
    if (s->wake >= 0) { /* the new-image signal (§6): the wrap is decided on the value before +1 */
        int value = imgshare__semval(s->wake, 0);
        if (value >= IMGSHARE__WRAP_AT) {
            union imgshare__semun arg;
            arg.val = IMGSHARE__SEM_MAX;
            semctl(s->wake, 0, SETVAL, arg);
            arg.val = 1;
            semctl(s->wake, 0, SETVAL, arg);
        } else if (value >= 0) {
            struct sembuf op;
            imgshare__op(&op, 0, 1, 0);
            semop(s->wake, &op, 1);
        }
    }
    imgshare__sender_release(s);
    s->published = slot;
    s->sequence++;
    return IMGSHARE_OK;
}

static imgshare_status imgshare__check_image(imgshare_sender *s, uint32_t width, uint32_t height, imgshare_mode mode)
{
    if (!s)
        return imgshare__fail(IMGSHARE_ERROR, "no sender was given");
    if ((unsigned)mode >= IMGSHARE_MODE_COUNT)
        return imgshare__fail(IMGSHARE_ERROR, "mode %d is not a mode imgshare carries", (int)mode);
    if (width < 1 || width > IMGSHARE__MAX_DIM || height < 1 || height > IMGSHARE__MAX_DIM)
        return imgshare__fail(IMGSHARE_ERROR, "the image is %ux%u; imgshare carries 1 to 65536 pixels a side",
                              (unsigned)width, (unsigned)height);
    if (s->in_frame)
        return imgshare__fail(IMGSHARE_ERROR, "a frame of this sender is open; publish or cancel it first");
    return IMGSHARE_OK;
}

/* Mode 1: the unused low bits of each row's last byte are 0 (protocol §3.3). */
static void imgshare__clear_pad_bits(uint8_t *rows, size_t row, uint32_t width, size_t from, size_t to)
{
    size_t y;
    uint8_t keep = (uint8_t)(0xFF << (8 - width % 8));
    if (width % 8 == 0)
        return;
    for (y = from; y < to; y++)
        rows[y * row + row - 1] &= keep;
}

IMGSHARE_API imgshare_status imgshare_share(imgshare_sender *s, const void *pixels, uint32_t width, uint32_t height,
                                            imgshare_mode mode, size_t stride, const imgshare_extras *extras)
{
    imgshare_status st;
    size_t row;
    int attempt;
    if ((st = imgshare__check_image(s, width, height, mode)) || (st = imgshare__check_extras(mode, extras)))
        return st;
    row = imgshare_row_bytes(mode, width);
    if (stride == 0)
        stride = row;
    if (!pixels || stride < row)
        return imgshare__fail(IMGSHARE_ERROR, "the pixels are missing, or the stride %zu is shorter than a row (%zu bytes)",
                              stride, row);
    for (attempt = 0; attempt < 2; attempt++) {
        /* unpadded rows are hashed as given, then copied; others are hashed as written */
        int as_given = stride == row && !(mode == IMGSHARE_MODE_1 && width % 8);
        int stream = as_given && (uint64_t)row * height >= IMGSHARE__STREAM_FROM; /* else hashed as written */
        uint32_t slot = 0;
        uint8_t *dest;
        size_t top, rows_per_chunk = IMGSHARE__CHUNK / row ? IMGSHARE__CHUNK / row : 1;
        if ((st = imgshare__slot_for(s, (uint64_t)row * height, &slot)))
            return st;
        dest = s->base + s->control.offset[slot];
        if (s->checksum)
            XXH3_64bits_reset(s->state);
        for (top = 0; top < height; top += rows_per_chunk) {
            size_t bottom = top + rows_per_chunk < height ? top + rows_per_chunk : height, y;
            if (as_given) {
                const uint8_t *band = (const uint8_t *)pixels + top * row;
                if (s->checksum)
                    XXH3_64bits_update(s->state, band, (bottom - top) * row);
                imgshare__copy(dest + top * row, band, (bottom - top) * row, stream); /* from the cache the hash filled */
                continue;
            }
            for (y = top; y < bottom; y++)
                imgshare__copy(dest + y * row, (const uint8_t *)pixels + y * stride, row, stream);
            if (mode == IMGSHARE_MODE_1)
                imgshare__clear_pad_bits(dest, row, width, top, bottom);
            if (s->checksum)
                XXH3_64bits_update(s->state, dest + top * row, (bottom - top) * row);
        }
        imgshare__copied(stream);
        imgshare__write_descriptor(s, slot, width, height, mode, extras, s->checksum ? XXH3_64bits_digest(s->state) : 0);
        st = imgshare__publish(s, slot);
        if ((int)st != IMGSHARE__LOST)
            return st ? st : imgshare__ok();
        imgshare__forget(s);
    }
    return imgshare__fail(IMGSHARE_NOT_SHARED, "the share of key '%s' keeps being removed by another program", s->key);
}

IMGSHARE_API imgshare_status imgshare_frame_begin(imgshare_sender *s, uint32_t width, uint32_t height,
                                                  imgshare_mode mode, const imgshare_extras *extras, void **pixels,
                                                  size_t *stride)
{
    imgshare_status st;
    uint32_t slot = 0;
    size_t row;
    if ((st = imgshare__check_image(s, width, height, mode)) || (st = imgshare__check_extras(mode, extras)))
        return st;
    if (!pixels || !stride)
        return imgshare__fail(IMGSHARE_ERROR, "no place was given for the frame's pixels and stride");
    row = imgshare_row_bytes(mode, width);
    if ((st = imgshare__slot_for(s, (uint64_t)row * height, &slot)))
        return st;
    memset(&s->frame_extras, 0, sizeof s->frame_extras);
    if (extras) { /* kept until publish: the caller's strings may not live that long */
        s->frame_extras = *extras;
        if (extras->source_name) {
            snprintf(s->frame_source, sizeof s->frame_source, "%s", extras->source_name);
            s->frame_extras.source_name = s->frame_source;
        }
        if (extras->palette_length) {
            memcpy(s->frame_palette, extras->palette, extras->palette_length);
            s->frame_extras.palette = s->frame_palette;
        }
        if (extras->transparency_kind == IMGSHARE_TRANSPARENCY_ALPHA) {
            memcpy(s->frame_alpha, extras->transparency_alpha, extras->transparency_alpha_length);
            s->frame_extras.transparency_alpha = s->frame_alpha;
        }
    }
    s->in_frame = 1;
    s->frame_slot = slot;
    s->frame_width = width;
    s->frame_height = height;
    s->frame_mode = mode;
    *pixels = s->base + s->control.offset[slot];
    *stride = row;
    return imgshare__ok();
}

IMGSHARE_API imgshare_status imgshare_frame_publish(imgshare_sender *s)
{
    imgshare_status st;
    size_t row, length;
    uint8_t *payload;
    if (!s || !s->in_frame)
        return imgshare__fail(IMGSHARE_ERROR, "no frame is open; call imgshare_frame_begin() first");
    s->in_frame = 0;
    if (!s->base)
        return imgshare__fail(IMGSHARE_ERROR, "the sender lost its share during the frame; nothing was published");
    row = imgshare_row_bytes(s->frame_mode, s->frame_width);
    length = row * s->frame_height;
    payload = s->base + s->control.offset[s->frame_slot];
    if (s->frame_mode == IMGSHARE_MODE_1)
        imgshare__clear_pad_bits(payload, row, s->frame_width, 0, s->frame_height);
    imgshare__write_descriptor(s, s->frame_slot, s->frame_width, s->frame_height, s->frame_mode, &s->frame_extras,
                               s->checksum ? XXH3_64bits(payload, length) : 0);
    st = imgshare__publish(s, s->frame_slot);
    if ((int)st == IMGSHARE__LOST) {
        imgshare__forget(s);
        return imgshare__fail(IMGSHARE_NOT_SHARED, "the share of key '%s' was removed during the frame", s->key);
    }
    return st ? st : imgshare__ok();
}

IMGSHARE_API void imgshare_frame_cancel(imgshare_sender *s)
{
    if (s)
        s->in_frame = 0;
}

IMGSHARE_API imgshare_status imgshare_sender_close(imgshare_sender *s, int persist)
{
    if (!s)
        return imgshare__ok();
    if (s->base && s->lock >= 0) {
        /* a stuck holder must not keep our objects alive; removing them is safe for it */
        int result = imgshare__lock_acquire(s->lock, s->lock_timeout);
        s->lock_held = result == 0;
        if (imgshare__lost(s)) {
            imgshare__sender_release(s); /* whatever is at the key now may be another sender's */
        } else if (persist && s->published != IMGSHARE__NONE) {
            imgshare__store32(s->base, IMGSHARE__O_FLAGS, s->control.flags | IMGSHARE__PERSISTED);
            imgshare__sender_release(s);
        } else {
            shmctl(s->shmid, IPC_RMID, NULL);
            if (s->pins >= 0)
                semctl(s->pins, 0, IPC_RMID);
            if (s->wake >= 0)
                semctl(s->wake, 0, IPC_RMID); /* wakes followers at once: removed */
            semctl(s->lock, 0, IPC_RMID);
            s->lock_held = 0;
        }
    }
    imgshare__forget(s);
    if (s->claimed)
        imgshare__unclaim(s->sysv);
    IMGSHARE_FREE(s);
    return imgshare__ok();
}

/* ---- the receiver ---- */
struct imgshare_receiver {
    char key[256];
    size_t key_length;
    int32_t sysv, sysv_pins, sysv_wake;
    double lock_timeout;
    int verify;
    int shmid;                 /* the segment read last, kept attached: attaching afresh costs page faults */
    const uint8_t *base;
    uint64_t size;
    int wake;
    int wake_seen;             /* the new-image count when we last read; -1 unknown */
    int borrowed, borrow_pins; /* a pinned slot lent to the caller */
    uint32_t borrow_slot;
    int has_last;              /* the image returned last (its identity) */
    int32_t last_pid;
    uint64_t last_sequence;
    int64_t last_timestamp;
    XXH3_state_t *state;
};

IMGSHARE_API imgshare_status imgshare_receiver_open(imgshare_receiver **out, const char *key)
{
    imgshare_receiver *r;
    XXH3_state_t *state;
    int32_t numbers[3];
    imgshare_status st;
    if (!out)
        return imgshare__fail(IMGSHARE_ERROR, "no place was given for the receiver");
    *out = NULL;
    if ((st = imgshare_key_numbers(key, numbers)))
        return st;
    r = (imgshare_receiver *)imgshare__allocate(sizeof *r, &state);
    if (!r)
        return imgshare__fail(IMGSHARE_ERROR, "out of memory");
    r->state = state;
    r->key_length = strlen(key);
    memcpy(r->key, key, r->key_length + 1);
    r->sysv = numbers[0];
    r->sysv_pins = numbers[1];
    r->sysv_wake = numbers[2];
    r->lock_timeout = IMGSHARE__DEFAULT_TIMEOUT;
    r->verify = 1;
    r->shmid = r->wake = -1;
    r->wake_seen = -1;
    *out = r;
    return imgshare__ok();
}

IMGSHARE_API void imgshare_receiver_set_lock_timeout(imgshare_receiver *r, double seconds)
{
    if (r)
        r->lock_timeout = seconds > 0 ? seconds : 0;
}

IMGSHARE_API void imgshare_receiver_set_verify(imgshare_receiver *r, int on)
{
    if (r)
        r->verify = on != 0;
}

IMGSHARE_API void imgshare_release(imgshare_receiver *r)
{
    if (r && r->borrowed) {
        struct sembuf op;
        imgshare__op(&op, (int)r->borrow_slot, -1, SEM_UNDO | IPC_NOWAIT);
        semop(r->borrow_pins, &op, 1); /* errors (the set was replaced) do not matter */
        r->borrowed = 0;
    }
}

static void imgshare__drop_segment(imgshare_receiver *r)
{
    imgshare_release(r);
    if (r->base)
        shmdt(r->base);
    r->base = NULL;
    r->shmid = -1;
}

IMGSHARE_API void imgshare_receiver_close(imgshare_receiver *r)
{
    if (!r)
        return;
    imgshare__drop_segment(r);
    IMGSHARE_FREE(r);
}

static imgshare_status imgshare__nothing(const imgshare_receiver *r)
{
    return imgshare__fail(IMGSHARE_NOT_SHARED, "nothing is shared under the key '%s'", r->key);
}

/* No lock at the key: nothing shared, unless a segment of ours lost its lock (protocol §5.1 step 2).
 * A sender creates the lock before the segment and removes it after the segment, so a segment of ours
 * seen after the lock was found missing is a lost lock only if the lock is still missing now (else a
 * sender was setting the key up meanwhile) and the same segment stayed at the key all along (else a
 * sender came and went while we looked). */
static imgshare_status imgshare__missing_lock(imgshare_receiver *r)
{
    uint8_t start[10];
    int before;
    imgshare__drop_segment(r);
    before = shmget(r->sysv, 0, 0);
    if (imgshare__peek(r->sysv, start, sizeof start) > 0) {
        if (memcmp(start, imgshare__magic, 8) == 0 &&
            (semget(r->sysv, 0, 0) >= 0 || before < 0 || shmget(r->sysv, 0, 0) != before))
            return imgshare__fail(IMGSHARE_NOT_SHARED, "nothing is shared under the key '%s' yet", r->key);
        if (memcmp(start, imgshare__magic, 8) == 0) {
            if (imgshare__u16(start + 8) != 2)
                return imgshare__format(imgshare__u16(start + 8), r->key);
            return imgshare__fail(IMGSHARE_CORRUPT,
                                  "the share under key '%s' has lost its lock semaphore; remove it with 'imgshare "
                                  "remove --key %s'", r->key, r->key);
        }
        if (imgshare__foreign_start(start))
            return imgshare__fail(IMGSHARE_CORRUPT,
                                  "the key '%s' holds another program's shared memory, not an imgshare image", r->key);
    }
    return imgshare__nothing(r);
}

/* The segment under the key now (called holding the lock): the one kept, or a new attachment. */
static imgshare_status imgshare__current_segment(imgshare_receiver *r)
{
    struct shmid_ds ds;
    void *base;
    int shmid = shmget(r->sysv, 0, 0);
    if (shmid < 0) {
        if (errno == EACCES)
            return imgshare__fail(IMGSHARE_PERMISSION,
                                  "permission denied for the segment of key '%s' (it belongs to another user)", r->key);
        return imgshare__nothing(r);
    }
    if (r->base && r->shmid == shmid && !imgshare__removed(shmid))
        return IMGSHARE_OK;
    imgshare__drop_segment(r);
    if (imgshare__shm_stat(shmid, &ds) != 0 || (base = shmat(shmid, NULL, SHM_RDONLY)) == (void *)-1) {
        if (errno == EACCES)
            return imgshare__fail(IMGSHARE_PERMISSION,
                                  "permission denied for the segment of key '%s' (it belongs to another user)", r->key);
        return imgshare__nothing(r);
    }
    r->base = (const uint8_t *)base;
    r->shmid = shmid;
    r->size = ds.shm_segsz; /* always the kernel's figure, never the header's */
    return IMGSHARE_OK;
}

typedef struct imgshare__look {
    imgshare__control control;
    uint32_t slot;
    int pins;      /* the pin set pinned, -1 if not pinned */
    int same;      /* the published image is the one returned last */
} imgshare__look;

/* Peek, lock, look up again, read the published descriptor and pin its slot (protocol §5.1). */
static imgshare_status imgshare__look_up(imgshare_receiver *r, int pin, int newer, imgshare_info *info,
                                         imgshare__look *look)
{
    static const uint8_t zero[8] = {0};
    uint8_t raw[IMGSHARE__CONTROL];
    imgshare_status st;
    int lock, result;
    look->pins = -1;
    look->same = 0;
    if (!r->base) {
        uint8_t start[8];
        int peek = imgshare__peek(r->sysv, start, sizeof start);
        if (peek < 0)
            return imgshare__fail(IMGSHARE_PERMISSION,
                                  "permission denied for the segment of key '%s' (it belongs to another user)", r->key);
        if (peek > 0 && imgshare__foreign_start(start)) /* refused without touching its lock */
            return imgshare__fail(IMGSHARE_CORRUPT,
                                  "the key '%s' holds another program's shared memory, not an imgshare image", r->key);
    }
    lock = semget(r->sysv, 0, 0);
    if (lock < 0) {
        if (errno == EACCES || errno == EPERM)
            return imgshare__fail(IMGSHARE_PERMISSION,
                                  "permission denied for the lock of key '%s' (it belongs to another user)", r->key);
        return imgshare__missing_lock(r);
    }
    result = imgshare__lock_initialised(lock, r->lock_timeout);
    if (result == ETIMEDOUT)
        return imgshare__fail(IMGSHARE_TIMED_OUT,
                              "the lock of key '%s' was never initialised by its creator; if its sender crashed, run "
                              "'imgshare clean'", r->key);
    if (result == 0)
        result = imgshare__lock_acquire(lock, r->lock_timeout);
    if ((st = imgshare__acquire_status(result, r->key, r->lock_timeout)))
        return st;
    /* holding the lock */
    if ((st = imgshare__current_segment(r)))
        goto out;
    memset(raw, 0, sizeof raw);
    memcpy(raw, r->base, r->size < sizeof raw ? r->size : sizeof raw);
    if (r->size >= 8 && memcmp(raw, zero, 8) == 0) {
        st = imgshare__fail(IMGSHARE_NOT_SHARED, "nothing is shared under the key '%s' yet", r->key);
        goto out;
    }
    if ((st = imgshare__check_control(raw, r->size, r->key, r->key_length, &look->control, &result)))
        goto out;
    if (look->control.published == IMGSHARE__NONE) {
        st = imgshare__fail(IMGSHARE_NOT_SHARED, "nothing is shared under the key '%s' yet", r->key);
        goto out;
    }
    look->slot = look->control.published;
    if ((st = imgshare__check_descriptor(r->base + IMGSHARE__CONTROL + (size_t)look->slot * IMGSHARE__DESCRIPTOR,
                                         look->control.capacity[look->slot], info)))
        goto out;
    if (r->wake < 0)
        r->wake = semget(r->sysv_wake, 0, 0);
    r->wake_seen = r->wake >= 0 ? imgshare__semval(r->wake, 0) : -1;
    if (r->wake_seen < 0)
        r->wake = -1;
    if (newer && r->has_last && info->sender_pid == r->last_pid && info->sequence == r->last_sequence &&
        info->timestamp_ns == r->last_timestamp) {
        look->same = 1;
        goto out;
    }
    if (pin) {
        struct sembuf op;
        int pins = semget(r->sysv_pins, IMGSHARE__PIN_COUNT, 0);
        imgshare__op(&op, (int)look->slot, 1, SEM_UNDO | IPC_NOWAIT);
        if (pins < 0 || semop(pins, &op, 1) != 0) {
            if (errno == EACCES || errno == EPERM)
                st = imgshare__fail(IMGSHARE_PERMISSION, "permission denied for the pin semaphores of key '%s'", r->key);
            else if (pins < 0 && errno == EINVAL)
                st = imgshare__fail(IMGSHARE_CORRUPT, "the key '%s' has another program's semaphores beside it; "
                                    "choose another key", r->key);
            else
                st = imgshare__fail(IMGSHARE_CORRUPT,
                                    "the share under key '%s' has lost its semaphores; remove it with 'imgshare remove "
                                    "--key %s'", r->key, r->key);
            goto out;
        }
        look->pins = pins;
    }
out:
    imgshare__lock_release(lock);
    return st;
}

enum { IMGSHARE__INFO, IMGSHARE__COPY, IMGSHARE__BORROW };

static imgshare_status imgshare__read(imgshare_receiver *r, int how, int newer, void *buffer, size_t capacity,
                                      size_t stride, const void **pixels, imgshare_info *info, int *same)
{
    imgshare__look look;
    imgshare_status st;
    const uint8_t *payload;
    int verify;
    imgshare_release(r);
    st = imgshare__look_up(r, how != IMGSHARE__INFO, newer, info, &look);
    *same = look.same;
    if (st || look.same)
        return st;
    info->sender_alive = imgshare__alive(look.control.owner_pid, look.control.owner_start);
    info->persisted = (look.control.flags & IMGSHARE__PERSISTED) != 0;
    info->segment_id = r->shmid;
    info->segment_size = r->size;
    info->missed = r->has_last && info->sequence > r->last_sequence ? info->sequence - r->last_sequence - 1 : 0;
    payload = r->base + look.control.offset[look.slot];
    verify = r->verify && info->checksum_kind == 1;
    if (how == IMGSHARE__COPY) {
        st = imgshare__copy_out(payload, info, verify, r->state, buffer, capacity, stride);
    } else if (how == IMGSHARE__BORROW) {
        if (verify && XXH3_64bits(payload, (size_t)info->payload_length) != info->checksum)
            st = imgshare__fail(IMGSHARE_CORRUPT, "the image under key '%s' failed its checksum (damaged segment)", r->key);
    }
    if (look.pins >= 0) {
        if (how == IMGSHARE__BORROW && st == IMGSHARE_OK) {
            r->borrowed = 1; /* stays pinned: the sender never writes it until released */
            r->borrow_pins = look.pins;
            r->borrow_slot = look.slot;
            *pixels = payload;
        } else {
            struct sembuf op;
            imgshare__op(&op, (int)look.slot, -1, SEM_UNDO | IPC_NOWAIT);
            semop(look.pins, &op, 1);
        }
    }
    if (st)
        return st;
    if (how == IMGSHARE__INFO)
        return imgshare__ok(); /* metadata alone: "the last image returned" stays the last one with pixels */
    r->has_last = 1;
    r->last_pid = info->sender_pid;
    r->last_sequence = info->sequence;
    r->last_timestamp = info->timestamp_ns;
    return imgshare__ok();
}

/* Wait for the count to differ from seen, at most seconds; 0 signalled/timeout, 1 removed. */
static int imgshare__wait_wake(int wake, int seen, double seconds)
{
    struct sembuf ops[2];
    int value = imgshare__semval(wake, 0), target, result;
    if (value < 0)
        return 1;
    if (value != seen)
        return 0; /* a share (or a wrap) happened since seen was read */
    target = seen + 1 < IMGSHARE__SEM_MAX ? seen + 1 : IMGSHARE__SEM_MAX;
    imgshare__op(&ops[0], 0, -target, 0); /* runs only once the value is >= seen + 1, and changes nothing */
    imgshare__op(&ops[1], 0, target, 0);
    result = imgshare__semop_for(wake, ops, 2, seconds);
    return result == EIDRM || result == EINVAL;
}

static imgshare_status imgshare__read_new(imgshare_receiver *r, double timeout, int how, void *buffer,
                                          size_t capacity, size_t stride, const void **pixels, imgshare_info *info)
{
    double deadline = imgshare__now() + (timeout > 0 ? timeout : 0);
    imgshare_status st;
    int same, nothing;
    for (;;) {
        st = imgshare__read(r, how, 1, buffer, capacity, stride, pixels, info, &same);
        nothing = st == IMGSHARE_NOT_SHARED;
        if (nothing)
            r->wake_seen = -1;
        else if (st || !same)
            return st;
        {
            double remaining = deadline - imgshare__now();
            if (remaining <= 0) {
                if (nothing)
                    return st;
                return imgshare__fail(IMGSHARE_TIMED_OUT, "no new image was shared under the key '%s' within %g s",
                                      r->key, timeout);
            }
            if (r->wake >= 0 && r->wake_seen >= 0) {
                if (imgshare__wait_wake(r->wake, r->wake_seen,
                                        remaining < IMGSHARE__WAKE_BOUND ? remaining : IMGSHARE__WAKE_BOUND))
                    r->wake = -1;
            } else {
                imgshare__sleep(remaining < IMGSHARE__NOTHING_POLL ? remaining : IMGSHARE__NOTHING_POLL);
            }
        }
    }
}

static imgshare_status imgshare__check_receiver(imgshare_receiver *r, imgshare_info *info)
{
    if (!r || !info)
        return imgshare__fail(IMGSHARE_ERROR, "no receiver or no place for the image's information was given");
    return IMGSHARE_OK;
}

IMGSHARE_API imgshare_status imgshare_receive_info(imgshare_receiver *r, imgshare_info *info)
{
    int same;
    imgshare_status st = imgshare__check_receiver(r, info);
    if (!st)
        st = imgshare__read(r, IMGSHARE__INFO, 0, NULL, 0, 0, NULL, info, &same);
    return imgshare__outcome(st, info);
}

IMGSHARE_API imgshare_status imgshare_receive(imgshare_receiver *r, void *buffer, size_t capacity, size_t stride,
                                              imgshare_info *info)
{
    int same;
    imgshare_status st = imgshare__check_receiver(r, info);
    if (!st)
        st = imgshare__read(r, IMGSHARE__COPY, 0, buffer, capacity, stride, NULL, info, &same);
    return imgshare__outcome(st, info);
}

IMGSHARE_API imgshare_status imgshare_borrow(imgshare_receiver *r, const void **pixels, imgshare_info *info)
{
    int same;
    imgshare_status st = imgshare__check_receiver(r, info);
    if (!st && !pixels)
        st = imgshare__fail(IMGSHARE_ERROR, "no place was given for the borrowed pixels");
    if (!st)
        st = imgshare__read(r, IMGSHARE__BORROW, 0, NULL, 0, 0, pixels, info, &same);
    return imgshare__outcome(st, info);
}

IMGSHARE_API imgshare_status imgshare_receive_new(imgshare_receiver *r, double timeout, void *buffer,
                                                  size_t capacity, size_t stride, imgshare_info *info)
{
    imgshare_status st = imgshare__check_receiver(r, info);
    if (!st)
        st = imgshare__read_new(r, timeout, IMGSHARE__COPY, buffer, capacity, stride, NULL, info);
    return imgshare__outcome(st, info);
}

IMGSHARE_API imgshare_status imgshare_borrow_new(imgshare_receiver *r, double timeout, const void **pixels,
                                                 imgshare_info *info)
{
    imgshare_status st = imgshare__check_receiver(r, info);
    if (!st && !pixels)
        st = imgshare__fail(IMGSHARE_ERROR, "no place was given for the borrowed pixels");
    if (!st)
        st = imgshare__read_new(r, timeout, IMGSHARE__BORROW, NULL, 0, 0, pixels, info);
    return imgshare__outcome(st, info);
}

#ifdef __cplusplus
}
#endif
#endif /* IMGSHARE_IMPLEMENTED */
#endif /* IMGSHARE_IMPLEMENTATION */

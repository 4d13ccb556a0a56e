/* imgshare.h - v2.0.0 - share images between processes through System V shared memory, from C11 and C++.
 *                        Speaks imgshare's protocol 3 (docs/protocol.md); Linux.
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
 *   Modes:    1, L, LA, P, RGB, RGBA, I;16, I, F, RGB;16, RGBA;16 as imgshare names them (imgshare_mode);
 *             palettes, transparency, OpenCV's BGR order and per-image tags (JSON) through
 *             imgshare_extras, read back in imgshare_info.
 *   Readers take no lock: a sender never waits for them, and they never wait for each other. A killed
 *   sender leaves its last image published and intact; the next sender takes the key over.
 *
 * ERRORS
 *   Every call returns an imgshare_status whose values are imgshare's command-line exit codes
 *   (IMGSHARE_NOT_SHARED is 3, as `imgshare receive` exits 3); imgshare_message() then gives one sentence
 *   saying what happened, for this thread's last call. No call aborts, prints, or keeps an IPC object it
 *   made after failing. A failed call leaves the imgshare_info it was given zeroed.
 *
 * THREADS AND CRASHES
 *   A sender or receiver is used by one thread at a time (different ones may be used from different
 *   threads). A killed program's pins and its hold on a key are undone by the kernel (SEM_UNDO); its share
 *   stays readable and the next sender takes the key over, in any PID namespace.
 *
 * VERSIONS
 *   IMGSHARE_VERSION_MAJOR/MINOR/PATCH (and IMGSHARE_VERSION, a string) number this header: the major
 *   number changes when a program written for the old one needs changing or cannot talk to it.
 *   IMGSHARE_PROTOCOL_VERSION is the format version it reads and writes (docs/protocol.md).
 *   2.0.0  protocol 3: a control segment and one semaphore set per key, pixels in private data segments,
 *          lock-free readers, liveness from a SEM_UNDO semaphore, other users' objects refused, modes
 *          RGB;16 and RGBA;16, per-image tags, epochs (imgshare_info.epoch). Same functions; new fields at
 *          the ends of imgshare_info and imgshare_extras; imgshare_read_image() reads a data segment.
 *   1.1.0  stb-style header: versions, licence, IMGSHARE_API, allocator and assert overrides, no include
 *          order, XXH_INLINE_ALL; imgshare_sha1/imgshare_crc32 (test helpers) no longer public; a failed
 *          read zeroes its imgshare_info.
 *   1.0.0  protocol 2: slots, pins, borrowing, frames written in place, the new-image signal.
 */
#ifndef IMGSHARE_H
#define IMGSHARE_H

#define IMGSHARE_VERSION_MAJOR 2
#define IMGSHARE_VERSION_MINOR 0
#define IMGSHARE_VERSION_PATCH 0
#define IMGSHARE_VERSION "2.0.0"
#define IMGSHARE_PROTOCOL_VERSION 3

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

/* Status values: the exit codes of the imgshare command line (docs/protocol.md, section 14). */
typedef enum imgshare_status {
    IMGSHARE_OK = 0,
    IMGSHARE_ERROR = 1,       /* the image cannot be shared (too large, a system limit, bad arguments to a call) */
    IMGSHARE_USAGE = 2,       /* a key that is not a key, tags that are not a JSON object imgshare carries */
    IMGSHARE_NOT_SHARED = 3,  /* nothing is shared under the key (yet) */
    IMGSHARE_CORRUPT = 4,     /* damaged, another program's objects, a key collision, another format */
    IMGSHARE_TIMED_OUT = 5,   /* busy (the key held by a process that is not a sender, too many readers),
                                 or no new image came within the time given */
    IMGSHARE_PERMISSION = 6,  /* the key's objects belong to another user */
    IMGSHARE_IN_USE = 7       /* a live sender serves the key */
} imgshare_status;

/* Pixel modes (imgshare's names in comments; all but the last two are Pillow's); docs/protocol.md §8.1. */
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
    IMGSHARE_MODE_RGB16,   /* "RGB;16": R, G, B, each unsigned 16-bit little-endian (B, G, R with bgr set) */
    IMGSHARE_MODE_RGBA16,  /* "RGBA;16": R, G, B, A, each unsigned 16-bit little-endian */
    IMGSHARE_MODE_COUNT
} imgshare_mode;

enum {
    IMGSHARE_TRANSPARENCY_NONE = 0,
    IMGSHARE_TRANSPARENCY_VALUE = 1,   /* P (with an RGB palette): an index; 1, L, I;16, I: a value */
    IMGSHARE_TRANSPARENCY_COLOUR = 2,  /* RGB, RGB;16: R, G, B */
    IMGSHARE_TRANSPARENCY_ALPHA = 3    /* P (with an RGB palette): one alpha byte per palette index (PNG tRNS) */
};

#define IMGSHARE_TAGS_MAX 4096 /* bytes of JSON a sender may attach to an image */

/* What a receiver learns about an image besides its pixels. */
typedef struct imgshare_info {
    uint64_t sequence;            /* the image's number in its epoch: 1, 2, 3... */
    uint64_t missed;              /* images published between the last one (with pixels) this receiver returned
                                     and this one */
    uint32_t width, height;
    imgshare_mode mode;
    uint32_t stride;              /* bytes per row in the shared slot (a borrow's row pitch) */
    uint64_t payload_length;      /* stride x height */
    int bgr;                      /* RGB/RGBA bytes are in OpenCV's order B, G, R(, A) */
    int converted;                /* the sender converted from source_mode */
    char source_mode[17];
    char source_name[256];        /* UTF-8, may be empty; never holds control or invisible characters */
    int32_t sender_pid;           /* the process that wrote the image, in its own PID namespace */
    int sender_alive;             /* the key is served: its sender runs now */
    int persisted;                /* the sender left the share on purpose */
    int64_t timestamp_ns;         /* Unix time of the share */
    int checksum_kind;            /* 0 none, 1 XXH3-64 of the rows without padding */
    uint64_t checksum;
    char palette_mode[9];         /* P: "RGB" or "RGBA" (or empty: no palette) */
    uint32_t palette_length;      /* bytes in palette */
    uint8_t palette[1024];
    int transparency_kind;        /* IMGSHARE_TRANSPARENCY_* */
    uint32_t transparency_length;
    uint32_t transparency_values[4];
    uint8_t transparency_alpha[256];
    int segment_id;               /* the data segment holding the image (-1 for imgshare_read_image) */
    uint64_t segment_size;
    /* since 2.0.0 (protocol 3) */
    uint64_t epoch;               /* names one life of the key: (epoch, sequence) names one image */
    uint32_t tags_length;         /* bytes of tags; 0: none */
    char tags[IMGSHARE_TAGS_MAX + 1]; /* a JSON object (UTF-8), NUL-terminated; strings may hold any character */
} imgshare_info;

/* Optional details of a share (pass NULL for none). Zero-initialise, then set what you need. */
typedef struct imgshare_extras {
    const char *source_name;          /* shown by receivers: the base name is kept, control and invisible
                                         characters become U+FFFD, cut to 255 bytes */
    int bgr;                          /* RGB/RGBA(;16) pixels given as B, G, R(, A): carried as they are */
    const uint8_t *palette;           /* P: palette_length bytes of 3-byte (RGB) or 4-byte (RGBA) entries */
    uint32_t palette_length;          /* at most 256 entries */
    int palette_rgba;                 /* entries are 4 bytes */
    int transparency_kind;            /* IMGSHARE_TRANSPARENCY_*, allowed as docs/protocol.md §8.4 says */
    uint32_t transparency_values[3];  /* VALUE: [0]; COLOUR: R, G, B */
    const uint8_t *transparency_alpha;/* ALPHA: 1..256 bytes */
    uint32_t transparency_alpha_length;
    /* since 2.0.0 (protocol 3) */
    const char *tags;                 /* NULL, or NUL-terminated UTF-8 JSON text whose top-level value is an
                                         object, at most IMGSHARE_TAGS_MAX bytes, 16 levels deep, no member
                                         name twice in one object: e.g. {"exposure_us": 250} */
} imgshare_extras;

typedef struct imgshare_sender imgshare_sender;
typedef struct imgshare_receiver imgshare_receiver;

/* The sentence describing this thread's last call ("" after a success). */
IMGSHARE_API const char *imgshare_message(void);
IMGSHARE_API const char *imgshare_mode_name(imgshare_mode mode);
/* The mode named name ("RGBA", "I;16", "RGB;16"...); IMGSHARE_USAGE if there is none. */
IMGSHARE_API imgshare_status imgshare_mode_from_name(const char *name, imgshare_mode *mode);
/* Bytes in one unpadded row of width pixels. */
IMGSHARE_API size_t imgshare_row_bytes(imgshare_mode mode, uint32_t width);
/* The System V key of a key (protocol 3 keeps every object of a key there: all three numbers are it). */
IMGSHARE_API imgshare_status imgshare_key_numbers(const char *key, int32_t numbers[3]);

/* ---- Sender ---- */
/* A sender for key (nothing is touched until the first share). On failure *sender is NULL. */
IMGSHARE_API imgshare_status imgshare_sender_open(imgshare_sender **sender, const char *key);
/* How long to wait for a key held by a process that is not a sender (a remover). Default 5 s. */
IMGSHARE_API void imgshare_sender_set_lock_timeout(imgshare_sender *sender, double seconds);
IMGSHARE_API void imgshare_sender_set_checksum(imgshare_sender *sender, int on);              /* default on */
/* Publish height rows of stride bytes at pixels (stride 0: unpadded). */
IMGSHARE_API imgshare_status imgshare_share(imgshare_sender *sender, const void *pixels, uint32_t width,
                                            uint32_t height, imgshare_mode mode, size_t stride,
                                            const imgshare_extras *extras);
/* Write in place: *pixels points into a slot no reader uses, of *stride bytes a row; fill it, then
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
/* How long a read keeps trying when the published image changes faster than it can pin it, or too many
 * readers hold it. Default 5 s. */
IMGSHARE_API void imgshare_receiver_set_lock_timeout(imgshare_receiver *receiver, double seconds);
IMGSHARE_API void imgshare_receiver_set_verify(imgshare_receiver *receiver, int on);              /* default on */
/* The current image's metadata, without its pixels. */
IMGSHARE_API imgshare_status imgshare_receive_info(imgshare_receiver *receiver, imgshare_info *info);
/* Copy the current image into buffer (rows of stride bytes; 0: unpadded), capacity bytes long. Verifying, the
 * checksum is computed over the bytes in buffer. */
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

/* Read a data segment held in memory (its slot descriptor, then the pixels: a file, a test vector) as a
 * receiver reads a live one: the same validation of the descriptor, checksum and copy (without the
 * epoch and generation, which name a control block). key must be a key; buffer may be NULL for the
 * metadata alone. */
IMGSHARE_API imgshare_status imgshare_read_image(const void *segment, size_t size, const char *key, int verify,
                                                 imgshare_info *info, void *buffer, size_t capacity, size_t stride);

#ifdef __cplusplus
}
#endif
#endif /* IMGSHARE_H */

/* ================================== implementation ================================== */
/* Layout of what follows: the protocol's constants; messages; bytes (little-endian fields, SHA-1, CRC-32,
 * UTF-8, keys, JSON tags); the two block layouts (control block, slot descriptor: pure functions, no
 * system calls); the System V objects (the object check, the semaphore set's operations); then the two
 * roles, sender and receiver. Section numbers (§) are docs/protocol.md's. */
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
 * cannot add them. They are declared here as glibc and musl define them (clockid_t, pid_t and uid_t are
 * int-sized), so imgshare.h can be included anywhere. C++ compilers on Linux define _GNU_SOURCE. */
int semtimedop(int semid, struct sembuf *sops, size_t nsops, const struct timespec *timeout);
int clock_gettime(int clock, struct timespec *now);
int nanosleep(const struct timespec *duration, struct timespec *remaining);
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
/* An object's System V key, in struct ipc_perm (glibc and musl name it differently). */
#if defined(__GLIBC__)
#define IMGSHARE__PERM_KEY(perm) ((perm).__key)
#else
#define IMGSHARE__PERM_KEY(perm) ((perm).__ipc_perm_key)
#endif

/* ---- constants of the protocol ---- */
#define IMGSHARE__PAGE 4096u
#define IMGSHARE__CONTROL_SIZE 4096u
#define IMGSHARE__DESCRIPTOR_SIZE 8192u
#define IMGSHARE__MIN_SLOTS 2u
#define IMGSHARE__MAX_SLOTS 8u
#define IMGSHARE__SLOTS 3u               /* what we create: a borrowed, a published and a written slot (§20) */
#define IMGSHARE__NONE 0xFFFFFFFFu       /* the published hint: nothing yet */
#define IMGSHARE__PERSISTED 1u
#define IMGSHARE__SERVING 2u
#define IMGSHARE__CONVERTED 1u
#define IMGSHARE__BGR 2u
#define IMGSHARE__MAX_DIM 65536u
#define IMGSHARE__MAX_DEPTH 16           /* of tags (§8.6) */
#define IMGSHARE__WRAP_AT 32000
#define IMGSHARE__SEM_MAX 32767
/* semaphores of the set (§6.1) */
#define IMGSHARE__OWNER 0
#define IMGSHARE__WAKE 1
#define IMGSHARE__GATE(i) (2 + (int)(i))
#define IMGSHARE__PIN(n, i) (2 + (int)(n) + (int)(i))
/* control block (§5) */
#define IMGSHARE__C_VERSION 8
#define IMGSHARE__C_SIZE 10
#define IMGSHARE__C_SLOTS 12
#define IMGSHARE__C_EPOCH 16
#define IMGSHARE__C_KEY_LENGTH 24
#define IMGSHARE__C_CRC 28
#define IMGSHARE__C_MUTABLE 64
#define IMGSHARE__C_PUBLISHED 64
#define IMGSHARE__C_FLAGS 68
#define IMGSHARE__C_OWNER_PID 72
#define IMGSHARE__C_TOKEN 80
#define IMGSHARE__C_SEQUENCE 88
#define IMGSHARE__C_GENERATION 96
#define IMGSHARE__C_PENDING 104
#define IMGSHARE__C_TABLE 128
#define IMGSHARE__C_MUTABLE_END 512
#define IMGSHARE__C_KEY 512
#define IMGSHARE__PENDING_CREATING 1u
#define IMGSHARE__PENDING_CREATED 2u
/* slot descriptor (§7.2) */
#define IMGSHARE__D_VERSION 8
#define IMGSHARE__D_SIZE 10
#define IMGSHARE__D_EPOCH 16
#define IMGSHARE__D_GENERATION 24
#define IMGSHARE__D_WRITE_COUNT 32
#define IMGSHARE__D_CRC 36
#define IMGSHARE__D_SEQUENCE 40
#define IMGSHARE__D_WIDTH 48
#define IMGSHARE__D_HEIGHT 52
#define IMGSHARE__D_STRIDE 56
#define IMGSHARE__D_FLAGS 60
#define IMGSHARE__D_PAYLOAD 64
#define IMGSHARE__D_CHECKSUM_KIND 72
#define IMGSHARE__D_SENDER_PID 76
#define IMGSHARE__D_CHECKSUM 80
#define IMGSHARE__D_TIMESTAMP 88
#define IMGSHARE__D_MODE 96
#define IMGSHARE__D_SOURCE_MODE 112
#define IMGSHARE__D_PALETTE_MODE 128
#define IMGSHARE__D_SOURCE_LENGTH 136
#define IMGSHARE__D_PALETTE_LENGTH 138
#define IMGSHARE__D_T_KIND 140
#define IMGSHARE__D_T_LENGTH 142
#define IMGSHARE__D_T_VALUES 144
#define IMGSHARE__D_TAGS_LENGTH 160
#define IMGSHARE__D_SOURCE 256
#define IMGSHARE__D_ALPHA 512
#define IMGSHARE__D_PALETTE 768
#define IMGSHARE__D_TAGS 4096
/* Bytes copied (or written) before they are hashed, while they are still in the cache (§20: 256 KiB). */
#define IMGSHARE__CHUNK (256u * 1024u)
/* Unverified copies from this size on use streaming stores: a cached store first reads each line of the
 * destination (a third pass over memory), and nobody reads these bytes back before they leave the cache. */
#define IMGSHARE__STREAM_FROM (4u * 1024u * 1024u)
#define IMGSHARE__WAKE_BOUND 0.5         /* longest sleep on the signal: a stopped sender is noticed (§11.3) */
#define IMGSHARE__NOTHING_POLL 0.1       /* between looks while following a key with no sender */
#define IMGSHARE__DEFAULT_TIMEOUT 5.0
#define IMGSHARE__HINT_TRIES 3           /* pins of the hinted slot before reading every gate (§10.2) */

static const char imgshare__magic[8] = {'I', 'M', 'G', 'S', 'H', 'A', 'R', 'E'};
static const char imgshare__data_magic[8] = {'I', 'M', 'G', 'S', 'D', 'A', 'T', 'A'};
static const char *const imgshare__mode_names[IMGSHARE_MODE_COUNT] = {"1", "L", "LA", "P", "RGB", "RGBA",
                                                                        "I;16", "I", "F", "RGB;16", "RGBA;16"};
static const unsigned imgshare__mode_bits[IMGSHARE_MODE_COUNT] = {1, 8, 16, 8, 24, 32, 16, 32, 32, 48, 64};

union imgshare__semun {
    int val;
    struct semid_ds *buf;
    unsigned short *array;
};

/* ---- messages ---- */
static IMGSHARE_TLS char imgshare__text[512];

static imgshare_status imgshare__fail(imgshare_status status, const char *format, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

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

/* The sentences that recur, in one place each. */
static imgshare_status imgshare__nothing(const char *key)
{
    return imgshare__fail(IMGSHARE_NOT_SHARED, "nothing is shared under the key '%s'", key);
}

static imgshare_status imgshare__nothing_yet(const char *key)
{
    return imgshare__fail(IMGSHARE_NOT_SHARED, "nothing is shared under the key '%s' yet", key);
}

static imgshare_status imgshare__foreign(const char *key, const char *what)
{
    return imgshare__fail(IMGSHARE_CORRUPT, "the key '%s' holds another program's %s, not imgshare's; imgshare will "
                          "not touch it: choose another key", key, what);
}

static imgshare_status imgshare__damaged(const char *key, const char *detail)
{
    return imgshare__fail(IMGSHARE_CORRUPT, "the share under key '%s' is damaged (%s); remove it with 'imgshare "
                          "remove --key %s'", key, detail, key);
}

/* ---- little-endian fields, and the aligned single loads and stores of the mutable fields (§5) ---- */
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
static void imgshare__put64(uint8_t *p, uint64_t v)
{
    imgshare__put32(p, (uint32_t)v);
    imgshare__put32(p + 4, (uint32_t)(v >> 32));
}

/* Linux runs little-endian on every machine this targets; a big-endian build would need byte swaps here. */
static uint32_t imgshare__load32(const uint8_t *base, size_t offset)
{
    return __atomic_load_n((const uint32_t *)(const void *)(base + offset), __ATOMIC_ACQUIRE);
}
static uint64_t imgshare__load64(const uint8_t *base, size_t offset)
{
    return __atomic_load_n((const uint64_t *)(const void *)(base + offset), __ATOMIC_ACQUIRE);
}
static void imgshare__store32(uint8_t *base, size_t offset, uint32_t value)
{
    __atomic_store_n((uint32_t *)(void *)(base + offset), value, __ATOMIC_RELEASE);
}
static void imgshare__store64(uint8_t *base, size_t offset, uint64_t value)
{
    __atomic_store_n((uint64_t *)(void *)(base + offset), value, __ATOMIC_RELEASE);
}

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
    return imgshare__fail(IMGSHARE_USAGE, "'%s' is not a mode imgshare carries (1, L, LA, P, RGB, RGBA, I;16, I, F, "
                          "RGB;16, RGBA;16)", name ? name : "(null)");
}

IMGSHARE_API size_t imgshare_row_bytes(imgshare_mode mode, uint32_t width)
{
    if ((unsigned)mode >= IMGSHARE_MODE_COUNT)
        return 0;
    return ((size_t)width * imgshare__mode_bits[mode] + 7) / 8;
}

static int imgshare__has_colour_order(imgshare_mode mode)
{
    return mode == IMGSHARE_MODE_RGB || mode == IMGSHARE_MODE_RGBA || mode == IMGSHARE_MODE_RGB16 ||
           mode == IMGSHARE_MODE_RGBA16;
}

/* ---- SHA-1 (FIPS 180-4, §3.3) ---- */
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

/* ---- CRC-32 (zlib's, §8.7), eight bytes at a time from tables made once ---- */
static uint32_t imgshare__crc_table[8][256];
static pthread_once_t imgshare__crc_once = PTHREAD_ONCE_INIT;

static void imgshare__crc_init(void)
{
    uint32_t i, j, c;
    for (i = 0; i < 256; i++) {
        c = i;
        for (j = 0; j < 8; j++)
            c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        imgshare__crc_table[0][i] = c;
    }
    for (i = 0; i < 256; i++)
        for (j = 1; j < 8; j++)
            imgshare__crc_table[j][i] = (imgshare__crc_table[j - 1][i] >> 8) ^
                                        imgshare__crc_table[0][imgshare__crc_table[j - 1][i] & 0xFF];
}

/* Continue crc (0xFFFFFFFF to start; XOR the end with it) over length bytes. */
static uint32_t imgshare__crc_update(uint32_t crc, const uint8_t *p, size_t length)
{
    pthread_once(&imgshare__crc_once, imgshare__crc_init);
    while (length >= 8) {
        uint32_t low = crc ^ imgshare__u32(p), high = imgshare__u32(p + 4);
        crc = imgshare__crc_table[7][low & 0xFF] ^ imgshare__crc_table[6][(low >> 8) & 0xFF] ^
              imgshare__crc_table[5][(low >> 16) & 0xFF] ^ imgshare__crc_table[4][low >> 24] ^
              imgshare__crc_table[3][high & 0xFF] ^ imgshare__crc_table[2][(high >> 8) & 0xFF] ^
              imgshare__crc_table[1][(high >> 16) & 0xFF] ^ imgshare__crc_table[0][high >> 24];
        p += 8;
        length -= 8;
    }
    while (length--)
        crc = (crc >> 8) ^ imgshare__crc_table[0][(crc ^ *p++) & 0xFF];
    return crc;
}

static uint32_t imgshare__crc32(const void *data, size_t length)
{
    return imgshare__crc_update(0xFFFFFFFFu, (const uint8_t *)data, length) ^ 0xFFFFFFFFu;
}

/* The CRC of a block whose bytes [hole, hole + hole_length) count as zero. */
static uint32_t imgshare__crc_with_hole(const uint8_t *block, size_t size, size_t hole, size_t hole_length)
{
    static const uint8_t zeros[512] = {0};
    uint32_t crc = imgshare__crc_update(0xFFFFFFFFu, block, hole);
    IMGSHARE_ASSERT(hole_length <= sizeof zeros && hole + hole_length <= size);
    crc = imgshare__crc_update(crc, zeros, hole_length);
    return imgshare__crc_update(crc, block + hole + hole_length, size - hole - hole_length) ^ 0xFFFFFFFFu;
}

/* ---- UTF-8 ---- */
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

/* The code points refused in keys and source names (§3.1). */
static int imgshare__refused_point(uint32_t c)
{
    static const uint32_t ranges[][2] = {
        {0x0000, 0x001F}, {0x007F, 0x009F}, {0x00AD, 0x00AD}, {0x034F, 0x034F}, {0x061C, 0x061C},
        {0x115F, 0x1160}, {0x17B4, 0x17B5}, {0x180B, 0x180F}, {0x200B, 0x200F}, {0x2028, 0x202E},
        {0x2060, 0x206F}, {0x3164, 0x3164}, {0xFE00, 0xFE0F}, {0xFEFF, 0xFEFF}, {0xFFA0, 0xFFA0},
        {0xFFF0, 0xFFFB}, {0x1BCA0, 0x1BCA3}, {0x1D173, 0x1D17A}, {0xE0000, 0xE0FFF}};
    size_t i;
    for (i = 0; i < sizeof ranges / sizeof ranges[0]; i++)
        if (c >= ranges[i][0] && c <= ranges[i][1])
            return 1;
    return 0;
}

/* Well-formed UTF-8 without refused code points (and, with no_slash, without '/'): §8.5. */
static int imgshare__clean_text(const uint8_t *p, size_t length, int no_slash)
{
    uint32_t point;
    size_t n;
    while (length) {
        n = imgshare__utf8_char(p, length, &point);
        if (!n || imgshare__refused_point(point) || (no_slash && point == '/'))
            return 0;
        p += n;
        length -= n;
    }
    return 1;
}

/* ---- keys (§3) ---- */
/* IMGSHARE_OK with the key's length, or IMGSHARE_USAGE with the sentence. */
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

static int32_t imgshare__sysv_key(const char *key, size_t length)
{
    uint8_t digest[20];
    uint32_t value;
    imgshare__sha1(key, length, digest);
    value = ((uint32_t)digest[0] << 24 | (uint32_t)digest[1] << 16 | (uint32_t)digest[2] << 8 | digest[3]) &
            0x7FFFFFFFu;
    return (int32_t)(value ? value : 1);
}

IMGSHARE_API imgshare_status imgshare_key_numbers(const char *key, int32_t numbers[3])
{
    size_t length = 0;
    imgshare_status st = imgshare__check_key(key, &length);
    if (st)
        return st;
    numbers[0] = numbers[1] = numbers[2] = imgshare__sysv_key(key, length);
    return imgshare__ok();
}

/* ---- tags: JSON text (RFC 8259) whose top-level value is an object (§8.6) ---- */
typedef struct imgshare__json {
    const uint8_t *p, *end;
    const char *problem;
    /* the decoded member names of the objects being read, innermost last: each a u16 length, then its
     * bytes (decoded names are no longer than the text, so 2 x 4096 bytes always hold them) */
    uint8_t names[2 * IMGSHARE_TAGS_MAX];
    size_t used;
} imgshare__json;

static void imgshare__json_space(imgshare__json *j)
{
    while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
        j->p++;
}

static int imgshare__json_hex4(const uint8_t *p, uint32_t *value)
{
    int i;
    *value = 0;
    for (i = 0; i < 4; i++) {
        uint8_t c = p[i];
        uint32_t digit = c >= '0' && c <= '9' ? (uint32_t)(c - '0') : c >= 'a' && c <= 'f' ? (uint32_t)(c - 'a' + 10)
                         : c >= 'A' && c <= 'F' ? (uint32_t)(c - 'A' + 10) : 16u;
        if (digit > 15)
            return 0;
        *value = *value << 4 | digit;
    }
    return 1;
}

/* A string at j->p (the opening quote); its decoded form (UTF-8; a lone surrogate escape as its 3-byte
 * form, so names still compare) in out (up to out_size bytes, *out_length; out may be NULL). */
static int imgshare__json_string(imgshare__json *j, uint8_t *out, size_t out_size, size_t *out_length)
{
    size_t n = 0;
    j->p++;
    for (;;) {
        uint8_t piece[4];
        size_t piece_length = 1;
        uint32_t point;
        if (j->p >= j->end) {
            j->problem = "a string is not closed";
            return 0;
        }
        if (*j->p == '"') {
            j->p++;
            break;
        }
        if (*j->p < 0x20) {
            j->problem = "a string holds a raw control character";
            return 0;
        }
        if (*j->p == '\\') {
            if (j->end - j->p < 2) {
                j->problem = "a string is not closed";
                return 0;
            }
            switch (j->p[1]) {
            case '"': case '\\': case '/': piece[0] = j->p[1]; j->p += 2; break;
            case 'b': piece[0] = '\b'; j->p += 2; break;
            case 'f': piece[0] = '\f'; j->p += 2; break;
            case 'n': piece[0] = '\n'; j->p += 2; break;
            case 'r': piece[0] = '\r'; j->p += 2; break;
            case 't': piece[0] = '\t'; j->p += 2; break;
            case 'u':
                if (j->end - j->p < 6 || !imgshare__json_hex4(j->p + 2, &point)) {
                    j->problem = "a \\u escape is not four hexadecimal digits";
                    return 0;
                }
                j->p += 6;
                if (point >= 0xD800 && point <= 0xDBFF && j->end - j->p >= 6 && j->p[0] == '\\' && j->p[1] == 'u') {
                    uint32_t low;
                    if (imgshare__json_hex4(j->p + 2, &low) && low >= 0xDC00 && low <= 0xDFFF) {
                        point = 0x10000 + ((point - 0xD800) << 10) + (low - 0xDC00);
                        j->p += 6;
                    }
                }
                if (point < 0x80) { piece[0] = (uint8_t)point; }
                else if (point < 0x800) {
                    piece[0] = (uint8_t)(0xC0 | point >> 6); piece[1] = (uint8_t)(0x80 | (point & 0x3F)); piece_length = 2;
                } else if (point < 0x10000) {
                    piece[0] = (uint8_t)(0xE0 | point >> 12); piece[1] = (uint8_t)(0x80 | ((point >> 6) & 0x3F));
                    piece[2] = (uint8_t)(0x80 | (point & 0x3F)); piece_length = 3;
                } else {
                    piece[0] = (uint8_t)(0xF0 | point >> 18); piece[1] = (uint8_t)(0x80 | ((point >> 12) & 0x3F));
                    piece[2] = (uint8_t)(0x80 | ((point >> 6) & 0x3F)); piece[3] = (uint8_t)(0x80 | (point & 0x3F));
                    piece_length = 4;
                }
                break;
            default:
                j->problem = "a string holds an unknown escape";
                return 0;
            }
        } else {
            piece_length = imgshare__utf8_char(j->p, (size_t)(j->end - j->p), &point);
            if (!piece_length) {
                j->problem = "it is not valid UTF-8";
                return 0;
            }
            memcpy(piece, j->p, piece_length);
            j->p += piece_length;
        }
        if (out && n + piece_length <= out_size)
            memcpy(out + n, piece, piece_length);
        n += piece_length;
    }
    if (out_length)
        *out_length = n;
    return 1;
}

static int imgshare__json_number(imgshare__json *j)
{
    const uint8_t *p = j->p;
    if (p < j->end && *p == '-')
        p++;
    if (p < j->end && *p == '0')
        p++;
    else if (p < j->end && *p >= '1' && *p <= '9')
        while (p < j->end && *p >= '0' && *p <= '9')
            p++;
    else
        return 0;
    if (p < j->end && *p == '.') {
        if (++p >= j->end || *p < '0' || *p > '9')
            return 0;
        while (p < j->end && *p >= '0' && *p <= '9')
            p++;
    }
    if (p < j->end && (*p == 'e' || *p == 'E')) {
        p++;
        if (p < j->end && (*p == '+' || *p == '-'))
            p++;
        if (p >= j->end || *p < '0' || *p > '9')
            return 0;
        while (p < j->end && *p >= '0' && *p <= '9')
            p++;
    }
    j->p = p;
    return 1;
}

static int imgshare__json_value(imgshare__json *j, int depth);

/* An object at j->p: members with distinct names (compared decoded), values at depth + 1. */
static int imgshare__json_object(imgshare__json *j, int depth)
{
    size_t mark = j->used, at, other, length;
    int ok = 0;
    if (depth > IMGSHARE__MAX_DEPTH) {
        j->problem = "they nest deeper than 16 levels";
        return 0;
    }
    j->p++;
    imgshare__json_space(j);
    if (j->p < j->end && *j->p == '}') {
        j->p++;
        return 1;
    }
    for (;;) {
        uint8_t *name = j->names + j->used + 2;
        size_t room = sizeof j->names - j->used - 2;
        if (j->p >= j->end || *j->p != '"') {
            j->problem = "an object's member has no name in quotes";
            break;
        }
        length = 0;
        if (!imgshare__json_string(j, name, room, &length))
            break;
        if (length > room) {
            j->problem = "they hold too many member names";
            break;
        }
        for (at = mark; at < j->used; at += 2 + other) {
            other = imgshare__u16(j->names + at);
            if (other == length && memcmp(j->names + at + 2, name, length) == 0)
                break;
        }
        if (at < j->used) {
            j->problem = "an object has two members of the same name";
            break;
        }
        imgshare__put16(j->names + j->used, (uint32_t)length);
        j->used += 2 + length;
        imgshare__json_space(j);
        if (j->p >= j->end || *j->p != ':') {
            j->problem = "a member's name is not followed by ':'";
            break;
        }
        j->p++;
        if (!imgshare__json_value(j, depth + 1))
            break;
        imgshare__json_space(j);
        if (j->p < j->end && *j->p == ',') {
            j->p++;
            imgshare__json_space(j);
            continue;
        }
        if (j->p < j->end && *j->p == '}') {
            j->p++;
            ok = 1;
        } else {
            j->problem = "an object is not closed";
        }
        break;
    }
    j->used = mark;
    return ok;
}

static int imgshare__json_value(imgshare__json *j, int depth)
{
    imgshare__json_space(j);
    if (j->p >= j->end) {
        j->problem = "a value is missing";
        return 0;
    }
    switch (*j->p) {
    case '{': return imgshare__json_object(j, depth);
    case '[':
        if (depth > IMGSHARE__MAX_DEPTH) {
            j->problem = "they nest deeper than 16 levels";
            return 0;
        }
        j->p++;
        imgshare__json_space(j);
        if (j->p < j->end && *j->p == ']') {
            j->p++;
            return 1;
        }
        for (;;) {
            if (!imgshare__json_value(j, depth + 1))
                return 0;
            imgshare__json_space(j);
            if (j->p < j->end && *j->p == ',') {
                j->p++;
                continue;
            }
            if (j->p < j->end && *j->p == ']') {
                j->p++;
                return 1;
            }
            j->problem = "an array is not closed";
            return 0;
        }
    case '"': return imgshare__json_string(j, NULL, 0, NULL);
    case 't':
        if (j->end - j->p >= 4 && memcmp(j->p, "true", 4) == 0) { j->p += 4; return 1; }
        break;
    case 'f':
        if (j->end - j->p >= 5 && memcmp(j->p, "false", 5) == 0) { j->p += 5; return 1; }
        break;
    case 'n':
        if (j->end - j->p >= 4 && memcmp(j->p, "null", 4) == 0) { j->p += 4; return 1; }
        break;
    default:
        if (imgshare__json_number(j))
            return 1;
        break;
    }
    j->problem = "they hold something that is not a JSON value (NaN and Infinity are not)";
    return 0;
}

/* NULL if text (length bytes) is tags imgshare carries, else what is wrong with it. */
static const char *imgshare__tags_problem(const uint8_t *text, size_t length)
{
    imgshare__json j;
    if (length > IMGSHARE_TAGS_MAX)
        return "they are longer than 4096 bytes";
    if (length == 0)
        return NULL;
    if (length >= 3 && text[0] == 0xEF && text[1] == 0xBB && text[2] == 0xBF)
        return "they start with a byte-order mark";
    j.p = text;
    j.end = text + length;
    j.problem = NULL;
    j.used = 0;
    imgshare__json_space(&j);
    if (j.p >= j.end || *j.p != '{')
        return "they are not a JSON object";
    if (!imgshare__json_object(&j, 1))
        return j.problem;
    imgshare__json_space(&j);
    if (j.p != j.end)
        return "something follows the JSON object";
    return NULL;
}

/* ---- the control block (§5): read, checked and written from a copy; no system calls ---- */
typedef struct imgshare__control {
    uint32_t slot_count, published, flags, owner_pid;
    uint64_t epoch, owner_token, sequence, generation, pending;
    uint64_t entry_generation[IMGSHARE__MAX_SLOTS];
    uint32_t entry_shmid[IMGSHARE__MAX_SLOTS];
} imgshare__control;

/* What a look at the control segment found (§9.1). */
typedef enum imgshare__found {
    IMGSHARE__FOUND_NONE = 0,
    IMGSHARE__FOUND_BLANK,    /* its creator died before writing it (step 4) */
    IMGSHARE__FOUND_VALID,
    IMGSHARE__FOUND_DAMAGED,  /* ours, this key's perhaps, but broken (steps 7 and 9) */
    IMGSHARE__FOUND_REFUSED   /* another user's, foreign, another format, a collision: never touched */
} imgshare__found;

static imgshare_status imgshare__format(uint32_t version, const char *key)
{
    if (version < 3)
        return imgshare__fail(IMGSHARE_CORRUPT, "the share under key '%s' was made by an older imgshare (format %u); "
                              "stop that program, or remove it with 'imgshare remove --key %s'", key,
                              (unsigned)version, key);
    return imgshare__fail(IMGSHARE_CORRUPT, "the share under key '%s' was made by a newer imgshare (format %u); this "
                          "program reads format 3", key, (unsigned)version);
}

/* Steps 4 to 9 of §9.1 on raw, a copy of the segment's first min(size, 4096) bytes (zero beyond), size
 * the kernel's shm_segsz. *found says what it is; c is filled for VALID. */
static imgshare_status imgshare__check_control(const uint8_t *raw, uint64_t size, const char *key, size_t key_length,
                                               imgshare__control *c, imgshare__found *found)
{
    static const uint8_t zero[8] = {0};
    uint8_t zeroed[IMGSHARE__CONTROL_SIZE];
    uint32_t version, key_len, i, state;
    *found = IMGSHARE__FOUND_REFUSED;
    if (size >= 8 && memcmp(raw, zero, 8) == 0 && size == IMGSHARE__CONTROL_SIZE) {
        *found = IMGSHARE__FOUND_BLANK;
        return imgshare__nothing_yet(key);
    }
    if (size < 8 || memcmp(raw, imgshare__magic, 8) != 0)
        return imgshare__foreign(key, "shared memory");
    if (size < 10) {
        *found = IMGSHARE__FOUND_DAMAGED;
        return imgshare__damaged(key, "its control segment ends before its version");
    }
    version = imgshare__u16(raw + IMGSHARE__C_VERSION);
    if (version != 3)
        return imgshare__format(version, key);
    *found = IMGSHARE__FOUND_DAMAGED;
    if (size != IMGSHARE__CONTROL_SIZE)
        return imgshare__damaged(key, "its control segment is not 4096 bytes");
    if (imgshare__u16(raw + IMGSHARE__C_SIZE) != IMGSHARE__CONTROL_SIZE)
        return imgshare__damaged(key, "control_size is not 4096");
    memcpy(zeroed, raw, sizeof zeroed);
    memset(zeroed + IMGSHARE__C_CRC, 0, 4);
    memset(zeroed + IMGSHARE__C_MUTABLE, 0, IMGSHARE__C_MUTABLE_END - IMGSHARE__C_MUTABLE);
    if (imgshare__crc32(zeroed, sizeof zeroed) != imgshare__u32(raw + IMGSHARE__C_CRC))
        return imgshare__damaged(key, "its control block fails its CRC");
    c->slot_count = imgshare__u32(raw + IMGSHARE__C_SLOTS);
    if (c->slot_count < IMGSHARE__MIN_SLOTS || c->slot_count > IMGSHARE__MAX_SLOTS)
        return imgshare__damaged(key, "slot_count is outside 2..8");
    c->epoch = imgshare__u64(raw + IMGSHARE__C_EPOCH);
    if (!c->epoch)
        return imgshare__damaged(key, "its epoch is 0");
    key_len = imgshare__u16(raw + IMGSHARE__C_KEY_LENGTH);
    if (key_len < 1 || key_len > 255)
        return imgshare__damaged(key, "key_length is outside 1..255");
    { /* well-formed UTF-8 is what step 7 asks; refused code points make a collision (step 8) */
        uint32_t point;
        size_t at = 0, n;
        while (at < key_len) {
            n = imgshare__utf8_char(raw + IMGSHARE__C_KEY + at, key_len - at, &point);
            if (!n)
                return imgshare__damaged(key, "the key in its control block is not UTF-8");
            at += n;
        }
    }
    if (key_len != key_length || memcmp(raw + IMGSHARE__C_KEY, key, key_length) != 0) {
        char named[256 * 4 + 1];
        size_t at, out = 0;
        for (at = 0; at < key_len; at++) { /* printed safely: it may hold what a key may not */
            uint8_t b = raw[IMGSHARE__C_KEY + at];
            if (b < 0x20 || b == 0x7F)
                out += (size_t)snprintf(named + out, sizeof named - out, "\\x%02x", b);
            else
                named[out++] = (char)b;
        }
        named[out] = '\0';
        *found = IMGSHARE__FOUND_REFUSED;
        return imgshare__fail(IMGSHARE_CORRUPT, "the key '%s' collides with imgshare key '%s' (the same System V "
                              "key); choose another key", key, named);
    }
    c->published = imgshare__u32(raw + IMGSHARE__C_PUBLISHED);
    c->flags = imgshare__u32(raw + IMGSHARE__C_FLAGS);
    c->owner_pid = imgshare__u32(raw + IMGSHARE__C_OWNER_PID);
    c->owner_token = imgshare__u64(raw + IMGSHARE__C_TOKEN);
    c->sequence = imgshare__u64(raw + IMGSHARE__C_SEQUENCE);
    c->generation = imgshare__u64(raw + IMGSHARE__C_GENERATION);
    c->pending = imgshare__u64(raw + IMGSHARE__C_PENDING);
    if (c->flags & ~(IMGSHARE__PERSISTED | IMGSHARE__SERVING))
        return imgshare__damaged(key, "its flags have unknown bits");
    for (i = 0; i < IMGSHARE__MAX_SLOTS; i++) {
        c->entry_generation[i] = imgshare__u64(raw + IMGSHARE__C_TABLE + 16 * i);
        c->entry_shmid[i] = imgshare__u32(raw + IMGSHARE__C_TABLE + 16 * i + 8);
        if (i >= c->slot_count && c->entry_generation[i])
            return imgshare__damaged(key, "a slot table entry beyond slot_count is not empty");
    }
    state = (uint32_t)(c->pending >> 32);
    if (state > IMGSHARE__PENDING_CREATED)
        return imgshare__damaged(key, "its pending state is not 0, 1 or 2");
    *found = IMGSHARE__FOUND_VALID;
    return IMGSHARE_OK;
}

/* A new control block (§5): every slot empty, nothing published, first 8 bytes zero (the magic is stored
 * last, by the caller, in one aligned store: §5 [C4]). */
static void imgshare__pack_control(uint8_t *block, const char *key, size_t key_length, uint32_t slot_count,
                                   uint64_t epoch)
{
    memset(block, 0, IMGSHARE__CONTROL_SIZE);
    memcpy(block, imgshare__magic, 8);
    imgshare__put16(block + IMGSHARE__C_VERSION, 3);
    imgshare__put16(block + IMGSHARE__C_SIZE, IMGSHARE__CONTROL_SIZE);
    imgshare__put32(block + IMGSHARE__C_SLOTS, slot_count);
    imgshare__put64(block + IMGSHARE__C_EPOCH, epoch);
    imgshare__put16(block + IMGSHARE__C_KEY_LENGTH, (uint32_t)key_length);
    memcpy(block + IMGSHARE__C_KEY, key, key_length);
    imgshare__put32(block + IMGSHARE__C_CRC, imgshare__crc32(block, IMGSHARE__CONTROL_SIZE)); /* holes are 0 */
    imgshare__put32(block + IMGSHARE__C_PUBLISHED, IMGSHARE__NONE);
    memset(block, 0, 8);
}

/* ---- the slot descriptor (§7.2): read, checked and written from a copy; no system calls ---- */
/* A NUL-padded ASCII field: 1 with its text, 0 if it is not ASCII (printable) or holds bytes after a NUL. */
static int imgshare__ascii_field(const uint8_t *p, size_t size, char *out, size_t *length)
{
    size_t n = 0, i;
    while (n < size && p[n])
        n++;
    for (i = n; i < size; i++)
        if (p[i])
            return 0;
    for (i = 0; i < n; i++)
        if (p[i] < 0x21 || p[i] > 0x7E)
            return 0;
    memcpy(out, p, n);
    out[n] = '\0';
    *length = n;
    return 1;
}

static imgshare_status imgshare__bad_field(const char *key, const char *format, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

static imgshare_status imgshare__bad_field(const char *key, const char *format, ...)
{
    char detail[256];
    va_list args;
    va_start(args, format);
    vsnprintf(detail, sizeof detail, format, args);
    va_end(args);
    return imgshare__fail(IMGSHARE_CORRUPT, "the image under key '%s' has a damaged descriptor: %s", key, detail);
}

/* The largest value a transparency of kind 1 or 2 may hold in mode (§8.4). */
static uint32_t imgshare__transparency_limit(imgshare_mode mode)
{
    switch (mode) {
    case IMGSHARE_MODE_I16: case IMGSHARE_MODE_RGB16: return 65535u;
    case IMGSHARE_MODE_I: return 0x7FFFFFFFu;
    default: return 255u;
    }
}

/* Whether kind (with length values) may go with mode and its palette (§8.4). */
static int imgshare__transparency_allowed(imgshare_mode mode, int rgb_palette, uint32_t kind)
{
    switch (kind) {
    case IMGSHARE_TRANSPARENCY_NONE: return 1;
    case IMGSHARE_TRANSPARENCY_VALUE:
        return (mode == IMGSHARE_MODE_P && rgb_palette) || mode == IMGSHARE_MODE_1 || mode == IMGSHARE_MODE_L ||
               mode == IMGSHARE_MODE_I16 || mode == IMGSHARE_MODE_I;
    case IMGSHARE_TRANSPARENCY_COLOUR: return mode == IMGSHARE_MODE_RGB || mode == IMGSHARE_MODE_RGB16;
    case IMGSHARE_TRANSPARENCY_ALPHA: return mode == IMGSHARE_MODE_P && rgb_palette;
    default: return 0;
    }
}

/* Check the descriptor raw (8192 bytes copied from a data segment of capacity bytes after the descriptor)
 * and fill info from it: §9.3 steps 17 and 18. With check_identity, its epoch and generation must be these
 * (*mismatch is set when they are not: the caller decides whether that is damage or a race). */
static imgshare_status imgshare__check_descriptor(const uint8_t *raw, uint64_t capacity, const char *key,
                                                  int check_identity, uint64_t epoch, uint64_t generation,
                                                  imgshare_info *info, int *mismatch)
{
    char mode_name[17], palette_mode[9];
    size_t mode_length, palette_mode_length, source_mode_length;
    uint32_t flags, kind, source_len, palette_len, t_kind, t_len, tags_len, i, limit, used;
    uint64_t min_stride;
    imgshare_mode mode;
    const char *problem;
    int rgb_palette;
    *mismatch = 0;
    memset(info, 0, sizeof *info);
    if (memcmp(raw, imgshare__data_magic, 8) != 0)
        return imgshare__bad_field(key, "its magic is not IMGSDATA");
    if (imgshare__u16(raw + IMGSHARE__D_VERSION) != 3)
        return imgshare__bad_field(key, "version %u, not 3", (unsigned)imgshare__u16(raw + IMGSHARE__D_VERSION));
    if (imgshare__u16(raw + IMGSHARE__D_SIZE) != IMGSHARE__DESCRIPTOR_SIZE)
        return imgshare__bad_field(key, "descriptor_size %u, not 8192", (unsigned)imgshare__u16(raw + IMGSHARE__D_SIZE));
    if (imgshare__crc_with_hole(raw, IMGSHARE__DESCRIPTOR_SIZE, IMGSHARE__D_WRITE_COUNT, 8) !=
        imgshare__u32(raw + IMGSHARE__D_CRC))
        return imgshare__bad_field(key, "it fails its CRC");
    info->epoch = imgshare__u64(raw + IMGSHARE__D_EPOCH);
    if (check_identity && (info->epoch != epoch || imgshare__u64(raw + IMGSHARE__D_GENERATION) != generation)) {
        *mismatch = 1;
        return imgshare__bad_field(key, info->epoch != epoch ? "its epoch is not the control block's"
                                                              : "its generation is not its slot table entry's");
    }
    info->sequence = imgshare__u64(raw + IMGSHARE__D_SEQUENCE);
    if (info->sequence < 1)
        return imgshare__bad_field(key, "sequence 0");
    if (!imgshare__ascii_field(raw + IMGSHARE__D_MODE, 16, mode_name, &mode_length) ||
        !imgshare__mode_of(mode_name, mode_length, &mode))
        return imgshare__bad_field(key, "its mode is not one imgshare carries");
    info->mode = mode;
    info->width = imgshare__u32(raw + IMGSHARE__D_WIDTH);
    info->height = imgshare__u32(raw + IMGSHARE__D_HEIGHT);
    if (info->width < 1 || info->width > IMGSHARE__MAX_DIM || info->height < 1 || info->height > IMGSHARE__MAX_DIM)
        return imgshare__bad_field(key, "size %ux%u is outside 1..65536", (unsigned)info->width,
                                   (unsigned)info->height);
    info->stride = imgshare__u32(raw + IMGSHARE__D_STRIDE);
    min_stride = imgshare_row_bytes(mode, info->width);
    if (info->stride < min_stride || info->stride > min_stride + 4096)
        return imgshare__bad_field(key, "stride %u does not fit %u pixels of mode %s", (unsigned)info->stride,
                                   (unsigned)info->width, mode_name);
    info->payload_length = imgshare__u64(raw + IMGSHARE__D_PAYLOAD);
    if (info->payload_length != (uint64_t)info->stride * info->height)
        return imgshare__bad_field(key, "payload_length is not stride x height");
    if (info->payload_length > capacity)
        return imgshare__bad_field(key, "the image (%llu bytes) is larger than its data segment (%llu)",
                                   (unsigned long long)info->payload_length, (unsigned long long)capacity);
    flags = imgshare__u32(raw + IMGSHARE__D_FLAGS);
    if (flags & ~(IMGSHARE__CONVERTED | IMGSHARE__BGR))
        return imgshare__bad_field(key, "its flags have unknown bits");
    if ((flags & IMGSHARE__BGR) && !imgshare__has_colour_order(mode))
        return imgshare__bad_field(key, "the BGR flag on mode %s", mode_name);
    info->converted = (flags & IMGSHARE__CONVERTED) != 0;
    info->bgr = (flags & IMGSHARE__BGR) != 0;
    kind = imgshare__u32(raw + IMGSHARE__D_CHECKSUM_KIND);
    info->checksum = imgshare__u64(raw + IMGSHARE__D_CHECKSUM);
    if (kind > 1)
        return imgshare__bad_field(key, "checksum kind %u is unknown", (unsigned)kind);
    if (kind == 0 && info->checksum != 0)
        return imgshare__bad_field(key, "checksum kind 0 (none) with a non-zero checksum");
    info->checksum_kind = (int)kind;
    info->sender_pid = (int32_t)imgshare__u32(raw + IMGSHARE__D_SENDER_PID);
    info->timestamp_ns = (int64_t)imgshare__u64(raw + IMGSHARE__D_TIMESTAMP);
    /* source_mode (§8.2) */
    if (!imgshare__ascii_field(raw + IMGSHARE__D_SOURCE_MODE, 16, info->source_mode, &source_mode_length))
        return imgshare__bad_field(key, "its source mode is not NUL-padded ASCII");
    for (i = 0; i < source_mode_length; i++) {
        char ch = info->source_mode[i];
        if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == ';'))
            return imgshare__bad_field(key, "its source mode holds '%c'", ch);
    }
    if (!source_mode_length)
        strcpy(info->source_mode, mode_name);
    if (info->converted != (strcmp(info->source_mode, mode_name) != 0))
        return imgshare__bad_field(key, info->converted ? "CONVERTED without a source mode other than its mode"
                                                        : "a source mode other than its mode without CONVERTED");
    /* palette (§8.3) */
    if (!imgshare__ascii_field(raw + IMGSHARE__D_PALETTE_MODE, 8, palette_mode, &palette_mode_length))
        return imgshare__bad_field(key, "its palette mode is not NUL-padded ASCII");
    palette_len = imgshare__u16(raw + IMGSHARE__D_PALETTE_LENGTH);
    if (mode == IMGSHARE_MODE_P) {
        size_t entry = strcmp(palette_mode, "RGB") == 0 ? 3 : strcmp(palette_mode, "RGBA") == 0 ? 4 : 0;
        if (palette_mode_length && !entry)
            return imgshare__bad_field(key, "palette mode '%s' is neither RGB nor RGBA", palette_mode);
        if (palette_len && (!entry || palette_len % entry || palette_len / entry > 256))
            return imgshare__bad_field(key, "a palette of %u bytes is not whole %s entries, at most 256",
                                       (unsigned)palette_len, entry ? palette_mode : "(no palette mode)");
    } else if (palette_len || palette_mode_length) {
        return imgshare__bad_field(key, "a palette on an image of mode %s", mode_name);
    }
    strcpy(info->palette_mode, palette_mode);
    info->palette_length = palette_len;
    memcpy(info->palette, raw + IMGSHARE__D_PALETTE, palette_len);
    rgb_palette = strcmp(palette_mode, "RGB") == 0 && palette_len > 0;
    /* transparency (§8.4) */
    t_kind = imgshare__u16(raw + IMGSHARE__D_T_KIND);
    t_len = imgshare__u16(raw + IMGSHARE__D_T_LENGTH);
    for (i = 0; i < 4; i++)
        info->transparency_values[i] = imgshare__u32(raw + IMGSHARE__D_T_VALUES + 4 * i);
    if (t_kind > 3)
        return imgshare__bad_field(key, "transparency kind %u is unknown", (unsigned)t_kind);
    if (!imgshare__transparency_allowed(mode, rgb_palette, t_kind))
        return imgshare__bad_field(key, "transparency of kind %u on mode %s%s", (unsigned)t_kind, mode_name,
                                   mode == IMGSHARE_MODE_P ? " without an RGB palette" : "");
    if ((t_kind == 0 && t_len != 0) || (t_kind == 1 && t_len != 1) || (t_kind == 2 && t_len != 3) ||
        (t_kind == 3 && (t_len < 1 || t_len > 256)))
        return imgshare__bad_field(key, "transparency length %u does not fit kind %u", (unsigned)t_len,
                                   (unsigned)t_kind);
    used = t_kind == 1 ? 1 : t_kind == 2 ? 3 : 0;
    limit = mode == IMGSHARE_MODE_P ? 255u : imgshare__transparency_limit(mode);
    for (i = 0; i < 4; i++) {
        uint32_t value = info->transparency_values[i];
        if (i >= used && value)
            return imgshare__bad_field(key, "unused transparency value %u is not 0", (unsigned)i);
        if (i < used && value > limit)
            return imgshare__bad_field(key, "transparency value %u is outside %s for mode %s", (unsigned)value,
                                       limit == 255u ? "0..255" : limit == 65535u ? "0..65535" : "0..2147483647",
                                       mode_name);
    }
    info->transparency_kind = (int)t_kind;
    info->transparency_length = t_len;
    if (t_kind == 3)
        memcpy(info->transparency_alpha, raw + IMGSHARE__D_ALPHA, t_len);
    /* source name (§8.5) */
    source_len = imgshare__u16(raw + IMGSHARE__D_SOURCE_LENGTH);
    if (source_len > 255)
        return imgshare__bad_field(key, "source_length %u is over 255", (unsigned)source_len);
    if (!imgshare__clean_text(raw + IMGSHARE__D_SOURCE, source_len, 1))
        return imgshare__bad_field(key, "its source name is not UTF-8 free of '/', control and invisible characters");
    memcpy(info->source_name, raw + IMGSHARE__D_SOURCE, source_len);
    info->source_name[source_len] = '\0';
    /* tags (§8.6) */
    tags_len = imgshare__u16(raw + IMGSHARE__D_TAGS_LENGTH);
    if (tags_len > IMGSHARE_TAGS_MAX)
        return imgshare__bad_field(key, "tags_length %u is over 4096", (unsigned)tags_len);
    if ((problem = imgshare__tags_problem(raw + IMGSHARE__D_TAGS, tags_len)) != NULL)
        return imgshare__bad_field(key, "its tags are not what imgshare carries: %s", problem);
    memcpy(info->tags, raw + IMGSHARE__D_TAGS, tags_len);
    info->tags[tags_len] = '\0';
    info->tags_length = tags_len;
    return IMGSHARE_OK;
}

/* What a sender writes into a descriptor, besides the pixels' checksum. */
typedef struct imgshare__image {
    uint32_t width, height;
    imgshare_mode mode;
    const imgshare_extras *extras; /* already checked, may be NULL */
} imgshare__image;

/* The base name of a source name, made safe (§8.5): refused code points become U+FFFD, '/' cannot be left
 * (it was the cut), cut to 255 bytes on a character boundary. Its length. */
static size_t imgshare__safe_source(const char *name, uint8_t *out)
{
    const char *slash = strrchr(name, '/');
    const uint8_t *p = (const uint8_t *)(slash ? slash + 1 : name);
    size_t left = strlen((const char *)p), used = 0, n;
    uint32_t point;
    static const uint8_t replacement[3] = {0xEF, 0xBF, 0xBD};
    while (left) {
        const uint8_t *piece = p;
        size_t piece_length;
        n = imgshare__utf8_char(p, left, &point);
        if (!n || imgshare__refused_point(point)) {
            piece = replacement;
            piece_length = 3;
            n = n ? n : 1; /* a byte that is not UTF-8 is replaced on its own */
        } else {
            piece_length = n;
        }
        if (used + piece_length > 255)
            break;
        memcpy(out + used, piece, piece_length);
        used += piece_length;
        p += n;
        left -= n;
    }
    return used;
}

/* A whole descriptor (§7.2; every byte past each length zero: D2), with this checksum and sequence. */
static void imgshare__pack_descriptor(uint8_t *d, const imgshare__image *image, uint64_t epoch, uint64_t generation,
                                      uint64_t sequence, int checksum_on, uint64_t checksum)
{
    const imgshare_extras *e = image->extras;
    uint32_t stride = (uint32_t)imgshare_row_bytes(image->mode, image->width);
    const char *name = imgshare_mode_name(image->mode);
    struct timespec now;
    memset(d, 0, IMGSHARE__DESCRIPTOR_SIZE);
    clock_gettime(IMGSHARE__CLOCK_REALTIME, &now);
    memcpy(d, imgshare__data_magic, 8);
    imgshare__put16(d + IMGSHARE__D_VERSION, 3);
    imgshare__put16(d + IMGSHARE__D_SIZE, IMGSHARE__DESCRIPTOR_SIZE);
    imgshare__put64(d + IMGSHARE__D_EPOCH, epoch);
    imgshare__put64(d + IMGSHARE__D_GENERATION, generation);
    imgshare__put64(d + IMGSHARE__D_SEQUENCE, sequence);
    imgshare__put32(d + IMGSHARE__D_WIDTH, image->width);
    imgshare__put32(d + IMGSHARE__D_HEIGHT, image->height);
    imgshare__put32(d + IMGSHARE__D_STRIDE, stride);
    imgshare__put32(d + IMGSHARE__D_FLAGS, e && e->bgr ? IMGSHARE__BGR : 0);
    imgshare__put64(d + IMGSHARE__D_PAYLOAD, (uint64_t)stride * image->height);
    imgshare__put32(d + IMGSHARE__D_CHECKSUM_KIND, checksum_on ? 1 : 0);
    imgshare__put32(d + IMGSHARE__D_SENDER_PID, (uint32_t)getpid());
    imgshare__put64(d + IMGSHARE__D_CHECKSUM, checksum_on ? checksum : 0);
    imgshare__put64(d + IMGSHARE__D_TIMESTAMP, (uint64_t)((int64_t)now.tv_sec * 1000000000 + now.tv_nsec));
    memcpy(d + IMGSHARE__D_MODE, name, strlen(name)); /* source_mode stays zero: the same as mode (§8.2) */
    if (e && e->source_name)
        imgshare__put16(d + IMGSHARE__D_SOURCE_LENGTH,
                        (uint32_t)imgshare__safe_source(e->source_name, d + IMGSHARE__D_SOURCE));
    if (e && image->mode == IMGSHARE_MODE_P && e->palette_length) {
        memcpy(d + IMGSHARE__D_PALETTE_MODE, e->palette_rgba ? "RGBA" : "RGB", e->palette_rgba ? 4 : 3);
        imgshare__put16(d + IMGSHARE__D_PALETTE_LENGTH, e->palette_length);
        memcpy(d + IMGSHARE__D_PALETTE, e->palette, e->palette_length);
    }
    if (e && e->transparency_kind) {
        imgshare__put16(d + IMGSHARE__D_T_KIND, (uint32_t)e->transparency_kind);
        if (e->transparency_kind == IMGSHARE_TRANSPARENCY_VALUE) {
            imgshare__put16(d + IMGSHARE__D_T_LENGTH, 1);
            imgshare__put32(d + IMGSHARE__D_T_VALUES, e->transparency_values[0]);
        } else if (e->transparency_kind == IMGSHARE_TRANSPARENCY_COLOUR) {
            imgshare__put16(d + IMGSHARE__D_T_LENGTH, 3);
            imgshare__put32(d + IMGSHARE__D_T_VALUES, e->transparency_values[0]);
            imgshare__put32(d + IMGSHARE__D_T_VALUES + 4, e->transparency_values[1]);
            imgshare__put32(d + IMGSHARE__D_T_VALUES + 8, e->transparency_values[2]);
        } else {
            imgshare__put16(d + IMGSHARE__D_T_LENGTH, e->transparency_alpha_length);
            memcpy(d + IMGSHARE__D_ALPHA, e->transparency_alpha, e->transparency_alpha_length);
        }
    }
    if (e && e->tags && *e->tags) {
        size_t length = strlen(e->tags);
        imgshare__put16(d + IMGSHARE__D_TAGS_LENGTH, (uint32_t)length);
        memcpy(d + IMGSHARE__D_TAGS, e->tags, length);
    }
    imgshare__put32(d + IMGSHARE__D_CRC, imgshare__crc_with_hole(d, IMGSHARE__DESCRIPTOR_SIZE, IMGSHARE__D_WRITE_COUNT, 8));
}

/* A sender's extras against §8 before anything is touched: IMGSHARE_ERROR or IMGSHARE_USAGE (tags). */
static imgshare_status imgshare__check_extras(imgshare_mode mode, const imgshare_extras *e)
{
    const char *problem;
    int rgb_palette;
    uint32_t limit = imgshare__transparency_limit(mode), i;
    if (!e)
        return IMGSHARE_OK;
    if (e->bgr && !imgshare__has_colour_order(mode))
        return imgshare__fail(IMGSHARE_ERROR, "the BGR order goes with modes RGB, RGBA, RGB;16 and RGBA;16 only");
    if (e->palette_length) {
        uint32_t entry = e->palette_rgba ? 4 : 3;
        if (mode != IMGSHARE_MODE_P || !e->palette || e->palette_length % entry || e->palette_length / entry > 256)
            return imgshare__fail(IMGSHARE_ERROR, "a palette goes with mode P: up to 256 entries of %u bytes", entry);
    }
    rgb_palette = e->palette_length && !e->palette_rgba;
    if (e->tags && (problem = imgshare__tags_problem((const uint8_t *)e->tags, strlen(e->tags))) != NULL)
        return imgshare__fail(IMGSHARE_USAGE, "the tags cannot be carried: %s (a JSON object of at most 4096 bytes "
                              "is)", problem);
    if (!imgshare__transparency_allowed(mode, rgb_palette, (uint32_t)e->transparency_kind))
        return imgshare__fail(IMGSHARE_ERROR, "transparency of kind %d does not fit mode %s%s", e->transparency_kind,
                              imgshare_mode_name(mode), mode == IMGSHARE_MODE_P ? " (P needs an RGB palette)" : "");
    switch (e->transparency_kind) {
    case IMGSHARE_TRANSPARENCY_VALUE:
        if (e->transparency_values[0] > (mode == IMGSHARE_MODE_P ? 255u : limit))
            return imgshare__fail(IMGSHARE_ERROR, "transparency value %u does not fit mode %s",
                                  (unsigned)e->transparency_values[0], imgshare_mode_name(mode));
        break;
    case IMGSHARE_TRANSPARENCY_COLOUR:
        for (i = 0; i < 3; i++)
            if (e->transparency_values[i] > limit)
                return imgshare__fail(IMGSHARE_ERROR, "transparency value %u does not fit mode %s",
                                      (unsigned)e->transparency_values[i], imgshare_mode_name(mode));
        break;
    case IMGSHARE_TRANSPARENCY_ALPHA:
        if (!e->transparency_alpha || e->transparency_alpha_length < 1 || e->transparency_alpha_length > 256)
            return imgshare__fail(IMGSHARE_ERROR, "an alpha table holds 1 to 256 bytes");
        break;
    default: break;
    }
    return IMGSHARE_OK;
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

/* Mode 1: the unused low bits of each row's last byte are 0 (§8.1). */
static void imgshare__clear_pad_bits(uint8_t *rows, size_t stride, size_t row, uint32_t width, size_t from, size_t to)
{
    size_t y;
    uint8_t keep = (uint8_t)(0xFF << (8 - width % 8));
    if (width % 8 == 0)
        return;
    for (y = from; y < to; y++)
        rows[y * stride + row - 1] &= keep;
}

/* ---- time and randomness ---- */
static double imgshare__now(void)
{
    struct timespec ts;
    clock_gettime(IMGSHARE__CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
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

static void imgshare__sleep(double seconds)
{
    struct timespec ts = imgshare__span(seconds);
    if (seconds <= 0)
        return;
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* A random non-zero number (epochs, owner tokens): the kernel's, else a mix of what differs between calls. */
static uint64_t imgshare__random(void)
{
    static uint64_t counter;
    uint64_t value = 0, z;
    int fd = open("/dev/urandom", O_RDONLY | IMGSHARE__O_CLOEXEC);
    if (fd >= 0) {
        if (read(fd, &value, sizeof value) != (ssize_t)sizeof value)
            value = 0;
        close(fd);
    }
    if (!value) { /* splitmix64 over the time, the pid and a counter */
        struct timespec ts;
        clock_gettime(IMGSHARE__CLOCK_REALTIME, &ts);
        z = (uint64_t)ts.tv_nsec ^ (uint64_t)ts.tv_sec << 30 ^ (uint64_t)getpid() << 48 ^
            __atomic_add_fetch(&counter, 0x9E3779B97F4A7C15ull, __ATOMIC_RELAXED);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        value = z ^ (z >> 31);
    }
    return value ? value : 1;
}

/* ---- the object check (§4.2) ---- */
typedef enum imgshare__check {
    IMGSHARE__OURS = 0,
    IMGSHARE__GONE,        /* removed since it was found */
    IMGSHARE__OTHER_USER,  /* another user's: never touched */
    IMGSHARE__NOT_OURS     /* not mode 0600 (or, for a data segment, not private): not imgshare's */
} imgshare__check;

static int imgshare__number_text(const char *text, unsigned long long *value)
{
    char *end;
    if (*text < '0' || *text > '9')
        return 0;
    *value = strtoull(text, &end, 10);
    return end != text;
}

/* The uid of the object with this id (shm or sem) from /proc/sysvipc, for the sentence about another
 * user when IPC_STAT itself is refused; -1 if it cannot be read. */
static long imgshare__proc_owner(const char *kind, int id, int32_t by_key, int use_key)
{
    char path[64], line[512], *field[20];
    int id_column = -1, uid_column = -1, key_column = -1, count, i;
    long owner = -1;
    FILE *f;
    snprintf(path, sizeof path, "/proc/sysvipc/%s", kind);
    if (!(f = fopen(path, "r")))
        return -1;
    while (owner < 0 && fgets(line, sizeof line, f)) {
        char *p = line;
        for (count = 0; count < 20;) {
            while (*p == ' ' || *p == '\t')
                p++;
            if (!*p || *p == '\n')
                break;
            field[count++] = p;
            while (*p && *p != ' ' && *p != '\t' && *p != '\n')
                p++;
            if (*p)
                *p++ = '\0';
        }
        if (id_column < 0) { /* the header names the columns */
            for (i = 0; i < count; i++) {
                if (strcmp(field[i], "key") == 0) key_column = i;
                else if (strcmp(field[i], "uid") == 0) uid_column = i;
                else if (strcmp(field[i], "shmid") == 0 || strcmp(field[i], "semid") == 0) id_column = i;
            }
            if (id_column < 0 || uid_column < 0 || key_column < 0)
                break;
            continue;
        }
        if (count > id_column && count > uid_column && count > key_column) {
            unsigned long long value, uid;
            long long key_value = strtoll(field[key_column], NULL, 10);
            int match = use_key ? (int32_t)key_value == by_key
                                : imgshare__number_text(field[id_column], &value) && (long long)value == id;
            if (match && imgshare__number_text(field[uid_column], &uid))
                owner = (long)uid;
        }
    }
    fclose(f);
    return owner;
}

/* "user NAME (uid N)", from /etc/passwd (no NSS: a library should not load modules into its caller). */
static void imgshare__user_name(long uid, char *out, size_t size)
{
    char line[1024];
    FILE *f = fopen("/etc/passwd", "r");
    snprintf(out, size, "uid %ld", uid);
    if (uid < 0) {
        snprintf(out, size, "another user");
        return;
    }
    while (f && fgets(line, sizeof line, f)) {
        char *name_end = strchr(line, ':'), *uid_field, *uid_end;
        if (!name_end || !(uid_field = strchr(name_end + 1, ':')))
            continue;
        uid_field++;
        uid_end = strchr(uid_field, ':');
        if (!uid_end)
            continue;
        *uid_end = '\0';
        if (strtol(uid_field, NULL, 10) == uid && uid_field != uid_end) {
            *name_end = '\0';
            snprintf(out, size, "user %.200s (uid %ld)", line, uid);
            break;
        }
    }
    if (f)
        fclose(f);
}

static imgshare_status imgshare__other_user(const char *key, long uid)
{
    char name[256];
    imgshare__user_name(uid, name, sizeof name);
    return imgshare__fail(IMGSHARE_PERMISSION, "the key '%s' belongs to %s; imgshare will not use another user's "
                          "objects: choose another key", key, name);
}

static imgshare__check imgshare__judge_perm(const struct ipc_perm *perm, long *owner)
{
    uid_t me = geteuid();
    if (perm->uid != me || perm->cuid != me) {
        *owner = (long)(perm->uid != me ? perm->uid : perm->cuid);
        return IMGSHARE__OTHER_USER;
    }
    if ((perm->mode & 0777) != 0600)
        return IMGSHARE__NOT_OURS;
    return IMGSHARE__OURS;
}

/* The object check of a shared-memory segment; ds is filled when it is ours. A data segment must also be
 * private (§4.2 step 3). */
static imgshare__check imgshare__check_shm(int shmid, struct shmid_ds *ds, int private_only, long *owner)
{
    imgshare__check verdict;
    *owner = -1;
    if (shmctl(shmid, IPC_STAT, ds) != 0) {
        if (errno == EACCES || errno == EPERM) {
            *owner = imgshare__proc_owner("shm", shmid, 0, 0);
            return IMGSHARE__OTHER_USER;
        }
        return IMGSHARE__GONE;
    }
    verdict = imgshare__judge_perm(&ds->shm_perm, owner);
    if (verdict == IMGSHARE__OURS && private_only && IMGSHARE__PERM_KEY(ds->shm_perm) != IPC_PRIVATE)
        return IMGSHARE__NOT_OURS;
    return verdict;
}

static imgshare__check imgshare__check_sem(int semid, struct semid_ds *ds, long *owner)
{
    union imgshare__semun arg;
    *owner = -1;
    arg.buf = ds;
    if (semctl(semid, 0, IPC_STAT, arg) != 0) {
        if (errno == EACCES || errno == EPERM) {
            *owner = imgshare__proc_owner("sem", semid, 0, 0);
            return IMGSHARE__OTHER_USER;
        }
        return IMGSHARE__GONE;
    }
    return imgshare__judge_perm(&ds->sem_perm, owner);
}

static int imgshare__removed(int shmid)
{
    struct shmid_ds ds;
    return shmctl(shmid, IPC_STAT, &ds) != 0 || (ds.shm_perm.mode & IMGSHARE__SHM_DEST) != 0;
}

/* ---- the semaphore set (§6) ---- */
static void imgshare__op(struct sembuf *op, int number, int delta, int flags)
{
    op->sem_num = (unsigned short)number;
    op->sem_op = (short)delta;
    op->sem_flg = (short)flags;
}

static int imgshare__semop(int semid, struct sembuf *ops, size_t count)
{
    while (semop(semid, ops, count) != 0) {
        if (errno != EINTR)
            return errno;
    }
    return 0;
}

/* Semaphore ops with a timeout, retrying after signals with the time left; 0 or an errno (EAGAIN: timeout). */
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

static int imgshare__semval(int semid, int number) { return semctl(semid, number, GETVAL); }

/* Every value of the set in one call: a consistent picture, unlike one GETVAL after another. */
static int imgshare__semvalues(int semid, unsigned short *values)
{
    union imgshare__semun arg;
    arg.array = values;
    return semctl(semid, 0, GETALL, arg) == 0 ? 0 : errno;
}

/* Take the owner semaphore without waiting (§6.2): 0, EAGAIN (held), or an errno. */
static int imgshare__take_owner(int set)
{
    struct sembuf ops[2];
    imgshare__op(&ops[0], IMGSHARE__OWNER, 0, IPC_NOWAIT);
    imgshare__op(&ops[1], IMGSHARE__OWNER, 1, SEM_UNDO | IPC_NOWAIT);
    return imgshare__semop(set, ops, 2);
}

static void imgshare__give_owner(int set)
{
    struct sembuf op;
    imgshare__op(&op, IMGSHARE__OWNER, -1, SEM_UNDO | IPC_NOWAIT);
    imgshare__semop(set, &op, 1);
}

/* Pin slot i while its gate is open (§6.3): 0, EAGAIN (not published), ERANGE (pins at their maximum),
 * EIDRM/EINVAL (the set is gone). */
static int imgshare__pin(int set, uint32_t n, uint32_t i)
{
    struct sembuf ops[3];
    imgshare__op(&ops[0], IMGSHARE__GATE(i), -1, IPC_NOWAIT);
    imgshare__op(&ops[1], IMGSHARE__GATE(i), 1, IPC_NOWAIT);
    imgshare__op(&ops[2], IMGSHARE__PIN(n, i), 1, SEM_UNDO | IPC_NOWAIT);
    return imgshare__semop(set, ops, 3);
}

static void imgshare__unpin(int set, uint32_t n, uint32_t i)
{
    struct sembuf op;
    imgshare__op(&op, IMGSHARE__PIN(n, i), -1, SEM_UNDO | IPC_NOWAIT);
    imgshare__semop(set, &op, 1); /* EIDRM, EINVAL: the set was removed, nothing to give back */
}

/* A slot table entry, each field with one load (§5: the sender stores shmid, then generation). */
static void imgshare__entry(const uint8_t *control, uint32_t i, uint64_t *generation, int *shmid)
{
    *generation = imgshare__load64(control, IMGSHARE__C_TABLE + 16 * (size_t)i);
    *shmid = (int)imgshare__load32(control, IMGSHARE__C_TABLE + 16 * (size_t)i + 8);
}

/* ---- looking at the control segment (§9.1) ---- */
/* Steps 1 to 9 for the segment at sysv. With keep, a segment found VALID, BLANK or DAMAGED stays attached
 * (read-write when writable) in *base; c gets its fields when VALID. *found says what it is. */
static imgshare_status imgshare__look(const char *key, size_t key_length, int32_t sysv, int writable, int keep,
                                      int *shmid, uint8_t **base, struct shmid_ds *ds, imgshare__control *c,
                                      imgshare__found *found, uint8_t raw[IMGSHARE__CONTROL_SIZE])
{
    imgshare_status st;
    uint8_t *attached;
    uint64_t magic;
    long owner;
    size_t size;
    *found = IMGSHARE__FOUND_NONE;
    *base = NULL;
    *shmid = shmget(sysv, 0, 0);
    if (*shmid < 0) {
        if (errno == EACCES || errno == EPERM) {
            *found = IMGSHARE__FOUND_REFUSED;
            return imgshare__other_user(key, imgshare__proc_owner("shm", 0, sysv, 1));
        }
        return imgshare__nothing(key);
    }
    switch (imgshare__check_shm(*shmid, ds, 0, &owner)) {
    case IMGSHARE__GONE: return imgshare__nothing(key);
    case IMGSHARE__OTHER_USER: *found = IMGSHARE__FOUND_REFUSED; return imgshare__other_user(key, owner);
    case IMGSHARE__NOT_OURS: *found = IMGSHARE__FOUND_REFUSED; return imgshare__foreign(key, "shared memory");
    default: break;
    }
    attached = (uint8_t *)shmat(*shmid, NULL, writable ? 0 : SHM_RDONLY);
    if (attached == (uint8_t *)-1) {
        if (errno == EACCES) {
            *found = IMGSHARE__FOUND_REFUSED;
            return imgshare__other_user(key, -1);
        }
        return imgshare__nothing(key);
    }
    size = ds->shm_segsz < IMGSHARE__CONTROL_SIZE ? ds->shm_segsz : IMGSHARE__CONTROL_SIZE;
    memset(raw, 0, IMGSHARE__CONTROL_SIZE);
    /* The magic from one aligned load, all of it or none of it (§5 [C4]), and before the rest: a writer
     * writes the magic last, so a reader that sees it then copies a block written whole; loaded after the
     * copy, it could pair a new magic with the zeros of a block copied while its sender was still setting
     * it up (a "format 0" share that never was). */
    magic = ds->shm_segsz >= 8 ? imgshare__load64(attached, 0) : 0;
    memcpy(raw, attached, size);
    if (ds->shm_segsz >= 8)
        memcpy(raw, &magic, 8);
    st = imgshare__check_control(raw, ds->shm_segsz, key, key_length, c, found);
    if (keep && (*found == IMGSHARE__FOUND_VALID || *found == IMGSHARE__FOUND_BLANK ||
                 *found == IMGSHARE__FOUND_DAMAGED))
        *base = attached;
    else
        shmdt(attached);
    return st;
}

/* §9.2 steps 11 and 12 for the set semid (n slots; 0: take n from its size): 0 with *n, or the refusal. */
static imgshare_status imgshare__check_set(const char *key, int semid, uint32_t *n)
{
    struct semid_ds ds;
    long owner;
    unsigned long nsems;
    switch (imgshare__check_sem(semid, &ds, &owner)) {
    case IMGSHARE__GONE: return imgshare__nothing(key);
    case IMGSHARE__OTHER_USER: return imgshare__other_user(key, owner);
    case IMGSHARE__NOT_OURS: return imgshare__foreign(key, "semaphore set");
    default: break;
    }
    nsems = (unsigned long)ds.sem_nsems;
    if (*n ? nsems != 2 + 2 * (unsigned long)*n
           : (nsems % 2 || nsems < 2 + 2 * IMGSHARE__MIN_SLOTS || nsems > 2 + 2 * IMGSHARE__MAX_SLOTS))
        return imgshare__fail(IMGSHARE_CORRUPT, "the key '%s' holds another program's semaphore set (%lu "
                              "semaphores), not imgshare's; imgshare will not touch it: choose another key", key, nsems);
    *n = (uint32_t)(nsems - 2) / 2;
    return IMGSHARE_OK;
}

/* A data segment named by a table entry, checked (§9.3 steps 15 and 16, §4.2) and attached. 0, or
 * IMGSHARE__GONE / IMGSHARE__NOT_OURS (another user's counts as not ours: damaged, not refused). */
static imgshare__check imgshare__attach_data(int shmid, int writable, uint8_t **base, uint64_t *size)
{
    struct shmid_ds ds;
    long owner;
    imgshare__check verdict = imgshare__check_shm(shmid, &ds, 1, &owner);
    uint8_t *attached;
    if (verdict == IMGSHARE__OTHER_USER)
        return IMGSHARE__NOT_OURS;
    if (verdict != IMGSHARE__OURS)
        return verdict;
    if (ds.shm_segsz < IMGSHARE__DESCRIPTOR_SIZE)
        return IMGSHARE__NOT_OURS;
    attached = (uint8_t *)shmat(shmid, NULL, writable ? 0 : SHM_RDONLY);
    if (attached == (uint8_t *)-1)
        return errno == EACCES ? IMGSHARE__NOT_OURS : IMGSHARE__GONE;
    *base = attached;
    *size = ds.shm_segsz;
    return IMGSHARE__OURS;
}

/* Remove a data segment if it passes the object check (§4.2 [O3]) and, with cpid > 0, was made by that
 * process; with epoch, only if its descriptor names that epoch and generation. */
static void imgshare__remove_data(int shmid, int32_t cpid, uint64_t epoch, uint64_t generation)
{
    struct shmid_ds ds;
    long owner;
    if (shmid < 0 || imgshare__check_shm(shmid, &ds, 1, &owner) != IMGSHARE__OURS)
        return;
    if (cpid > 0 && ds.shm_cpid != cpid)
        return;
    if (epoch) {
        const uint8_t *base = (const uint8_t *)shmat(shmid, NULL, SHM_RDONLY);
        int named;
        if (base == (const uint8_t *)-1 || ds.shm_segsz < IMGSHARE__DESCRIPTOR_SIZE) {
            if (base != (const uint8_t *)-1)
                shmdt(base);
            return;
        }
        named = imgshare__u64(base + IMGSHARE__D_EPOCH) == epoch && imgshare__u64(base + IMGSHARE__D_GENERATION) == generation;
        shmdt(base);
        if (!named)
            return;
    }
    shmctl(shmid, IPC_RMID, NULL);
}

/* ---- in-memory data segments: imgshare_read_image ---- */
/* Copy a payload into buffer (rows of stride bytes) and, verifying, hash the rows as they are in buffer
 * (§10.3 [R2]: the bytes handed over are the bytes checked), a chunk at a time while it is in the cache. */
static imgshare_status imgshare__copy_out(const uint8_t *payload, const imgshare_info *info, int verify,
                                          XXH3_state_t *state, void *buffer, size_t capacity, size_t stride)
{
    size_t row = imgshare_row_bytes(info->mode, info->width);
    size_t rows_per_chunk = IMGSHARE__CHUNK / info->stride ? IMGSHARE__CHUNK / info->stride : 1;
    size_t top, y, needed;
    int stream = !verify && info->payload_length >= IMGSHARE__STREAM_FROM;
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
        if (stride == row && info->stride == row) {
            imgshare__copy(out + top * row, payload + top * row, (bottom - top) * row, stream);
            if (verify)
                XXH3_64bits_update(state, out + top * row, (bottom - top) * row);
            continue;
        }
        for (y = top; y < bottom; y++)
            imgshare__copy(out + y * stride, payload + y * info->stride, row, stream);
        for (y = top; verify && y < bottom; y++)
            XXH3_64bits_update(state, out + y * stride, row);
    }
    imgshare__copied(stream);
    if (verify && XXH3_64bits_digest(state) != info->checksum)
        return imgshare__fail(IMGSHARE_CORRUPT, "the image failed its checksum (damaged, or changed while it was read)");
    return IMGSHARE_OK;
}

/* XXH3-64 of the rows of a payload without their padding (§8.7 [X1]). */
static uint64_t imgshare__hash_rows(const uint8_t *payload, const imgshare_info *info, XXH3_state_t *state)
{
    size_t row = imgshare_row_bytes(info->mode, info->width), y;
    if (row == info->stride)
        return XXH3_64bits(payload, (size_t)info->payload_length);
    XXH3_64bits_reset(state);
    for (y = 0; y < info->height; y++)
        XXH3_64bits_update(state, payload + y * info->stride, row);
    return XXH3_64bits_digest(state);
}

static imgshare_status imgshare__read_image(const void *segment, size_t size, const char *key, int verify,
                                            imgshare_info *info, void *buffer, size_t capacity, size_t stride)
{
    uint8_t raw[IMGSHARE__DESCRIPTOR_SIZE];
    imgshare_info local;
    imgshare_status st;
    XXH3_state_t state; /* its type is aligned as XXH3 needs it */
    size_t key_length;
    int mismatch;
    const uint8_t *bytes = (const uint8_t *)segment;
    if (!info)
        info = &local;
    if ((st = imgshare__check_key(key, &key_length)))
        return st;
    if (!segment || size < IMGSHARE__DESCRIPTOR_SIZE)
        return imgshare__bad_field(key, "the data segment is shorter than its descriptor");
    memcpy(raw, bytes, sizeof raw);
    if ((st = imgshare__check_descriptor(raw, size - IMGSHARE__DESCRIPTOR_SIZE, key, 0, 0, 0, info, &mismatch)))
        return st;
    info->segment_id = -1;
    info->segment_size = size;
    memset(&state, 0, sizeof state);
    verify = verify && info->checksum_kind == 1;
    if (buffer) {
        st = imgshare__copy_out(bytes + IMGSHARE__DESCRIPTOR_SIZE, info, verify, &state, buffer, capacity, stride);
        return st ? st : imgshare__ok();
    }
    if (verify && imgshare__hash_rows(bytes + IMGSHARE__DESCRIPTOR_SIZE, info, &state) != info->checksum)
        return imgshare__fail(IMGSHARE_CORRUPT, "the image failed its checksum (damaged segment)");
    return imgshare__ok();
}

IMGSHARE_API imgshare_status imgshare_read_image(const void *segment, size_t size, const char *key, int verify,
                                                 imgshare_info *info, void *buffer, size_t capacity, size_t stride)
{
    return imgshare__outcome(imgshare__read_image(segment, size, key, verify, info, buffer, capacity, stride), info);
}

/* ---- the sender (§12) ---- */
typedef struct imgshare__slot {
    int shmid;           /* -1: no data segment of ours */
    uint64_t generation;
    uint8_t *base;       /* attached read-write */
    uint64_t capacity;   /* shm_segsz - 8192, the kernel's figure */
    int stale;           /* a segment the table named that failed its checks: removed when replaced */
} imgshare__slot;

struct imgshare_sender {
    char key[256];
    size_t key_length;
    int32_t sysv;
    double lock_timeout;
    int checksum;
    int set;                    /* -1 until the key is claimed */
    uint32_t n;                 /* slots */
    int created_set;            /* this sender made the set (refusing, it may remove it: §12.1 [W3]) */
    int previous_pid;           /* who last changed the owner semaphore before we took it (§12.1 step 3) */
    int control;                /* shmid of the control segment, -1 until claimed */
    uint8_t *base;              /* the control block, read-write */
    uint64_t epoch, token, sequence;
    uint32_t published;         /* IMGSHARE__NONE before the first */
    imgshare__slot slots[IMGSHARE__MAX_SLOTS];
    XXH3_state_t *state;
    /* an open frame (imgshare_frame_begin) */
    int in_frame, frame_is_fresh; /* fresh: a new data segment, still pending (§12.4) */
    uint32_t frame_slot;
    imgshare__slot frame_fresh;
    imgshare__image frame;
    imgshare_extras frame_extras;
    char frame_source[256], frame_tags[IMGSHARE_TAGS_MAX + 1];
    uint8_t frame_palette[1024], frame_alpha[256];
};

#define IMGSHARE__LOST (-100)   /* the key was removed under us: claim it afresh (§12.6) */

IMGSHARE_API imgshare_status imgshare_sender_open(imgshare_sender **out, const char *key)
{
    imgshare_sender *s;
    XXH3_state_t *state;
    size_t length = 0;
    imgshare_status st;
    uint32_t i;
    if (!out)
        return imgshare__fail(IMGSHARE_ERROR, "no place was given for the sender");
    *out = NULL;
    if ((st = imgshare__check_key(key, &length)))
        return st;
    s = (imgshare_sender *)imgshare__allocate(sizeof *s, &state);
    if (!s)
        return imgshare__fail(IMGSHARE_ERROR, "out of memory");
    s->state = state;
    s->key_length = length;
    memcpy(s->key, key, length + 1);
    s->sysv = imgshare__sysv_key(key, length);
    s->lock_timeout = IMGSHARE__DEFAULT_TIMEOUT;
    s->checksum = 1;
    s->set = s->control = -1;
    s->published = IMGSHARE__NONE;
    for (i = 0; i < IMGSHARE__MAX_SLOTS; i++)
        s->slots[i].shmid = -1;
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

/* Drop every handle (detaching, removing nothing): whoever calls decides the objects' fate. */
static void imgshare__forget(imgshare_sender *s)
{
    uint32_t i;
    for (i = 0; i < IMGSHARE__MAX_SLOTS; i++) {
        if (s->slots[i].base)
            shmdt(s->slots[i].base);
        memset(&s->slots[i], 0, sizeof s->slots[i]);
        s->slots[i].shmid = -1;
    }
    if (s->base)
        shmdt(s->base);
    s->base = NULL;
    s->control = s->set = -1;
    s->created_set = 0;
    s->published = IMGSHARE__NONE;
    s->in_frame = 0;
}

static imgshare_status imgshare__system_limit(const char *what, int error, const char *key)
{
    if (error == EACCES || error == EPERM)
        return imgshare__fail(IMGSHARE_PERMISSION, "permission denied creating the %s of key '%s'", what, key);
    return imgshare__fail(IMGSHARE_ERROR, "the system refused a new %s for key '%s' (%s); a system limit is reached",
                          what, key,
                          error == ENOSPC ? (strcmp(what, "semaphore set") == 0 ? "kernel.sem SEMMNI, the number of sets"
                                                                                : "kernel.shmmni, the number of segments")
                          : error == EINVAL ? (strcmp(what, "semaphore set") == 0 ? "kernel.sem SEMMSL, semaphores a set"
                                                                                  : "kernel.shmmax, the size of a segment")
                          : error == ENOMEM ? "kernel.shmall or memory" : "an error it gave");
}

/* §12.1 step 3: the set at the key, made or opened and checked. */
static imgshare_status imgshare__open_set(imgshare_sender *s)
{
    uint32_t n = IMGSHARE__SLOTS;
    int attempt;
    for (attempt = 0; attempt < 100; attempt++) {
        int id = semget(s->sysv, 2 + 2 * (int)n, IPC_CREAT | IPC_EXCL | 0600);
        if (id >= 0) {
            s->set = id;
            s->n = n;
            s->created_set = 1;
            s->previous_pid = 0;
            return IMGSHARE_OK;
        }
        if (errno == EINVAL && n > IMGSHARE__MIN_SLOTS) { /* SEMMSL below 8: two slots will do (§20) */
            n = IMGSHARE__MIN_SLOTS;
            continue;
        }
        if (errno != EEXIST)
            return imgshare__system_limit("semaphore set", errno, s->key);
        id = semget(s->sysv, 0, 0);
        if (id < 0) {
            if (errno == ENOENT)
                continue; /* removed between our two calls: create it again */
            if (errno == EACCES || errno == EPERM)
                return imgshare__other_user(s->key, imgshare__proc_owner("sem", 0, s->sysv, 1));
            return imgshare__fail(IMGSHARE_ERROR, "the semaphore set of key '%s' cannot be opened", s->key);
        }
        n = 0;
        {
            imgshare_status st = imgshare__check_set(s->key, id, &n);
            if (st == IMGSHARE_NOT_SHARED)
                continue; /* gone meanwhile */
            if (st)
                return st;
        }
        s->set = id;
        s->n = n;
        s->created_set = 0;
        s->previous_pid = semctl(id, IMGSHARE__OWNER, GETPID); /* a dead sender's pid, as /proc shows cpid */
        return IMGSHARE_OK;
    }
    return imgshare__fail(IMGSHARE_TIMED_OUT, "the semaphore set of key '%s' keeps being created and removed", s->key);
}

/* The pid to name for the sender serving the key: the owner semaphore's last user as this PID namespace
 * sees it, else what the control block says. */
static int imgshare__owner_pid(int set, const uint8_t *control)
{
    int pid = semctl(set, IMGSHARE__OWNER, GETPID);
    if (pid <= 0 && control)
        pid = (int)imgshare__load32(control, IMGSHARE__C_OWNER_PID);
    return pid;
}

/* §12.1 step 4: take the owner semaphore. Held by a serving sender: in use (7) at once. Held otherwise (a
 * remover, a sender setting up): wait for it, looking again every few milliseconds, for the timeout. */
static imgshare_status imgshare__take_key(imgshare_sender *s)
{
    double deadline = imgshare__now() + s->lock_timeout, delay = 0.001;
    for (;;) {
        uint8_t raw[IMGSHARE__CONTROL_SIZE], *base;
        struct shmid_ds ds;
        imgshare__control c;
        imgshare__found found;
        int shmid, result = imgshare__take_owner(s->set);
        if (result == 0)
            return IMGSHARE_OK;
        if (result == EIDRM || result == EINVAL)
            return (imgshare_status)IMGSHARE__LOST;
        if (result != EAGAIN)
            return imgshare__fail(IMGSHARE_ERROR, "the semaphore set of key '%s' cannot be used", s->key);
        imgshare__look(s->key, s->key_length, s->sysv, 0, 0, &shmid, &base, &ds, &c, &found, raw);
        if (found == IMGSHARE__FOUND_VALID && (c.flags & IMGSHARE__SERVING))
            return imgshare__fail(IMGSHARE_IN_USE, "the key '%s' is in use by pid %d", s->key,
                                  imgshare__owner_pid(s->set, NULL) > 0 ? imgshare__owner_pid(s->set, NULL)
                                                                        : (int)c.owner_pid);
        if (imgshare__now() >= deadline)
            return imgshare__fail(IMGSHARE_TIMED_OUT, "the key '%s' stayed held for %g s by a process that is not "
                                  "serving it (a removal?); try again", s->key, s->lock_timeout);
        imgshare__sleep(delay);
        delay = delay * 2 > 0.02 ? 0.02 : delay * 2;
    }
}

/* Write a new control block into the segment at base (fresh, or blank): the magic last (§5 [C4]). */
static void imgshare__write_control(imgshare_sender *s, uint8_t *base)
{
    uint8_t block[IMGSHARE__CONTROL_SIZE];
    uint64_t magic;
    s->epoch = imgshare__random();
    imgshare__pack_control(block, s->key, s->key_length, s->n, s->epoch);
    memset(base, 0, 8);
    memcpy(base + 8, block + 8, IMGSHARE__CONTROL_SIZE - 8);
    memcpy(&magic, imgshare__magic, 8);
    imgshare__store64(base, 0, magic);
    s->sequence = 0;
    s->published = IMGSHARE__NONE;
}

/* The data segments a damaged control block names (raw, its copy), removed before it is (§12.1 step 5). */
static void imgshare__remove_named(const uint8_t *raw)
{
    uint64_t epoch = imgshare__u64(raw + IMGSHARE__C_EPOCH), generation;
    uint32_t i;
    for (i = 0; i < IMGSHARE__MAX_SLOTS; i++) {
        generation = imgshare__u64(raw + IMGSHARE__C_TABLE + 16 * i);
        if (generation && epoch)
            imgshare__remove_data((int)imgshare__u32(raw + IMGSHARE__C_TABLE + 16 * i + 8), 0, epoch, generation);
    }
}

/* §12.4 [W8]: a data segment the previous sender was making when it died. */
static void imgshare__recover_pending(imgshare_sender *s, const imgshare__control *c)
{
    uint32_t state = (uint32_t)(c->pending >> 32), i;
    int shmid = (int)(uint32_t)c->pending;
    if (state == IMGSHARE__PENDING_CREATED) {
        struct shmid_ds ds;
        long owner;
        int named = 0;
        for (i = 0; i < c->slot_count; i++)
            named |= c->entry_generation[i] && (int)c->entry_shmid[i] == shmid;
        if (!named && imgshare__check_shm(shmid, &ds, 1, &owner) == IMGSHARE__OURS && ds.shm_nattch == 0) {
            const uint8_t *base = (const uint8_t *)shmat(shmid, NULL, SHM_RDONLY);
            int ours = 0;
            if (base != (const uint8_t *)-1) {
                static const uint8_t zero[8] = {0};
                ours = ds.shm_segsz < IMGSHARE__DESCRIPTOR_SIZE || memcmp(base, zero, 8) == 0 ||
                       imgshare__u64(base + IMGSHARE__D_EPOCH) == c->epoch;
                shmdt(base);
            }
            if (ours)
                shmctl(shmid, IPC_RMID, NULL);
        }
    } else if (state == IMGSHARE__PENDING_CREATING && s->previous_pid > 0) {
        /* died between creating it and naming it: private segments of ours by that process (the pid that
         * last changed the owner semaphore: this PID namespace, as /proc's cpid; owner_pid is the dead
         * sender's own namespace's), unattached, never written (§12.4 [W8]) */
        char line[512];
        FILE *f = fopen("/proc/sysvipc/shm", "r");
        while (f && fgets(line, sizeof line, f)) {
            long long key_value;
            int id, cpid, nattch;
            unsigned perms, uid;
            unsigned long long size;
            if (sscanf(line, "%lld %d %o %llu %d %*d %d %u", &key_value, &id, &perms, &size, &cpid, &nattch, &uid) != 7)
                continue;
            if (key_value == 0 && (perms & 0777) == 0600 && cpid == s->previous_pid && nattch == 0 &&
                uid == (unsigned)geteuid()) {
                struct shmid_ds ds;
                long owner;
                const uint8_t *base;
                static const uint8_t zero[8] = {0};
                if (imgshare__check_shm(id, &ds, 1, &owner) != IMGSHARE__OURS)
                    continue;
                base = (const uint8_t *)shmat(id, NULL, SHM_RDONLY);
                if (base == (const uint8_t *)-1)
                    continue;
                if (memcmp(base, zero, 8) == 0)
                    shmctl(id, IPC_RMID, NULL);
                shmdt(base);
            }
        }
        if (f)
            fclose(f);
    }
    imgshare__store64(s->base, IMGSHARE__C_PENDING, 0);
}

/* Take over a valid share (§12.1 step 5): its data segments are adopted, one gate at most stays open. */
static void imgshare__take_over(imgshare_sender *s, const imgshare__control *c)
{
    unsigned short values[2 + 2 * IMGSHARE__MAX_SLOTS];
    uint32_t i;
    int open = 0;
    s->epoch = c->epoch;
    s->sequence = c->sequence;
    imgshare__recover_pending(s, c);
    s->published = IMGSHARE__NONE;
    if (imgshare__semvalues(s->set, values) == 0) {
        for (i = 0; i < s->n; i++) {
            if (values[IMGSHARE__GATE(i)] == 0)
                continue;
            if (open++ == 0) {
                s->published = i;
            } else {
                struct sembuf op;
                imgshare__op(&op, IMGSHARE__GATE(i), -1, IPC_NOWAIT);
                imgshare__semop(s->set, &op, 1);
            }
        }
    }
    for (i = 0; i < s->n; i++) {
        imgshare__slot *slot = &s->slots[i];
        uint8_t *base;
        uint64_t size;
        if (!c->entry_generation[i])
            continue;
        slot->shmid = (int)c->entry_shmid[i];
        slot->generation = c->entry_generation[i];
        if (imgshare__attach_data(slot->shmid, 1, &base, &size) != IMGSHARE__OURS) {
            slot->shmid = -1; /* gone, or not ours: the slot gets a new segment; nothing is removed */
            continue;
        }
        slot->base = base;
        slot->capacity = size - IMGSHARE__DESCRIPTOR_SIZE;
        {
            uint8_t raw[IMGSHARE__DESCRIPTOR_SIZE];
            imgshare_info info;
            int mismatch;
            memcpy(raw, base, sizeof raw);
            if (imgshare__check_descriptor(raw, slot->capacity, s->key, 1, c->epoch, slot->generation, &info,
                                           &mismatch) != IMGSHARE_OK) {
                slot->stale = 1; /* ours, but not a valid image: replaced (and removed) when the slot is next used */
            } else if (i == s->published && info.sequence > s->sequence) {
                s->sequence = info.sequence; /* the sequence continues after the published image */
            }
        }
    }
    if (s->published != IMGSHARE__NONE && (!s->slots[s->published].base || s->slots[s->published].stale)) {
        /* the open gate names a slot with no valid image: nothing readable is published there */
        struct sembuf op;
        imgshare__op(&op, IMGSHARE__GATE(s->published), -1, IPC_NOWAIT);
        imgshare__semop(s->set, &op, 1);
        s->published = IMGSHARE__NONE;
    }
}

/* §12.1 step 5, holding the owner semaphore: make the control block this sender's. RETRY: start over. */
#define IMGSHARE__RETRY (-101)
static imgshare_status imgshare__settle(imgshare_sender *s)
{
    uint8_t raw[IMGSHARE__CONTROL_SIZE], *base;
    struct shmid_ds ds;
    imgshare__control c;
    imgshare__found found;
    int shmid;
    imgshare_status st = imgshare__look(s->key, s->key_length, s->sysv, 1, 1, &shmid, &base, &ds, &c, &found, raw);
    if (found == IMGSHARE__FOUND_REFUSED)
        return st;
    if (found == IMGSHARE__FOUND_VALID && c.slot_count != s->n) {
        shmdt(base);
        return imgshare__fail(IMGSHARE_CORRUPT, "the key '%s' holds another program's semaphore set (%u "
                              "semaphores for %u slots), not imgshare's; imgshare will not touch it: choose another key",
                              s->key, (unsigned)(2 + 2 * s->n), (unsigned)c.slot_count);
    }
    if (found == IMGSHARE__FOUND_DAMAGED) {
        imgshare__remove_named(raw);
        shmdt(base);
        shmctl(shmid, IPC_RMID, NULL);
        found = IMGSHARE__FOUND_NONE;
    }
    if (found == IMGSHARE__FOUND_NONE) {
        shmid = shmget(s->sysv, IMGSHARE__CONTROL_SIZE, IPC_CREAT | IPC_EXCL | 0600);
        if (shmid < 0)
            return errno == EEXIST ? (imgshare_status)IMGSHARE__RETRY
                                   : imgshare__system_limit("shared-memory segment", errno, s->key);
        base = (uint8_t *)shmat(shmid, NULL, 0);
        if (base == (uint8_t *)-1) {
            shmctl(shmid, IPC_RMID, NULL);
            return imgshare__fail(IMGSHARE_ERROR, "the control segment of key '%s' cannot be attached", s->key);
        }
        found = IMGSHARE__FOUND_BLANK;
    }
    s->control = shmid;
    s->base = base;
    if (found == IMGSHARE__FOUND_BLANK)
        imgshare__write_control(s, base); /* whoever has it attached [W2] */
    else
        imgshare__take_over(s, &c);
    return IMGSHARE_OK;
}

/* Whether anything of the key is at its System V key besides the set (refusing, §12.1 [W3]). */
static int imgshare__control_exists(int32_t sysv) { return shmget(sysv, 0, 0) >= 0 || errno != ENOENT; }

/* Become the key's sender (§12.1 [W1]). */
static imgshare_status imgshare__claim(imgshare_sender *s)
{
    int attempt;
    for (attempt = 0; attempt < 100; attempt++) {
        uint8_t raw[IMGSHARE__CONTROL_SIZE], *base;
        struct shmid_ds ds;
        imgshare__control c;
        imgshare__found found;
        int shmid;
        imgshare_status st = imgshare__look(s->key, s->key_length, s->sysv, 0, 0, &shmid, &base, &ds, &c, &found, raw);
        if (found == IMGSHARE__FOUND_REFUSED)
            return st; /* nothing created or changed */
        if ((st = imgshare__open_set(s)))
            return st;
        st = imgshare__take_key(s);
        if ((int)st == IMGSHARE__LOST) {
            s->set = -1;
            continue;
        }
        if (st == IMGSHARE_OK) {
            st = imgshare__settle(s);
            if ((int)st == IMGSHARE__RETRY) {
                imgshare__give_owner(s->set);
                s->set = -1;
                continue;
            }
            if (st == IMGSHARE_OK) {
                s->token = imgshare__random();
                imgshare__store64(s->base, IMGSHARE__C_TOKEN, s->token);
                imgshare__store32(s->base, IMGSHARE__C_OWNER_PID, (uint32_t)getpid());
                imgshare__store32(s->base, IMGSHARE__C_FLAGS, IMGSHARE__SERVING);
                return IMGSHARE_OK;
            }
            imgshare__give_owner(s->set);
        }
        if (s->created_set && !imgshare__control_exists(s->sysv))
            semctl(s->set, 0, IPC_RMID);
        imgshare__forget(s);
        return st;
    }
    return imgshare__fail(IMGSHARE_TIMED_OUT, "the key '%s' keeps being created and removed by other processes", s->key);
}

static int imgshare__oversized(uint64_t capacity, uint64_t length)
{
    uint64_t rounded = (length + IMGSHARE__PAGE - 1) / IMGSHARE__PAGE * IMGSHARE__PAGE;
    return capacity > 4 * (rounded ? rounded : IMGSHARE__PAGE) + (1u << 20);
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

/* §12.4 [W7] steps 1 to 3: a new data segment for slot j, attached; pending stays "created" until the
 * caller installs it (imgshare__install). */
static imgshare_status imgshare__new_segment(imgshare_sender *s, uint32_t j, uint64_t length, imgshare__slot *fresh)
{
    uint64_t rounded = (length + IMGSHARE__PAGE - 1) / IMGSHARE__PAGE * IMGSHARE__PAGE;
    uint64_t size = IMGSHARE__DESCRIPTOR_SIZE + (rounded ? rounded : IMGSHARE__PAGE);
    unsigned long long shmmax;
    int shmid;
    uint8_t *base;
    (void)j;
    if (imgshare__read_number("/proc/sys/kernel/shmmax", &shmmax) && size > shmmax)
        return imgshare__fail(IMGSHARE_ERROR, "the image needs a %.1f MB segment but this machine allows at most %.1f "
                              "MB (kernel.shmmax)", (double)size / 1e6, (double)shmmax / 1e6);
    imgshare__store64(s->base, IMGSHARE__C_PENDING, (uint64_t)IMGSHARE__PENDING_CREATING << 32);
    shmid = shmget(IPC_PRIVATE, (size_t)size, IPC_CREAT | 0600);
    if (shmid < 0) {
        int error = errno;
        imgshare__store64(s->base, IMGSHARE__C_PENDING, 0);
        if (error == EINVAL)
            return imgshare__fail(IMGSHARE_ERROR, "the system refused a %.1f MB shared-memory segment "
                                  "(kernel.shmmax); the image is too large for this machine's limits",
                                  (double)size / 1e6);
        return imgshare__system_limit("shared-memory segment", error, s->key);
    }
    imgshare__store64(s->base, IMGSHARE__C_PENDING, (uint64_t)IMGSHARE__PENDING_CREATED << 32 | (uint32_t)shmid);
    base = (uint8_t *)shmat(shmid, NULL, 0);
    if (base == (uint8_t *)-1) {
        shmctl(shmid, IPC_RMID, NULL);
        imgshare__store64(s->base, IMGSHARE__C_PENDING, 0);
        return imgshare__fail(IMGSHARE_ERROR, "a new data segment of key '%s' cannot be attached", s->key);
    }
    fresh->shmid = shmid;
    fresh->base = base;
    fresh->capacity = size - IMGSHARE__DESCRIPTOR_SIZE;
    fresh->generation = imgshare__load64(s->base, IMGSHARE__C_GENERATION) + 1;
    fresh->stale = 0;
    imgshare__store64(s->base, IMGSHARE__C_GENERATION, fresh->generation); /* never handed out again */
    return IMGSHARE_OK;
}

/* §12.4 steps 5 to 7: slot j's old segment goes, the fresh one (its descriptor written) takes its place. */
static void imgshare__install(imgshare_sender *s, uint32_t j, const imgshare__slot *fresh)
{
    imgshare__slot *slot = &s->slots[j];
    if (slot->base)
        shmdt(slot->base);
    if (slot->shmid >= 0)
        imgshare__remove_data(slot->shmid, 0, 0, 0); /* its readers keep their mapping */
    *slot = *fresh;
    imgshare__store32(s->base, IMGSHARE__C_TABLE + 16 * (size_t)j + 8, (uint32_t)fresh->shmid);
    imgshare__store64(s->base, IMGSHARE__C_TABLE + 16 * (size_t)j, fresh->generation);
    imgshare__store64(s->base, IMGSHARE__C_PENDING, 0);
}

/* A fresh segment given up before it was installed (a cancelled frame, a failed share). */
static void imgshare__abandon(imgshare_sender *s, imgshare__slot *fresh)
{
    shmdt(fresh->base);
    shmctl(fresh->shmid, IPC_RMID, NULL);
    if (s->base)
        imgshare__store64(s->base, IMGSHARE__C_PENDING, 0);
    fresh->shmid = -1;
    fresh->base = NULL;
}

/* §12.2 [W4]: the slot for an image of length bytes, other than the published one. A reusable one (its
 * segment ours and large enough, not too large, no reader pinning it: its gate is closed, so it stays
 * unpinned) is marked being written (write_count odd, §12.3 step 1); else *fresh gets a new segment. */
static imgshare_status imgshare__choose_slot(imgshare_sender *s, uint64_t length, uint32_t *slot, int *is_fresh,
                                             imgshare__slot *fresh)
{
    uint32_t i, unpinned = IMGSHARE__NONE, other = IMGSHARE__NONE;
    for (i = 0; i < s->n; i++) {
        imgshare__slot *candidate = &s->slots[i];
        int pins;
        if (i == s->published)
            continue;
        pins = imgshare__semval(s->set, IMGSHARE__PIN(s->n, i));
        if (other == IMGSHARE__NONE)
            other = i;
        if (pins != 0)
            continue; /* a pinned segment is never written (a set that is gone reads -1: counted as pinned) */
        if (unpinned == IMGSHARE__NONE)
            unpinned = i;
        if (candidate->base && !candidate->stale && candidate->capacity >= length &&
            !imgshare__oversized(candidate->capacity, length)) {
            uint32_t count = imgshare__load32(candidate->base, IMGSHARE__D_WRITE_COUNT);
            imgshare__store32(candidate->base, IMGSHARE__D_WRITE_COUNT, count | 1u);
            *slot = i;
            *is_fresh = 0;
            return IMGSHARE_OK;
        }
    }
    *slot = unpinned != IMGSHARE__NONE ? unpinned : other;
    *is_fresh = 1;
    IMGSHARE_ASSERT(*slot != IMGSHARE__NONE); /* n >= 2: some slot is not the published one */
    return imgshare__new_segment(s, *slot, length, fresh);
}

/* The descriptor of the image now in slot j, then (reused) write_count even again, or (fresh) the
 * segment installed in the table. */
static void imgshare__describe(imgshare_sender *s, uint32_t j, int is_fresh, imgshare__slot *fresh,
                               const imgshare__image *image, uint64_t checksum)
{
    uint8_t d[IMGSHARE__DESCRIPTOR_SIZE];
    imgshare__slot *target = is_fresh ? fresh : &s->slots[j];
    uint64_t sequence = s->sequence + 1, counted = imgshare__load64(s->base, IMGSHARE__C_SEQUENCE);
    uint32_t count = imgshare__load32(target->base, IMGSHARE__D_WRITE_COUNT);
    if (counted + 1 > sequence)
        sequence = counted + 1;
    imgshare__pack_descriptor(d, image, s->epoch, target->generation, sequence, s->checksum, checksum);
    memcpy(target->base + IMGSHARE__D_WRITE_COUNT + 8, d + IMGSHARE__D_WRITE_COUNT + 8,
           IMGSHARE__DESCRIPTOR_SIZE - IMGSHARE__D_WRITE_COUNT - 8);
    memcpy(target->base, d, IMGSHARE__D_WRITE_COUNT);
    imgshare__store32(target->base, IMGSHARE__D_CRC, imgshare__u32(d + IMGSHARE__D_CRC));
    if (is_fresh)
        imgshare__install(s, j, fresh);
    else
        imgshare__store32(target->base, IMGSHARE__D_WRITE_COUNT, (count | 1u) + 1u);
}

/* The key was lost (§12.6): removed (forget it, remove our segments nobody names now) or taken over. */
static imgshare_status imgshare__lost_key(imgshare_sender *s)
{
    int now = shmget(s->sysv, 0, 0);
    uint32_t i;
    if (now == s->control && s->base && imgshare__load64(s->base, IMGSHARE__C_TOKEN) != s->token) {
        int pid = (int)imgshare__load32(s->base, IMGSHARE__C_OWNER_PID);
        imgshare__forget(s); /* its data segments are the new owner's now */
        return imgshare__fail(IMGSHARE_IN_USE, "the key '%s' was taken over by another sender (pid %d)", s->key, pid);
    }
    for (i = 0; i < IMGSHARE__MAX_SLOTS; i++)
        if (s->slots[i].shmid >= 0)
            imgshare__remove_data(s->slots[i].shmid, (int32_t)getpid(), 0, 0);
    imgshare__forget(s);
    return (imgshare_status)IMGSHARE__LOST;
}

/* §12.3 steps 4 to 6: check ownership [W5], then publish slot j with one semop [W6]. */
static imgshare_status imgshare__publish(imgshare_sender *s, uint32_t j)
{
    struct sembuf ops[4];
    size_t count;
    int attempt, wake, result = 0;
    if (shmget(s->sysv, 0, 0) != s->control || imgshare__load64(s->base, IMGSHARE__C_TOKEN) != s->token)
        return imgshare__lost_key(s);
    for (attempt = 0; attempt < 3; attempt++) {
        wake = imgshare__semval(s->set, IMGSHARE__WAKE);
        count = 0;
        imgshare__op(&ops[count++], IMGSHARE__GATE(j), 0, IPC_NOWAIT);
        imgshare__op(&ops[count++], IMGSHARE__GATE(j), 1, 0);
        if (s->published != IMGSHARE__NONE)
            imgshare__op(&ops[count++], IMGSHARE__GATE(s->published), -1, IPC_NOWAIT);
        if (wake >= 0 && wake < IMGSHARE__WRAP_AT)
            imgshare__op(&ops[count++], IMGSHARE__WAKE, 1, 0);
        result = imgshare__semop(s->set, ops, count);
        if (result == EIDRM || result == EINVAL)
            return imgshare__lost_key(s);
        if (result == 0) {
            if (wake >= IMGSHARE__WRAP_AT) { /* wake everyone, then count again from 1 (§11.1 [F1]) */
                union imgshare__semun arg;
                arg.val = IMGSHARE__SEM_MAX;
                semctl(s->set, IMGSHARE__WAKE, SETVAL, arg);
                arg.val = 1;
                semctl(s->set, IMGSHARE__WAKE, SETVAL, arg);
            }
            s->published = j;
            s->sequence = imgshare__u64(s->slots[j].base + IMGSHARE__D_SEQUENCE);
            imgshare__store32(s->base, IMGSHARE__C_PUBLISHED, j);
            imgshare__store64(s->base, IMGSHARE__C_SEQUENCE, s->sequence);
            return IMGSHARE_OK;
        }
        if (result != EAGAIN)
            break;
        { /* a gate is not as we left it (another process changed it): close every open gate, publish again */
            unsigned short values[2 + 2 * IMGSHARE__MAX_SLOTS];
            uint32_t i;
            if (imgshare__semvalues(s->set, values) == 0) {
                for (i = 0; i < s->n; i++) {
                    struct sembuf op;
                    if (!values[IMGSHARE__GATE(i)])
                        continue;
                    imgshare__op(&op, IMGSHARE__GATE(i), -1, IPC_NOWAIT);
                    imgshare__semop(s->set, &op, 1);
                }
            }
            s->published = IMGSHARE__NONE;
        }
    }
    return imgshare__fail(IMGSHARE_ERROR, "the image under key '%s' could not be published (%s)", s->key,
                          strerror(result));
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

/* Claim the key if needed, then choose a slot for length bytes. */
static imgshare_status imgshare__prepare(imgshare_sender *s, uint64_t length, uint32_t *slot, int *is_fresh,
                                         imgshare__slot *fresh)
{
    imgshare_status st;
    if (s->base && imgshare__removed(s->control)) {
        st = imgshare__lost_key(s); /* removed under us: start over as a new sender */
        if ((int)st != IMGSHARE__LOST)
            return st;
    }
    if (!s->base && (st = imgshare__claim(s)))
        return st;
    return imgshare__choose_slot(s, length, slot, is_fresh, fresh);
}

IMGSHARE_API imgshare_status imgshare_share(imgshare_sender *s, const void *pixels, uint32_t width, uint32_t height,
                                            imgshare_mode mode, size_t stride, const imgshare_extras *extras)
{
    imgshare_status st;
    imgshare__image image;
    size_t row;
    int attempt;
    if ((st = imgshare__check_image(s, width, height, mode)) || (st = imgshare__check_extras(mode, extras)))
        return st;
    row = imgshare_row_bytes(mode, width);
    if (stride == 0)
        stride = row;
    if (!pixels || stride < row)
        return imgshare__fail(IMGSHARE_ERROR, "the pixels are missing, or the stride %zu is shorter than a row (%zu "
                              "bytes)", stride, row);
    image.width = width;
    image.height = height;
    image.mode = mode;
    image.extras = extras;
    for (attempt = 0; attempt < 2; attempt++) {
        int stream = !s->checksum && (uint64_t)row * height >= IMGSHARE__STREAM_FROM, is_fresh = 0;
        imgshare__slot fresh;
        uint32_t slot = 0;
        uint8_t *dest;
        size_t top, rows_per_chunk = IMGSHARE__CHUNK / row ? IMGSHARE__CHUNK / row : 1;
        if ((st = imgshare__prepare(s, (uint64_t)row * height, &slot, &is_fresh, &fresh)))
            return st;
        dest = (is_fresh ? fresh.base : s->slots[slot].base) + IMGSHARE__DESCRIPTOR_SIZE;
        if (s->checksum)
            XXH3_64bits_reset(s->state);
        for (top = 0; top < height; top += rows_per_chunk) { /* hashed as written, while in the cache */
            size_t bottom = top + rows_per_chunk < height ? top + rows_per_chunk : height, y;
            if (stride == row)
                imgshare__copy(dest + top * row, (const uint8_t *)pixels + top * row, (bottom - top) * row, stream);
            else
                for (y = top; y < bottom; y++)
                    imgshare__copy(dest + y * row, (const uint8_t *)pixels + y * stride, row, stream);
            if (mode == IMGSHARE_MODE_1)
                imgshare__clear_pad_bits(dest, row, row, width, top, bottom);
            if (s->checksum)
                XXH3_64bits_update(s->state, dest + top * row, (bottom - top) * row);
        }
        imgshare__copied(stream);
        imgshare__describe(s, slot, is_fresh, &fresh, &image, s->checksum ? XXH3_64bits_digest(s->state) : 0);
        st = imgshare__publish(s, slot);
        if ((int)st != IMGSHARE__LOST)
            return st ? st : imgshare__ok();
    }
    return imgshare__fail(IMGSHARE_NOT_SHARED, "the share of key '%s' keeps being removed by another program", s->key);
}

IMGSHARE_API imgshare_status imgshare_frame_begin(imgshare_sender *s, uint32_t width, uint32_t height,
                                                  imgshare_mode mode, const imgshare_extras *extras, void **pixels,
                                                  size_t *stride)
{
    imgshare_status st;
    uint32_t slot = 0;
    int is_fresh = 0;
    size_t row;
    if ((st = imgshare__check_image(s, width, height, mode)) || (st = imgshare__check_extras(mode, extras)))
        return st;
    if (!pixels || !stride)
        return imgshare__fail(IMGSHARE_ERROR, "no place was given for the frame's pixels and stride");
    row = imgshare_row_bytes(mode, width);
    if ((st = imgshare__prepare(s, (uint64_t)row * height, &slot, &is_fresh, &s->frame_fresh)))
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
        if (extras->tags) {
            snprintf(s->frame_tags, sizeof s->frame_tags, "%s", extras->tags); /* checked: at most 4096 bytes */
            s->frame_extras.tags = s->frame_tags;
        }
    }
    s->in_frame = 1;
    s->frame_slot = slot;
    s->frame_is_fresh = is_fresh;
    s->frame.width = width;
    s->frame.height = height;
    s->frame.mode = mode;
    s->frame.extras = &s->frame_extras;
    *pixels = (is_fresh ? s->frame_fresh.base : s->slots[slot].base) + IMGSHARE__DESCRIPTOR_SIZE;
    *stride = row;
    return imgshare__ok();
}

IMGSHARE_API imgshare_status imgshare_frame_publish(imgshare_sender *s)
{
    imgshare_status st;
    imgshare_info info;
    uint8_t *payload;
    if (!s || !s->in_frame)
        return imgshare__fail(IMGSHARE_ERROR, "no frame is open; call imgshare_frame_begin() first");
    s->in_frame = 0;
    payload = (s->frame_is_fresh ? s->frame_fresh.base : s->slots[s->frame_slot].base) + IMGSHARE__DESCRIPTOR_SIZE;
    memset(&info, 0, sizeof info);
    info.width = s->frame.width;
    info.height = s->frame.height;
    info.mode = s->frame.mode;
    info.stride = (uint32_t)imgshare_row_bytes(info.mode, info.width);
    info.payload_length = (uint64_t)info.stride * info.height;
    if (info.mode == IMGSHARE_MODE_1)
        imgshare__clear_pad_bits(payload, info.stride, info.stride, info.width, 0, info.height);
    imgshare__describe(s, s->frame_slot, s->frame_is_fresh, &s->frame_fresh, &s->frame,
                       s->checksum ? imgshare__hash_rows(payload, &info, s->state) : 0);
    st = imgshare__publish(s, s->frame_slot);
    if ((int)st == IMGSHARE__LOST)
        return imgshare__fail(IMGSHARE_NOT_SHARED, "the share of key '%s' was removed during the frame", s->key);
    return st ? st : imgshare__ok();
}

IMGSHARE_API void imgshare_frame_cancel(imgshare_sender *s)
{
    if (!s || !s->in_frame)
        return;
    s->in_frame = 0;
    if (s->frame_is_fresh) {
        imgshare__abandon(s, &s->frame_fresh);
    } else { /* its pixels were written over: the slot stays unpublished until it is written again */
        uint8_t *base = s->slots[s->frame_slot].base;
        imgshare__store32(base, IMGSHARE__D_WRITE_COUNT, (imgshare__load32(base, IMGSHARE__D_WRITE_COUNT) | 1u) + 1u);
        s->slots[s->frame_slot].stale = 1; /* its descriptor no longer describes its pixels */
    }
}

/* §13.1 [W9]: the data segments, the control segment, the set last (which also gives the owner back). */
static void imgshare__remove_key(imgshare_sender *s)
{
    uint64_t pending = imgshare__load64(s->base, IMGSHARE__C_PENDING);
    uint32_t i;
    for (i = 0; i < IMGSHARE__MAX_SLOTS; i++)
        if (s->slots[i].shmid >= 0)
            imgshare__remove_data(s->slots[i].shmid, 0, 0, 0);
    if (pending >> 32 == IMGSHARE__PENDING_CREATED)
        imgshare__remove_data((int)(uint32_t)pending, (int32_t)getpid(), 0, 0);
    shmctl(s->control, IPC_RMID, NULL);
    semctl(s->set, 0, IPC_RMID); /* ends every follower's wait at once (EIDRM) */
}

IMGSHARE_API imgshare_status imgshare_sender_close(imgshare_sender *s, int persist)
{
    if (!s)
        return imgshare__ok();
    if (s->in_frame)
        imgshare_frame_cancel(s);
    if (s->base) {
        if (shmget(s->sysv, 0, 0) != s->control || imgshare__load64(s->base, IMGSHARE__C_TOKEN) != s->token) {
            imgshare__lost_key(s); /* removed, or taken over: what is at the key now is not ours to remove */
        } else if (persist && s->published != IMGSHARE__NONE) {
            imgshare__store32(s->base, IMGSHARE__C_FLAGS, IMGSHARE__PERSISTED); /* [W10] */
            imgshare__give_owner(s->set);
        } else {
            imgshare__remove_key(s);
        }
    }
    imgshare__forget(s);
    IMGSHARE_FREE(s);
    return imgshare__ok();
}

/* ---- the receiver (§10, §11) ---- */
typedef struct imgshare__view {
    int shmid;                 /* -1: none */
    uint64_t generation;
    const uint8_t *base;       /* attached read-only, kept between reads: attaching afresh costs page faults */
    uint64_t size;             /* the kernel's figure */
} imgshare__view;

struct imgshare_receiver {
    char key[256];
    size_t key_length;
    int32_t sysv;
    double lock_timeout;
    int verify;
    int control;               /* the control segment looked up, -1 for none */
    const uint8_t *base;
    uint64_t epoch;
    uint32_t n;
    int set;
    imgshare__view views[IMGSHARE__MAX_SLOTS];
    int wake_seen;             /* the wake count read before the last read; -1 unknown */
    int borrowed, borrow_set;  /* a pinned slot lent to the caller */
    uint32_t borrow_slot, borrow_n;
    int has_last;              /* the image returned last (with pixels) */
    uint64_t last_epoch, last_sequence;
    uint8_t descriptor[IMGSHARE__DESCRIPTOR_SIZE];
    XXH3_state_t *state;
};

IMGSHARE_API imgshare_status imgshare_receiver_open(imgshare_receiver **out, const char *key)
{
    imgshare_receiver *r;
    XXH3_state_t *state;
    size_t length = 0;
    imgshare_status st;
    uint32_t i;
    if (!out)
        return imgshare__fail(IMGSHARE_ERROR, "no place was given for the receiver");
    *out = NULL;
    if ((st = imgshare__check_key(key, &length)))
        return st;
    r = (imgshare_receiver *)imgshare__allocate(sizeof *r, &state);
    if (!r)
        return imgshare__fail(IMGSHARE_ERROR, "out of memory");
    r->state = state;
    r->key_length = length;
    memcpy(r->key, key, length + 1);
    r->sysv = imgshare__sysv_key(key, length);
    r->lock_timeout = IMGSHARE__DEFAULT_TIMEOUT;
    r->verify = 1;
    r->control = r->set = -1;
    r->wake_seen = -1;
    for (i = 0; i < IMGSHARE__MAX_SLOTS; i++)
        r->views[i].shmid = -1;
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
        imgshare__unpin(r->borrow_set, r->borrow_n, r->borrow_slot);
        r->borrowed = 0;
    }
}

static void imgshare__drop_view(imgshare__view *view)
{
    if (view->base)
        shmdt(view->base);
    view->base = NULL;
    view->shmid = -1;
}

/* Forget the key's objects (a sender may have made new ones): look it up again on the next read. */
static void imgshare__drop(imgshare_receiver *r)
{
    uint32_t i;
    imgshare_release(r);
    for (i = 0; i < IMGSHARE__MAX_SLOTS; i++)
        imgshare__drop_view(&r->views[i]);
    if (r->base)
        shmdt(r->base);
    r->base = NULL;
    r->control = r->set = -1;
}

IMGSHARE_API void imgshare_receiver_close(imgshare_receiver *r)
{
    if (!r)
        return;
    imgshare__drop(r);
    IMGSHARE_FREE(r);
}

/* §10.1: the control segment (§9.1) and the set (§9.2), kept while the same control segment is at the key. */
static imgshare_status imgshare__lookup(imgshare_receiver *r)
{
    uint8_t raw[IMGSHARE__CONTROL_SIZE], *base;
    struct shmid_ds ds;
    imgshare__control c;
    imgshare__found found;
    imgshare_status st;
    int shmid, set;
    uint32_t n;
    if (r->base && shmget(r->sysv, 0, 0) == r->control)
        return IMGSHARE_OK;
    imgshare__drop(r);
    st = imgshare__look(r->key, r->key_length, r->sysv, 0, 1, &shmid, &base, &ds, &c, &found, raw);
    if (found != IMGSHARE__FOUND_VALID) {
        if (base)
            shmdt(base);
        return st;
    }
    set = semget(r->sysv, 0, 0);
    if (set < 0) {
        shmdt(base);
        if (errno == EACCES || errno == EPERM)
            return imgshare__other_user(r->key, imgshare__proc_owner("sem", 0, r->sysv, 1));
        if (shmget(r->sysv, 0, 0) != shmid)
            return imgshare__nothing(r->key); /* its sender stopped meanwhile */
        return imgshare__damaged(r->key, "it has lost its semaphore set");
    }
    n = c.slot_count;
    if ((st = imgshare__check_set(r->key, set, &n))) {
        shmdt(base);
        return st;
    }
    r->control = shmid;
    r->base = base;
    r->epoch = c.epoch;
    r->n = n;
    r->set = set;
    return IMGSHARE_OK;
}

enum { IMGSHARE__PINNED = 0, IMGSHARE__UNPINNED = 1, IMGSHARE__SET_GONE = 2 };

/* §10.2 [R1]: pin the published slot. The entry is read before and after the pin: unchanged, it is the
 * one the open gate stood for (generations only grow), and its segment is never written while pinned.
 * IMGSHARE__UNPINNED: the pins are at their maximum (a copying reader may read as §10.5 says). */
static int imgshare__pin_published(imgshare_receiver *r, double deadline, uint32_t *slot, uint64_t *generation,
                                   int *shmid, imgshare_status *st)
{
    int tries = 0;
    *st = IMGSHARE_OK;
    for (;;) {
        uint32_t i = imgshare__load32(r->base, IMGSHARE__C_PUBLISHED);
        uint64_t generation_after;
        int shmid_after, result;
        if (tries >= IMGSHARE__HINT_TRIES || i >= r->n) {
            unsigned short values[2 + 2 * IMGSHARE__MAX_SLOTS];
            uint32_t j, open = 0;
            if ((result = imgshare__semvalues(r->set, values)))
                return IMGSHARE__SET_GONE;
            for (j = 0; j < r->n; j++)
                if (values[IMGSHARE__GATE(j)]) {
                    open++;
                    i = j;
                }
            if (open == 0) {
                *st = imgshare__nothing_yet(r->key);
                return IMGSHARE__PINNED;
            }
            if (open > 1) {
                *st = imgshare__damaged(r->key, "more than one slot is published");
                return IMGSHARE__PINNED;
            }
        }
        imgshare__entry(r->base, i, generation, shmid);
        result = imgshare__pin(r->set, r->n, i);
        if (result == 0) {
            imgshare__entry(r->base, i, &generation_after, &shmid_after);
            if (generation_after == *generation && shmid_after == *shmid) {
                *slot = i;
                return IMGSHARE__PINNED;
            }
            imgshare__unpin(r->set, r->n, i);
        } else if (result == ERANGE) {
            *slot = i;
            return IMGSHARE__UNPINNED;
        } else if (result == EIDRM || result == EINVAL) {
            return IMGSHARE__SET_GONE;
        } else if (result != EAGAIN) {
            *st = imgshare__fail(IMGSHARE_ERROR, "the semaphore set of key '%s' cannot be used", r->key);
            return IMGSHARE__PINNED;
        }
        tries++;
        if (imgshare__now() > deadline) {
            *st = imgshare__fail(IMGSHARE_TIMED_OUT, "the image under key '%s' kept changing faster than it could "
                                 "be read for %g s; try again", r->key, r->lock_timeout);
            return IMGSHARE__PINNED;
        }
    }
}

/* The data segment of entry (generation, shmid) of slot i, attached (kept) and its descriptor copied and
 * checked (§9.3 steps 15 to 18). *race: it does not match an entry that changed meanwhile (retry). */
static imgshare_status imgshare__read_descriptor_once(imgshare_receiver *r, uint32_t i, uint64_t generation, int shmid,
                                                      imgshare_info *info, int *race, uint32_t *write_count)
{
    imgshare__view *view = &r->views[i];
    imgshare_status st;
    int mismatch = 0;
    *race = 0;
    if (!generation)
        return imgshare__damaged(r->key, "the published slot has no data segment");
    if (view->base && (view->shmid != shmid || view->generation != generation))
        imgshare__drop_view(view);
    if (!view->base) {
        uint8_t *base;
        uint64_t size;
        switch (imgshare__attach_data(shmid, 0, &base, &size)) {
        case IMGSHARE__OURS:
            view->base = base;
            view->size = size;
            view->shmid = shmid;
            view->generation = generation;
            break;
        case IMGSHARE__GONE: mismatch = 1; break;
        default: return imgshare__damaged(r->key, "its data segment is not imgshare's");
        }
    }
    if (!mismatch) {
        *write_count = imgshare__load32(view->base, IMGSHARE__D_WRITE_COUNT); /* before the copy (§10.5) */
        memcpy(r->descriptor, view->base, IMGSHARE__DESCRIPTOR_SIZE);
        st = imgshare__check_descriptor(r->descriptor, view->size - IMGSHARE__DESCRIPTOR_SIZE, r->key, 1, r->epoch,
                                        generation, info, &mismatch);
        if (st && !mismatch)
            return st;
    }
    if (mismatch) {
        uint64_t now_generation;
        int now_shmid;
        imgshare__entry(r->base, i, &now_generation, &now_shmid);
        imgshare__drop_view(view);
        if (now_generation != generation || now_shmid != shmid) {
            *race = 1; /* replaced since the pin (§12.2): read the newer image */
            return IMGSHARE_OK;
        }
        return imgshare__damaged(r->key, "its data segment is gone, or is not the one its slot table names");
    }
    info->segment_id = shmid;
    info->segment_size = view->size;
    return IMGSHARE_OK;
}

/* As above; but a failure while the control segment is no longer at the key is its sender stopping
 * meanwhile (it removes everything without waiting for pins, §13.1): nothing shared (§9.3 step 15). */
static imgshare_status imgshare__read_descriptor(imgshare_receiver *r, uint32_t i, uint64_t generation, int shmid,
                                                 imgshare_info *info, int *race, uint32_t *write_count)
{
    imgshare_status st = imgshare__read_descriptor_once(r, i, generation, shmid, info, race, write_count);
    if (st && shmget(r->sysv, 0, 0) != r->control)
        return imgshare__nothing(r->key);
    return st;
}

enum { IMGSHARE__INFO, IMGSHARE__COPY, IMGSHARE__BORROW };

/* Whether an unpinned read (§10.5) saw slot i stay as it was: the same entry, write_count and open gate. */
static int imgshare__unchanged(imgshare_receiver *r, uint32_t i, uint64_t generation, int shmid, uint32_t write_count)
{
    uint64_t generation_after;
    int shmid_after;
    __atomic_thread_fence(__ATOMIC_ACQUIRE);
    imgshare__entry(r->base, i, &generation_after, &shmid_after);
    return r->views[i].base && imgshare__load32(r->views[i].base, IMGSHARE__D_WRITE_COUNT) == write_count &&
           !(write_count & 1) && generation_after == generation && shmid_after == shmid &&
           imgshare__semval(r->set, IMGSHARE__GATE(i)) == 1;
}

static imgshare_status imgshare__read(imgshare_receiver *r, int how, int newer, void *buffer, size_t capacity,
                                      size_t stride, const void **pixels, imgshare_info *info, int *same)
{
    double deadline = imgshare__now() + r->lock_timeout;
    int lookups = 0;
    *same = 0;
    imgshare_release(r);
    for (;;) {
        imgshare_status st;
        uint64_t generation = 0;
        uint32_t slot = 0, flags, write_count = 0;
        int shmid = -1, race = 0, state, verify;
        const uint8_t *payload;
        if ((st = imgshare__lookup(r)))
            return st;
        if (newer) /* read before the image: a share after this is never missed (§11.2) */
            r->wake_seen = imgshare__semval(r->set, IMGSHARE__WAKE);
        state = imgshare__pin_published(r, deadline, &slot, &generation, &shmid, &st);
        if (state == IMGSHARE__SET_GONE) {
            imgshare__drop(r);
            if (++lookups < 3)
                continue;
            return imgshare__nothing(r->key);
        }
        if (st)
            return st;
        if (state == IMGSHARE__UNPINNED) { /* every pin taken: copy without one, as a seqlock reader (§10.5) */
            if (how == IMGSHARE__BORROW || imgshare__now() > deadline)
                return imgshare__fail(IMGSHARE_TIMED_OUT, "too many readers hold the image under key '%s'", r->key);
            if (imgshare__semval(r->set, IMGSHARE__GATE(slot)) != 1)
                continue;
            imgshare__entry(r->base, slot, &generation, &shmid);
        }
        st = imgshare__read_descriptor(r, slot, generation, shmid, info, &race, &write_count);
        if (state == IMGSHARE__UNPINNED && !race && (st || (write_count & 1)) &&
            !imgshare__unchanged(r, slot, generation, shmid, write_count))
            race = 1; /* a torn look at a slot being rewritten: look again */
        if (st || race) {
            if (state == IMGSHARE__PINNED)
                imgshare__unpin(r->set, r->n, slot);
            if (!race)
                return st;
            if (imgshare__now() > deadline)
                return imgshare__fail(IMGSHARE_TIMED_OUT, "the image under key '%s' kept changing faster than it "
                                      "could be read for %g s; try again", r->key, r->lock_timeout);
            continue;
        }
        info->epoch = r->epoch;
        if (newer && r->has_last && info->epoch == r->last_epoch && info->sequence == r->last_sequence) {
            if (state == IMGSHARE__PINNED)
                imgshare__unpin(r->set, r->n, slot);
            *same = 1;
            return IMGSHARE_OK;
        }
        flags = imgshare__load32(r->base, IMGSHARE__C_FLAGS);
        info->sender_alive = imgshare__semval(r->set, IMGSHARE__OWNER) == 1 && (flags & IMGSHARE__SERVING) != 0;
        info->persisted = (flags & IMGSHARE__PERSISTED) != 0;
        if (r->has_last) /* §10.4 [R4] */
            info->missed = info->epoch != r->last_epoch ? info->sequence - 1
                           : info->sequence > r->last_sequence ? info->sequence - r->last_sequence - 1 : 0;
        payload = r->views[slot].base + IMGSHARE__DESCRIPTOR_SIZE;
        verify = r->verify && info->checksum_kind == 1;
        if (how == IMGSHARE__COPY)
            st = imgshare__copy_out(payload, info, verify, r->state, buffer, capacity, stride);
        else if (how == IMGSHARE__BORROW && verify && imgshare__hash_rows(payload, info, r->state) != info->checksum)
            st = imgshare__fail(IMGSHARE_CORRUPT, "the image under key '%s' failed its checksum (damaged segment)",
                                r->key);
        if (state == IMGSHARE__UNPINNED) {
            if (!imgshare__unchanged(r, slot, generation, shmid, write_count))
                continue; /* it changed while it was copied: copy it again */
        } else if (how == IMGSHARE__BORROW && st == IMGSHARE_OK) {
            r->borrowed = 1; /* stays pinned: the sender never writes it until released */
            r->borrow_set = r->set;
            r->borrow_slot = slot;
            r->borrow_n = r->n;
            *pixels = payload;
        } else {
            imgshare__unpin(r->set, r->n, slot);
        }
        if (st)
            return st;
        if (how != IMGSHARE__INFO) { /* metadata alone: "the last image returned" stays the last one with pixels */
            r->has_last = 1;
            r->last_epoch = info->epoch;
            r->last_sequence = info->sequence;
        }
        return imgshare__ok();
    }
}

/* §11.2 [F2]: wait for the wake count to pass seen, at most seconds. 0: a share or a timeout; 1: the set
 * is gone. */
static int imgshare__wait_wake(int set, int seen, double seconds)
{
    struct sembuf ops[2];
    int result;
    if (seen >= IMGSHARE__SEM_MAX) { /* a wrap in progress: waiting for seen + 1 would return at once, forever */
        imgshare__sleep(seconds < 0.005 ? seconds : 0.005);
        return 0;
    }
    imgshare__op(&ops[0], IMGSHARE__WAKE, -(seen + 1), 0); /* runs only once the count is >= seen + 1 ... */
    imgshare__op(&ops[1], IMGSHARE__WAKE, seen + 1, 0);    /* ... and changes nothing */
    result = imgshare__semop_for(set, ops, 2, seconds);
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
            if (r->set >= 0 && r->wake_seen >= 0) {
                if (imgshare__wait_wake(r->set, r->wake_seen,
                                        remaining < IMGSHARE__WAKE_BOUND ? remaining : IMGSHARE__WAKE_BOUND))
                    imgshare__drop(r); /* the set was removed: its sender stopped (§11.3) */
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

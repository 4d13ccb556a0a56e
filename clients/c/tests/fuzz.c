/* fuzz: the C reader fed mutated and random segments; build it with -fsanitize=address,undefined.
 *
 *   fuzz SEGMENTS_DIR KEY CASES LIVE_CASES SEED
 *
 * Starts from the test vectors and mutates them: random bytes (with the CRCs recomputed, so the
 * mutation reaches the checks behind them, or not), fields set to edge values (slot tables out of
 * bounds, huge sizes and strides), truncated segments, random garbage. CASES of them go through
 * imgshare_read_image() with buffers of exact, short and spare sizes (malloc'd to the byte, so a write
 * past the end is caught); LIVE_CASES are placed in a real segment at KEY, with a lock and a pin set, and
 * read by a real receiver (info, copy, borrow). Only statuses 0, 1, 3 and 4 may come back, each error
 * with a message; everything this program creates is removed by id before it exits. Prints "ok N M".
 */
#define IMGSHARE_IMPLEMENTATION
#include "imgshare.h"
#include "tests/files.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SEGMENTS 128

static uint64_t rng_state;
static int failures;

static uint64_t next(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static size_t below(size_t n) { return n ? (size_t)(next() % n) : 0; }

static void put(unsigned char *p, uint64_t value, int width)
{
    int i;
    for (i = 0; i < width; i++)
        p[i] = (unsigned char)(value >> (8 * i));
}

static void fix_crcs(unsigned char *data, size_t size)
{
    unsigned char block[4096];
    size_t slot;
    if (size < 4096)
        return;
    memcpy(block, data, 4096);
    memset(block + 16, 0, 32);
    put(data + 28, imgshare__crc32(block, 4096), 4);
    for (slot = 0; slot < 8 && 4096 * (slot + 2) <= size; slot++) {
        memcpy(block, data + 4096 * (slot + 1), 4096);
        memset(block + 28, 0, 4);
        put(data + 4096 * (slot + 1) + 28, imgshare__crc32(block, 4096), 4);
    }
}

static uint64_t edge_value(size_t size)
{
    static const uint64_t edges[] = {0, 1, 2, 3, 7, 8, 9, 255, 256, 4095, 4096, 4097, 8192, 12288, 65535, 65536, 65537,
                                     0x7FFFFFFF, 0x80000000u, 0xFFFFFFFFu, 0x100000000ull, 0x7FFFFFFFFFFFFFFFull,
                                     0xFFFFFFFFFFFFF000ull, 0xFFFFFFFFFFFFFFFFull};
    switch (below(4)) {
    case 0: return size + below(3) - 1;
    case 1: return next();
    default: return edges[below(sizeof edges / sizeof edges[0])];
    }
}

/* One mutation of a copy of a vector; returns the new size. */
static size_t mutate(unsigned char *data, size_t size)
{
    static const int control_fields[][2] = {{8, 2}, {10, 2}, {12, 4}, {16, 4}, {20, 4}, {24, 4}, {32, 8}, {64, 8},
                                            {72, 8}, {80, 8}, {88, 8}, {96, 8}, {104, 8}, {192, 2}};
    static const int descriptor_fields[][2] = {{0, 8}, {8, 4}, {12, 4}, {16, 4}, {20, 4}, {24, 4}, {32, 8}, {40, 8},
                                               {112, 2}, {114, 2}, {116, 2}, {118, 2}, {120, 4}, {124, 4}};
    size_t i, n;
    switch (below(6)) {
    case 0: /* random bytes in the control block and descriptors */
    case 1:
        n = 1 + below(8);
        for (i = 0; i < n && size; i++)
            data[below(size < 3 * 4096 ? size : 3 * 4096)] = (unsigned char)next();
        if (below(4))
            fix_crcs(data, size);
        break;
    case 2: /* a control field */
        i = below(sizeof control_fields / sizeof control_fields[0]);
        if (size >= 4096) {
            size_t offset = (size_t)control_fields[i][0] + (control_fields[i][0] >= 64 && control_fields[i][0] < 192 ? 16 * below(4) : 0);
            put(data + offset, edge_value(size), control_fields[i][1]);
            fix_crcs(data, size);
        }
        break;
    case 3: /* a descriptor field of a slot */
        i = below(sizeof descriptor_fields / sizeof descriptor_fields[0]);
        {
            size_t slot = below(3), offset = 4096 * (slot + 1) + (size_t)descriptor_fields[i][0];
            if (offset + 8 <= size) {
                put(data + offset, edge_value(size), descriptor_fields[i][1]);
                if (below(2)) /* and its neighbour: payload length to match a changed stride or height */
                    put(data + 4096 * (slot + 1) + 32, edge_value(size), 8);
                fix_crcs(data, size);
            }
        }
        break;
    case 4: /* truncated: the kernel's size is what counts */
        size = below(size + 1);
        break;
    default: /* garbage behind our magic */
        for (i = 8; i < size; i++)
            data[i] = (unsigned char)next();
        if (size >= 10)
            put(data + 8, below(2) ? 2 : next(), 2);
        if (below(2))
            fix_crcs(data, size);
        break;
    }
    return size;
}

static void check(imgshare_status st, const char *where, const imgshare_info *info, size_t capacity)
{
    if (st != IMGSHARE_OK && st != IMGSHARE_ERROR && st != IMGSHARE_NOT_SHARED && st != IMGSHARE_CORRUPT) {
        printf("FAIL %s: status %d (%s)\n", where, (int)st, imgshare_message());
        failures++;
    } else if (st != IMGSHARE_OK && !imgshare_message()[0]) {
        printf("FAIL %s: status %d without a message\n", where, (int)st);
        failures++;
    } else if (st == IMGSHARE_OK && info &&
               (info->width < 1 || info->height < 1 || (uint64_t)info->stride * info->height != info->payload_length ||
                (capacity && imgshare_row_bytes(info->mode, info->width) * info->height > capacity))) {
        printf("FAIL %s: an image with impossible metadata\n", where);
        failures++;
    }
}

static void read_offline(const unsigned char *data, size_t size)
{
    imgshare_info info;
    imgshare_status st = imgshare_read_image(data, size, "vector", (int)below(2), &info, NULL, 0, 0);
    check(st, "metadata", &info, 0);
    if (st == IMGSHARE_OK) {
        size_t needed = imgshare_row_bytes(info.mode, info.width) * info.height;
        size_t capacity = below(3) == 0 ? needed - below(needed) : needed + below(64);
        unsigned char *buffer = (unsigned char *)malloc(capacity ? capacity : 1);
        if (!buffer)
            return;
        st = imgshare_read_image(data, size, "vector", 1, &info, buffer, capacity, 0);
        check(st, "copy", &info, capacity);
        free(buffer);
    }
}

/* A real segment, lock and pin set at the key; the receiver reads it as it would a sender's. */
static void read_live(imgshare_receiver *r, const int32_t numbers[3], const unsigned char *data, size_t size, int *lock,
                      int *pins)
{
    imgshare_info info;
    imgshare_status st;
    const void *pixels;
    int shmid = shmget(numbers[0], size ? size : 1, IPC_CREAT | IPC_EXCL | 0600);
    unsigned char *base;
    if (shmid < 0) {
        printf("FAIL live: cannot create a segment (%s)\n", strerror(errno));
        failures++;
        return;
    }
    base = (unsigned char *)shmat(shmid, NULL, 0);
    if (base != (unsigned char *)-1) {
        memcpy(base, data, size);
        shmdt(base);
    }
    if (*lock < 0) {
        struct sembuf op = {0, 1, 0};
        *lock = semget(numbers[0], 1, IPC_CREAT | IPC_EXCL | 0600);
        semop(*lock, &op, 1);
        *pins = semget(numbers[1], 8, IPC_CREAT | IPC_EXCL | 0600);
    }
    st = imgshare_receive_info(r, &info);
    check(st, "live metadata", &info, 0);
    if (st == IMGSHARE_OK) {
        size_t needed = imgshare_row_bytes(info.mode, info.width) * info.height;
        unsigned char *buffer = (unsigned char *)malloc(needed);
        if (buffer) {
            st = imgshare_receive(r, buffer, needed, 0, &info);
            check(st, "live copy", &info, needed);
            free(buffer);
        }
        st = imgshare_borrow(r, &pixels, &info);
        check(st, "live borrow", &info, 0);
        if (st == IMGSHARE_OK) {
            volatile unsigned char last = ((const unsigned char *)pixels)[info.payload_length - 1];
            (void)last; /* the whole payload is readable */
        }
    }
    if (below(2)) /* sometimes a fresh receiver: the first read peeks before taking the lock */
        imgshare_release(r);
    shmctl(shmid, IPC_RMID, NULL);
}

int main(int argc, char **argv)
{
    unsigned char *vectors[MAX_SEGMENTS];
    size_t sizes[MAX_SEGMENTS], count = 0, largest = 0;
    char path[4096], line[1024];
    long cases, live, n;
    int32_t numbers[3];
    int lock = -1, pins = -1;
    imgshare_receiver *r = NULL;
    unsigned char *work;
    FILE *index;
    if (argc != 6) {
        fprintf(stderr, "usage: fuzz SEGMENTS_DIR KEY CASES LIVE_CASES SEED\n");
        return 2;
    }
    cases = atol(argv[3]);
    live = atol(argv[4]);
    rng_state = strtoull(argv[5], NULL, 10) | 1;
    snprintf(path, sizeof path, "%s/index.txt", argv[1]);
    index = fopen(path, "r");
    if (!index)
        return 2;
    while (fgets(line, sizeof line, index) && count < MAX_SEGMENTS) {
        char name[256];
        if (line[0] == '#' || sscanf(line, "%255s", name) != 1)
            continue;
        snprintf(path, sizeof path, "%s/%s.seg", argv[1], name);
        if ((vectors[count] = read_file(path, &sizes[count])) != NULL) {
            if (sizes[count] > largest)
                largest = sizes[count];
            count++;
        }
    }
    fclose(index);
    work = (unsigned char *)malloc(largest + 1);
    if (!count || !work || imgshare_key_numbers(argv[2], numbers) != IMGSHARE_OK)
        return 2;
    for (n = 0; n < cases; n++) {
        size_t pick = below(count), size = sizes[pick];
        unsigned char *copy;
        memcpy(work, vectors[pick], size);
        size = mutate(work, size);
        if (below(3) == 0)
            size = mutate(work, size);
        copy = (unsigned char *)malloc(size ? size : 1); /* exactly the segment's bytes: reading past them is caught */
        memcpy(copy, work, size);
        read_offline(copy, size);
        free(copy);
    }
    /* live: the key must name our vectors' key for them to be ours; rewrite it into each */
    for (n = 0; n < live; n++) {
        size_t pick = below(count), size = sizes[pick], key_length = strlen(argv[2]);
        memcpy(work, vectors[pick], size);
        if (size >= 4096 && memcmp(work, "IMGSHARE", 8) == 0) {
            put(work + 192, key_length, 2);
            memset(work + 256, 0, 256);
            memcpy(work + 256, argv[2], key_length);
            fix_crcs(work, size);
        }
        if (below(4))
            size = mutate(work, size);
        if (!r && imgshare_receiver_open(&r, argv[2]) != IMGSHARE_OK)
            return 2;
        imgshare_receiver_set_lock_timeout(r, 1.0);
        read_live(r, numbers, work, size, &lock, &pins);
        if (below(8) == 0) {
            imgshare_receiver_close(r);
            r = NULL;
        }
    }
    imgshare_receiver_close(r);
    if (lock >= 0)
        semctl(lock, 0, IPC_RMID);
    if (pins >= 0)
        semctl(pins, 0, IPC_RMID);
    while (count)
        free(vectors[--count]);
    free(work);
    printf("%s %ld %ld\n", failures ? "FAILED" : "ok", cases, live);
    return failures ? 1 : 0;
}

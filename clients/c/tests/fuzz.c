/* fuzz: the C reader fed mutated control blocks, slot descriptors and semaphore values; build it with
 * -fsanitize=address,undefined.
 *
 *   fuzz FOLDER MANIFEST KEY CASES LIVE_CASES SEED
 *
 * Starts from the share vectors the manifest lists (the format of tests/vectors.c; FOLDER holds their
 * files) and mutates them: random bytes (with the CRCs recomputed, so the mutation reaches the checks
 * behind them, or not), fields set to edge values (sizes, strides, lengths, slot tables, hints, pending
 * states, gates and pins), truncated segments. CASES of them are read in memory: each control block by
 * the control-block check, each data segment through imgshare_read_image() with buffers of exact, short and
 * spare sizes (malloc'd to the byte, so a write past the end is caught). LIVE_CASES become real objects at
 * KEY (control segment, data segments named by id, a semaphore set) read by a real receiver (metadata,
 * copy, borrow). Only statuses 0, 1, 3, 4 and 5 may come back, each error with a sentence, and an image
 * only with metadata that fits its buffer; everything made is removed by id. Prints "ok CASES LIVE".
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/shm.h>

#define IMGSHARE_IMPLEMENTATION
#include "imgshare.h"
#include "tests/files.h"

#define MAX_VECTORS 64
#define MAX_DATA 8

typedef struct vector {
    unsigned char *control, *data[MAX_DATA];
    size_t control_size, data_size[MAX_DATA];
    int data_count, sem_count;
    int semaphores[2 + 2 * MAX_DATA];
} vector;

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

static uint64_t edge_value(size_t size)
{
    static const uint64_t edges[] = {0, 1, 2, 3, 7, 8, 9, 15, 16, 17, 255, 256, 257, 1024, 1025, 4095, 4096, 4097,
                                     8191, 8192, 8193, 12288, 32767, 32768, 65535, 65536, 65537, 0x7FFFFFFF,
                                     0x80000000u, 0xFFFFFFFFu, 0x100000000ull, 0x200000001ull, 0x300000000ull,
                                     0x7FFFFFFFFFFFFFFFull, 0xFFFFFFFFFFFFF000ull, 0xFFFFFFFFFFFFFFFFull};
    switch (below(4)) {
    case 0: return size + below(3) - 1;
    case 1: return next();
    default: return edges[below(sizeof edges / sizeof edges[0])];
    }
}

static void fix_control_crc(unsigned char *c, size_t size)
{
    unsigned char zeroed[4096];
    if (size < 4096)
        return;
    memcpy(zeroed, c, 4096);
    memset(zeroed + 28, 0, 4);
    memset(zeroed + 64, 0, 448);
    put(c + 28, imgshare__crc32(zeroed, 4096), 4);
}

static void fix_descriptor_crc(unsigned char *d, size_t size)
{
    if (size >= 8192)
        put(d + 36, imgshare__crc_with_hole(d, 8192, 32, 8), 4);
}

/* One mutation of a control block copy; its new size. */
static size_t mutate_control(unsigned char *c, size_t size)
{
    static const int fields[][2] = {{8, 2}, {10, 2}, {12, 4}, {16, 8}, {24, 2}, {64, 4}, {68, 4}, {72, 4}, {80, 8},
                                    {88, 8}, {96, 8}, {104, 8}, {128, 8}, {136, 4}, {144, 8}, {152, 4}, {240, 8}};
    size_t i, n;
    switch (below(4)) {
    case 0:
        n = 1 + below(6);
        for (i = 0; i < n && size; i++)
            c[below(size < 4096 ? size : 4096)] = (unsigned char)next();
        if (below(4))
            fix_control_crc(c, size);
        break;
    case 1:
        i = below(sizeof fields / sizeof fields[0]);
        if (size >= 4096) {
            put(c + fields[i][0] + (fields[i][0] >= 128 && fields[i][0] < 256 ? 16 * below(8) : 0), edge_value(size),
                fields[i][1]);
            fix_control_crc(c, size);
        }
        break;
    case 2:
        size = below(size + 1); /* the kernel's size is what counts */
        break;
    default:
        for (i = 8; i < size; i++)
            c[i] = (unsigned char)next();
        if (size >= 10)
            put(c + 8, below(2) ? 3 : next(), 2);
        if (below(2))
            fix_control_crc(c, size);
        break;
    }
    return size;
}

/* One mutation of a data segment copy; its new size. */
static size_t mutate_data(unsigned char *d, size_t size)
{
    static const int fields[][2] = {{8, 2}, {10, 2}, {16, 8}, {24, 8}, {32, 4}, {40, 8}, {48, 4}, {52, 4}, {56, 4},
                                    {60, 4}, {64, 8}, {72, 4}, {80, 8}, {96, 16}, {112, 16}, {128, 8}, {136, 2},
                                    {138, 2}, {140, 2}, {142, 2}, {144, 4}, {148, 4}, {156, 4}, {160, 2}};
    size_t i, n;
    switch (below(6)) {
    case 0:
        n = 1 + below(8);
        for (i = 0; i < n && size; i++)
            d[below(size)] = (unsigned char)next();
        if (below(4))
            fix_descriptor_crc(d, size);
        break;
    case 1:
        i = below(sizeof fields / sizeof fields[0]);
        if (size >= 8192) {
            put(d + fields[i][0], edge_value(size), fields[i][1] > 8 ? 8 : fields[i][1]);
            if (below(2)) /* and the payload length, to match a changed stride or height */
                put(d + 64, edge_value(size), 8);
            fix_descriptor_crc(d, size);
        }
        break;
    case 2: /* tags: random text, or JSON-ish text */
        if (size >= 8192) {
            static const char *pieces[] = {"{", "}", "[", "]", "\"a\"", ":", ",", "1", "-0.5e3", "null", "true",
                                           "\"\\u0061\"", "\"\\ud800\"", " ", "NaN", "\xef\xbb\xbf", "\"\xff\""};
            size_t length = 0;
            n = below(40);
            for (i = 0; i < n; i++) {
                const char *piece = pieces[below(sizeof pieces / sizeof pieces[0])];
                size_t piece_length = strlen(piece);
                if (length + piece_length > 4096)
                    break;
                memcpy(d + 4096 + length, piece, piece_length);
                length += piece_length;
            }
            memset(d + 4096 + length, 0, 4096 - length);
            put(d + 160, below(8) ? length : edge_value(length), 2);
            fix_descriptor_crc(d, size);
        }
        break;
    case 3: /* truncated, often just short of its pixels */
        size = below(2) ? below(size + 1) : size - below(size < 64 ? size + 1 : 64);
        break;
    case 4: /* a consistent geometry, so the checks behind the payload's length are reached */
        if (size >= 8192) {
            uint32_t width = (uint32_t)(below(2) ? 1 + below(64) : edge_value(size)), height = (uint32_t)(1 + below(64));
            uint32_t stride = (uint32_t)(width * (1 + below(8)) + below(2) * below(4097));
            put(d + 48, width, 4);
            put(d + 52, below(4) ? height : (uint32_t)edge_value(size), 4);
            put(d + 56, stride, 4);
            put(d + 64, (uint64_t)stride * (uint32_t)(d[52] | d[53] << 8 | d[54] << 16 | (uint32_t)d[55] << 24), 8);
            fix_descriptor_crc(d, size);
        }
        break;
    default:
        for (i = 16; i < (size < 8192 ? size : 8192); i++)
            d[i] = (unsigned char)next();
        if (below(2))
            fix_descriptor_crc(d, size);
        break;
    }
    return size;
}

static void check(imgshare_status st, const char *where, const imgshare_info *info, size_t capacity)
{
    if (st != IMGSHARE_OK && st != IMGSHARE_ERROR && st != IMGSHARE_NOT_SHARED && st != IMGSHARE_CORRUPT &&
        st != IMGSHARE_TIMED_OUT) {
        printf("FAIL %s: status %d (%s)\n", where, (int)st, imgshare_message());
        failures++;
    } else if (st != IMGSHARE_OK && !imgshare_message()[0]) {
        printf("FAIL %s: status %d without a message\n", where, (int)st);
        failures++;
    } else if (st == IMGSHARE_OK && info &&
               (info->width < 1 || info->height < 1 || (uint64_t)info->stride * info->height != info->payload_length ||
                info->tags_length > IMGSHARE_TAGS_MAX || info->tags[info->tags_length] != '\0' ||
                (capacity && imgshare_row_bytes(info->mode, info->width) * info->height > capacity))) {
        printf("FAIL %s: an image with impossible metadata\n", where);
        failures++;
    }
}

static void read_offline(const vector *v)
{
    int which = (int)below((size_t)v->data_count + 1);
    if (which == v->data_count || !v->data[which]) { /* the control block check on its own */
        unsigned char raw[8192]; /* the check reads the first 4096 (zero beyond the segment); some vectors are larger */
        size_t size = v->control ? (v->control_size < sizeof raw ? v->control_size : sizeof raw) : 0;
        imgshare__control c;
        imgshare__found found;
        if (!v->control)
            return;
        memset(raw, 0, sizeof raw);
        memcpy(raw, v->control, size);
        size = mutate_control(raw, size);
        if (size < 4096)
            memset(raw + size, 0, 4096 - size); /* as imgshare__look copies a segment shorter than a block */
        check(imgshare__check_control(raw, size, "vector", 6, &c, &found), "control", NULL, 0);
        return;
    }
    {
        size_t size = v->data_size[which];
        unsigned char *work = (unsigned char *)malloc(size ? size : 1), *copy;
        imgshare_info info;
        imgshare_status st;
        memcpy(work, v->data[which], size);
        size = mutate_data(work, size);
        if (below(3) == 0)
            size = mutate_data(work, size);
        copy = (unsigned char *)malloc(size ? size : 1); /* exactly the segment's bytes: reading past them is caught */
        memcpy(copy, work, size);
        free(work);
        st = imgshare_read_image(copy, size, "vector", (int)below(2), &info, NULL, 0, 0);
        check(st, "metadata", &info, 0);
        if (st == IMGSHARE_OK) {
            size_t needed = imgshare_row_bytes(info.mode, info.width) * info.height;
            size_t capacity = below(3) == 0 ? needed - below(needed) : needed + below(64);
            unsigned char *buffer = (unsigned char *)malloc(capacity ? capacity : 1);
            if (buffer) {
                st = imgshare_read_image(copy, size, "vector", 1, &info, buffer, capacity, below(2) ? 0 : below(3 * needed));
                check(st, "copy", &info, 0);
                free(buffer);
            }
        }
        free(copy);
    }
}

/* A mutated vector made real at the key (control segment, data segments, set), read, and removed. */
static void read_live(const vector *v, const char *key, int32_t sysv)
{
    unsigned char control[8192];
    size_t control_size = v->control_size < sizeof control ? v->control_size : sizeof control;
    int ids[MAX_DATA], control_id = -1, set = -1, i, sems = v->sem_count;
    imgshare_receiver *r = NULL;
    imgshare_info info;
    imgshare_status st;
    const void *pixels;
    size_t key_length = strlen(key);
    memcpy(control, v->control, control_size);
    if (control_size >= 4096 && key_length == imgshare__u16(control + 24)) { /* ours: name the fuzzer's key */
        memcpy(control + 512, key, key_length);
        fix_control_crc(control, control_size);
    }
    for (i = 0; i < v->data_count; i++) {
        size_t size = v->data_size[i];
        unsigned char *data = v->data[i] ? (unsigned char *)malloc(size) : NULL, *base;
        ids[i] = -1;
        if (!data)
            continue;
        memcpy(data, v->data[i], size);
        if (below(3) == 0)
            size = mutate_data(data, size);
        ids[i] = shmget(IPC_PRIVATE, size ? size : 1, IPC_CREAT | 0600);
        base = ids[i] >= 0 ? (unsigned char *)shmat(ids[i], NULL, 0) : (unsigned char *)-1;
        if (base != (unsigned char *)-1) {
            memcpy(base, data, size);
            shmdt(base);
        }
        free(data);
        if (control_size >= 4096)
            put(control + 128 + 16 * i + 8, (uint32_t)ids[i], 4); /* outside the CRC */
    }
    if (below(3) == 0)
        control_size = mutate_control(control, control_size);
    control_id = shmget(sysv, control_size ? control_size : 1, IPC_CREAT | IPC_EXCL | 0600);
    if (control_id >= 0) {
        unsigned char *base = (unsigned char *)shmat(control_id, NULL, 0);
        if (base != (unsigned char *)-1) {
            memcpy(base, control, control_size);
            shmdt(base);
        }
    } else {
        printf("FAIL live: cannot create the control segment\n");
        failures++;
    }
    if (below(6) == 0) /* another number of semaphores, or none */
        sems = below(3) == 0 ? 0 : (int)below(2 + 2 * MAX_DATA) + 1;
    if (sems > 0) {
        set = semget(sysv, sems, IPC_CREAT | IPC_EXCL | 0600);
        for (i = 0; set >= 0 && i < sems; i++) {
            union imgshare__semun arg;
            arg.val = i < v->sem_count ? v->semaphores[i] : 0;
            if (below(5) == 0)
                arg.val = (int)(below(3) == 0 ? below(32768) : below(3));
            semctl(set, i, SETVAL, arg);
        }
    }
    imgshare_receiver_open(&r, key);
    imgshare_receiver_set_lock_timeout(r, 0.2);
    st = imgshare_receive_info(r, &info);
    check(st, "live metadata", &info, 0);
    if (st == IMGSHARE_OK) {
        size_t needed = imgshare_row_bytes(info.mode, info.width) * info.height;
        unsigned char *buffer = (unsigned char *)malloc(needed ? needed : 1);
        if (buffer) {
            st = imgshare_receive(r, buffer, needed, 0, &info);
            check(st, "live copy", &info, needed);
            free(buffer);
        }
    }
    st = imgshare_borrow(r, &pixels, &info);
    check(st, "live borrow", &info, 0);
    if (st == IMGSHARE_OK) {
        volatile unsigned char last = ((const unsigned char *)pixels)[info.payload_length - 1];
        (void)last; /* the whole payload is readable */
    }
    imgshare_receiver_close(r);
    for (i = 0; i < v->data_count; i++)
        if (ids[i] >= 0)
            shmctl(ids[i], IPC_RMID, NULL);
    if (control_id >= 0)
        shmctl(control_id, IPC_RMID, NULL);
    if (set >= 0)
        semctl(set, 0, IPC_RMID);
}

static int load(const char *folder, char *line, vector *v)
{
    char *words[64], *p, path[4096];
    int count = 0, i;
    memset(v, 0, sizeof *v);
    while (count < 64 && (p = strtok(count ? NULL : line, " \n")) != NULL)
        words[count++] = p;
    if (count < 6 || strcmp(words[3], "-") == 0)
        return 0;
    snprintf(path, sizeof path, "%s/%s", folder, words[3]);
    if (!(v->control = read_file(path, &v->control_size)))
        return 0;
    v->data_count = atoi(words[4]);
    if (v->data_count > MAX_DATA)
        return 0;
    for (i = 0; i < v->data_count; i++) {
        if (strcmp(words[5 + i], "-") == 0 || strcmp(words[5 + i], "*") == 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", folder, words[5 + i]);
        v->data[i] = read_file(path, &v->data_size[i]);
    }
    v->sem_count = atoi(words[5 + v->data_count]);
    for (i = 0; i < v->sem_count && i < 2 + 2 * MAX_DATA; i++)
        v->semaphores[i] = atoi(words[6 + v->data_count + i]);
    return 1;
}

int main(int argc, char **argv)
{
    static vector vectors[MAX_VECTORS];
    char line[8192];
    size_t count = 0, i;
    long cases, live, n;
    int32_t numbers[3];
    FILE *manifest;
    if (argc != 7) {
        fprintf(stderr, "usage: fuzz FOLDER MANIFEST KEY CASES LIVE_CASES SEED\n");
        return 2;
    }
    cases = atol(argv[4]);
    live = atol(argv[5]);
    rng_state = strtoull(argv[6], NULL, 10) | 1;
    if (!(manifest = fopen(argv[2], "r")) || imgshare_key_numbers(argv[3], numbers) != IMGSHARE_OK)
        return 2;
    while (count < MAX_VECTORS && fgets(line, sizeof line, manifest))
        count += (size_t)load(argv[1], line, &vectors[count]);
    fclose(manifest);
    if (!count)
        return 2;
    for (n = 0; n < cases; n++)
        read_offline(&vectors[below(count)]);
    for (n = 0; n < live; n++)
        read_live(&vectors[below(count)], argv[3], numbers[0]);
    for (i = 0; i < count; i++) {
        int j;
        free(vectors[i].control);
        for (j = 0; j < MAX_DATA; j++)
            free(vectors[i].data[j]);
    }
    printf("%s %ld %ld\n", failures ? "FAILED" : "ok", cases, live);
    return failures ? 1 : 0;
}

/* tool: the C side of tests/c (one command per run; exit status = the library's status).
 *
 *   tool send KEY MODE W H FILE [--pad N] [--frame] [--persist] [--timeout S] [--no-checksum] [--bgr]
 *             [--source NAME] [--palette FILE] [--palette-rgba] [--transparency KIND V0 V1 V2] [--tags JSON]
 *        shares FILE's unpadded rows (given to the library with N bytes of padding a row), prints
 *        "shared SEQ", serves until stdin closes or SIGTERM, then closes (removing, or --persist);
 *        a line "again" on stdin shares the same image once more.
 *   tool stream KEY MODE W H COUNT [--frame] [--no-checksum] [--vary]
 *        shares COUNT images whose byte i is (7 * sequence + i) & 255, prints "done SEQ", serves as above;
 *        --vary: each image another width, from W/2 to W (so slots keep getting new data segments).
 *   tool poll KEY SECONDS
 *        reads the key (a verified copy) as fast as it can for SECONDS and prints how many reads ended in each
 *        status: "statuses 0:N 1:N ... 7:N" (a receiver that keeps its attachments between reads).
 *   tool check KEY [--timeout S]
 *        reads the current image (verified) into a buffer of its size and prints "image SEQ WxH GOOD"
 *        (GOOD: the bytes follow stream's pattern).
 *   tool receive KEY OUT [--stride S] [--borrow] [--timeout S] [--no-verify]
 *        writes the current image's unpadded rows to OUT and prints its metadata on one line (the tags
 *        last, after "tags=", as they are).
 *   tool info KEY [--timeout S]
 *   tool follow KEY COUNT TIMEOUT [--step] [--borrow] [--no-verify] [--until SEQ]
 *        receives COUNT new images (each within TIMEOUT s), printing "frame SEQ MISSED GOOD" (GOOD: the
 *        bytes follow stream's pattern); --step waits for a line on stdin before each wait after the first
 *        (with --borrow, holding the image borrowed last, checked again after the line: "kept SEQ GOOD");
 *        --until stops after the image of sequence SEQ (or a later one).
 * A receiving command whose read fails exits 99 if the library left anything in its imgshare_info.
 */
#define _POSIX_C_SOURCE 200809L /* sigaction(), nanosleep(): this program's own needs */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define IMGSHARE_IMPLEMENTATION
#include "imgshare.h"
#include "tests/files.h"

static volatile sig_atomic_t stopping;

static void on_term(int signal_number)
{
    (void)signal_number;
    stopping = 1;
}

static const char *option(int argc, char **argv, const char *name)
{
    int i;
    for (i = 1; i < argc - 1; i++)
        if (strcmp(argv[i], name) == 0)
            return argv[i + 1];
    return NULL;
}

static int flag(int argc, char **argv, const char *name)
{
    int i;
    for (i = 1; i < argc; i++)
        if (strcmp(argv[i], name) == 0)
            return 1;
    return 0;
}

/* The imgshare_info of the receiving commands: filled with 0xA5 before each call, so a failed call that
 * leaves anything in it (a half-read image, an earlier one) is caught when it reports its failure. */
static imgshare_info *read_info;

static imgshare_info *poisoned(imgshare_info *info)
{
    memset(info, 0xA5, sizeof *info);
    read_info = info;
    return info;
}

static int fail(imgshare_status status)
{
    static const imgshare_info zero;
    fprintf(stderr, "tool: %s\n", imgshare_message());
    if (read_info && memcmp(read_info, &zero, sizeof zero) != 0) {
        fprintf(stderr, "tool: the imgshare_info of the failed call was not zeroed\n");
        return 99;
    }
    return (int)status;
}

/* Serve until stdin closes or SIGTERM arrives; 1 when a line "again" came first. */
static int serve(void)
{
    struct sigaction action;
    char line[256];
    memset(&action, 0, sizeof action);
    action.sa_handler = on_term;
    sigaction(SIGTERM, &action, NULL); /* no SA_RESTART: fgets() returns at once */
    while (!stopping && fgets(line, sizeof line, stdin)) {
        if (strncmp(line, "again", 5) == 0)
            return 1;
    }
    return 0;
}

static void print_info(const imgshare_info *info)
{
    printf("image %s %ux%u stride=%u seq=%llu missed=%llu pid=%d alive=%d persisted=%d bgr=%d palette=%s/%u "
           "transparency=%d/%u/%u,%u,%u checksum=%d epoch=%016llx source=%s tags=%s\n",
           imgshare_mode_name(info->mode), (unsigned)info->width, (unsigned)info->height, (unsigned)info->stride,
           (unsigned long long)info->sequence, (unsigned long long)info->missed, (int)info->sender_pid,
           info->sender_alive, info->persisted, info->bgr, info->palette_mode[0] ? info->palette_mode : "-",
           (unsigned)info->palette_length, info->transparency_kind, (unsigned)info->transparency_length,
           (unsigned)info->transparency_values[0], (unsigned)info->transparency_values[1],
           (unsigned)info->transparency_values[2], info->checksum_kind, (unsigned long long)info->epoch,
           info->source_name, info->tags);
    fflush(stdout);
}

static int share_from(imgshare_sender *s, const unsigned char *rows, uint32_t w, uint32_t h, imgshare_mode mode,
                      size_t pad, int in_place, const imgshare_extras *extras)
{
    size_t row = imgshare_row_bytes(mode, w), stride = row + pad, y;
    imgshare_status st;
    if (in_place) {
        void *pixels;
        size_t slot_stride;
        if ((st = imgshare_frame_begin(s, w, h, mode, extras, &pixels, &slot_stride)))
            return fail(st);
        for (y = 0; y < h; y++)
            memcpy((unsigned char *)pixels + y * slot_stride, rows + y * row, row);
        st = imgshare_frame_publish(s);
    } else {
        unsigned char *padded = (unsigned char *)malloc(stride * h);
        if (!padded)
            return 1;
        memset(padded, 0xAB, stride * h); /* padding a reader must never see */
        for (y = 0; y < h; y++)
            memcpy(padded + y * stride, rows + y * row, row);
        st = imgshare_share(s, padded, w, h, mode, stride, extras);
        free(padded);
    }
    return st ? fail(st) : 0;
}

static int cmd_send(int argc, char **argv)
{
    imgshare_sender *s;
    imgshare_mode mode;
    imgshare_extras extras;
    imgshare_status st;
    size_t length, palette_length = 0;
    unsigned char *rows, *palette = NULL;
    uint32_t w = (uint32_t)atol(argv[4]), h = (uint32_t)atol(argv[5]);
    const char *text;
    int result;
    if ((st = imgshare_mode_from_name(argv[3], &mode)))
        return fail(st);
    rows = read_file(argv[6], &length);
    if (!rows || length != imgshare_row_bytes(mode, w) * h) {
        fprintf(stderr, "tool: %s does not hold %ux%u %s rows\n", argv[6], (unsigned)w, (unsigned)h, argv[3]);
        free(rows);
        return 1;
    }
    memset(&extras, 0, sizeof extras);
    extras.source_name = option(argc, argv, "--source");
    extras.bgr = flag(argc, argv, "--bgr");
    extras.tags = option(argc, argv, "--tags");
    if ((text = option(argc, argv, "--palette"))) {
        palette = read_file(text, &palette_length);
        extras.palette = palette;
        extras.palette_length = (uint32_t)palette_length;
        extras.palette_rgba = flag(argc, argv, "--palette-rgba");
    }
    if ((text = option(argc, argv, "--transparency"))) {
        int i;
        extras.transparency_kind = atoi(text);
        for (i = 1; i < argc - 4; i++) {
            if (strcmp(argv[i], "--transparency") == 0) {
                extras.transparency_values[0] = (uint32_t)strtoul(argv[i + 2], NULL, 10);
                extras.transparency_values[1] = (uint32_t)strtoul(argv[i + 3], NULL, 10);
                extras.transparency_values[2] = (uint32_t)strtoul(argv[i + 4], NULL, 10);
            }
        }
        if (extras.transparency_kind == IMGSHARE_TRANSPARENCY_ALPHA && palette) {
            extras.transparency_alpha = palette; /* the alpha of each entry: the palette bytes again */
            extras.transparency_alpha_length = (uint32_t)(palette_length < 256 ? palette_length : 256);
        }
    }
    if ((st = imgshare_sender_open(&s, argv[2]))) {
        free(rows);
        free(palette);
        return fail(st);
    }
    if ((text = option(argc, argv, "--timeout")))
        imgshare_sender_set_lock_timeout(s, atof(text));
    imgshare_sender_set_checksum(s, !flag(argc, argv, "--no-checksum"));
    text = option(argc, argv, "--pad");
    result = share_from(s, rows, w, h, mode, text ? (size_t)atol(text) : 0, flag(argc, argv, "--frame"), &extras);
    while (result == 0) {
        printf("shared %llu\n", (unsigned long long)imgshare_sender_sequence(s));
        fflush(stdout);
        if (!serve())
            break;
        result = share_from(s, rows, w, h, mode, text ? (size_t)atol(text) : 0, flag(argc, argv, "--frame"), &extras);
    }
    free(rows);
    free(palette);
    if (result) {
        imgshare_sender_close(s, 0);
        return result;
    }
    st = imgshare_sender_close(s, flag(argc, argv, "--persist"));
    printf("closed\n");
    return st ? fail(st) : 0;
}

static int cmd_stream(int argc, char **argv)
{
    imgshare_sender *s;
    imgshare_mode mode;
    imgshare_status st;
    uint32_t w = (uint32_t)atol(argv[4]), h = (uint32_t)atol(argv[5]);
    long count = atol(argv[6]), n;
    size_t length, i;
    unsigned char *rows;
    if ((st = imgshare_mode_from_name(argv[3], &mode)))
        return fail(st);
    length = imgshare_row_bytes(mode, w) * h;
    rows = (unsigned char *)malloc(length);
    if (!rows)
        return 1;
    if ((st = imgshare_sender_open(&s, argv[2]))) {
        free(rows);
        return fail(st);
    }
    imgshare_sender_set_checksum(s, !flag(argc, argv, "--no-checksum"));
    for (n = 0; n < count; n++) {
        uint64_t sequence = imgshare_sender_sequence(s) + 1;
        uint32_t width = flag(argc, argv, "--vary") ? w / 2 + (uint32_t)((sequence * 37) % (w - w / 2 + 1)) : w;
        int result;
        if (n == 0) { /* the first image's sequence is known once the key is claimed (another sender's may go on) */
            void *pixels;
            size_t stride;
            if ((st = imgshare_frame_begin(s, width, h, mode, NULL, &pixels, &stride))) {
                free(rows);
                imgshare_sender_close(s, 0);
                return fail(st);
            }
            sequence = imgshare_sender_sequence(s) + 1;
            for (i = 0; i < stride * h; i++)
                ((unsigned char *)pixels)[i] = (unsigned char)(7 * sequence + i);
            if ((st = imgshare_frame_publish(s))) {
                free(rows);
                imgshare_sender_close(s, 0);
                return fail(st);
            }
            continue;
        }
        for (i = 0; i < imgshare_row_bytes(mode, width) * h; i++)
            rows[i] = (unsigned char)(7 * sequence + i);
        result = share_from(s, rows, width, h, mode, 0, flag(argc, argv, "--frame"), NULL);
        if (result) {
            free(rows);
            imgshare_sender_close(s, 0);
            return result;
        }
    }
    free(rows);
    printf("done %llu\n", (unsigned long long)imgshare_sender_sequence(s));
    fflush(stdout);
    while (serve()) {
    }
    st = imgshare_sender_close(s, 0);
    return st ? fail(st) : 0;
}

static int write_rows(const char *path, const unsigned char *pixels, size_t stride, const imgshare_info *info)
{
    size_t row = imgshare_row_bytes(info->mode, info->width), y;
    FILE *f = fopen(path, "wb");
    if (!f)
        return 1;
    for (y = 0; y < info->height; y++)
        fwrite(pixels + y * stride, 1, row, f);
    return fclose(f) != 0;
}

static imgshare_receiver *open_receiver(int argc, char **argv, imgshare_status *st)
{
    imgshare_receiver *r = NULL;
    const char *text;
    if ((*st = imgshare_receiver_open(&r, argv[2])))
        return NULL;
    if ((text = option(argc, argv, "--timeout")))
        imgshare_receiver_set_lock_timeout(r, atof(text));
    imgshare_receiver_set_verify(r, !flag(argc, argv, "--no-verify"));
    return r;
}

static int cmd_receive(int argc, char **argv)
{
    imgshare_info info;
    imgshare_status st;
    imgshare_receiver *r = open_receiver(argc, argv, &st);
    int result = 0;
    if (!r)
        return fail(st);
    if (flag(argc, argv, "--borrow")) {
        const void *pixels;
        if ((st = imgshare_borrow(r, &pixels, poisoned(&info))) == IMGSHARE_OK)
            result = write_rows(argv[3], (const unsigned char *)pixels, info.stride, &info);
    } else {
        const char *text = option(argc, argv, "--stride");
        size_t stride;
        unsigned char *buffer;
        if ((st = imgshare_receive_info(r, poisoned(&info))) == IMGSHARE_OK) {
            /* the size may change between the two calls: ask for room to spare, as a program would */
            stride = text ? (size_t)atol(text) : 0;
            {
                size_t row = imgshare_row_bytes(info.mode, info.width), capacity = (stride > row ? stride : row) * info.height;
                buffer = (unsigned char *)malloc(capacity);
                if (!buffer)
                    return 1;
                memset(buffer, 0xCD, capacity);
                st = imgshare_receive(r, buffer, capacity, stride, poisoned(&info));
                if (st == IMGSHARE_OK)
                    result = write_rows(argv[3], buffer, stride ? stride : row, &info);
                free(buffer);
            }
        }
    }
    if (st == IMGSHARE_OK)
        print_info(&info);
    imgshare_receiver_close(r);
    return st ? fail(st) : result;
}

static int cmd_info(int argc, char **argv)
{
    imgshare_info info;
    imgshare_status st;
    imgshare_receiver *r = open_receiver(argc, argv, &st);
    if (!r)
        return fail(st);
    st = imgshare_receive_info(r, poisoned(&info));
    if (st == IMGSHARE_OK)
        print_info(&info);
    imgshare_receiver_close(r);
    return st ? fail(st) : 0;
}

static int follows_pattern(const unsigned char *pixels, size_t stride, const imgshare_info *info)
{
    size_t row = imgshare_row_bytes(info->mode, info->width), x, y;
    for (y = 0; y < info->height; y++)
        for (x = 0; x < row; x++)
            if (pixels[y * stride + x] != (unsigned char)(7 * info->sequence + y * row + x))
                return 0;
    return 1;
}

static int cmd_check(int argc, char **argv)
{
    imgshare_info info;
    imgshare_status st;
    imgshare_receiver *r = open_receiver(argc, argv, &st);
    unsigned char *buffer = NULL;
    size_t length = 0;
    if (!r)
        return fail(st);
    if ((st = imgshare_receive_info(r, poisoned(&info))) == IMGSHARE_OK) {
        length = imgshare_row_bytes(info.mode, info.width) * info.height;
        buffer = (unsigned char *)malloc(length);
        if (!buffer)
            return 1;
        st = imgshare_receive(r, buffer, length, 0, poisoned(&info));
        if (st == IMGSHARE_NOT_SHARED || st == IMGSHARE_ERROR) /* replaced by a larger image meanwhile: once more */
            st = imgshare_receive_info(r, poisoned(&info));
        if (st == IMGSHARE_OK && length < imgshare_row_bytes(info.mode, info.width) * info.height) {
            free(buffer);
            length = imgshare_row_bytes(info.mode, info.width) * info.height;
            buffer = (unsigned char *)malloc(length);
            if (!buffer)
                return 1;
        }
        if (st == IMGSHARE_OK)
            st = imgshare_receive(r, buffer, length, 0, poisoned(&info));
    }
    if (st == IMGSHARE_OK)
        printf("image %llu %ux%u %d\n", (unsigned long long)info.sequence, (unsigned)info.width,
               (unsigned)info.height, follows_pattern(buffer, imgshare_row_bytes(info.mode, info.width), &info));
    free(buffer);
    imgshare_receiver_close(r);
    return st ? fail(st) : 0;
}

static int cmd_poll(int argc, char **argv)
{
    imgshare_info info;
    imgshare_status st;
    imgshare_receiver *r = open_receiver(argc, argv, &st);
    long counts[8] = {0};
    unsigned char *buffer = NULL;
    size_t capacity = 0;
    struct timespec start, now;
    double seconds = atof(argv[3]);
    if (!r)
        return fail(st);
    clock_gettime(CLOCK_MONOTONIC, &start);
    do {
        st = imgshare_receive_info(r, &info);
        if (st == IMGSHARE_OK) {
            size_t needed = imgshare_row_bytes(info.mode, info.width) * info.height;
            if (needed > capacity) {
                free(buffer);
                buffer = (unsigned char *)malloc(capacity = needed);
                if (!buffer)
                    return 1;
            }
            st = imgshare_receive(r, buffer, capacity, 0, &info);
        }
        if (st == IMGSHARE_CORRUPT)
            fprintf(stderr, "tool: %s\n", imgshare_message());
        counts[(unsigned)st < 8 ? (unsigned)st : 1]++;
        clock_gettime(CLOCK_MONOTONIC, &now);
    } while ((double)(now.tv_sec - start.tv_sec) + (double)(now.tv_nsec - start.tv_nsec) / 1e9 < seconds);
    printf("statuses 0:%ld 1:%ld 2:%ld 3:%ld 4:%ld 5:%ld 6:%ld 7:%ld\n", counts[0], counts[1], counts[2], counts[3],
           counts[4], counts[5], counts[6], counts[7]);
    free(buffer);
    imgshare_receiver_close(r);
    return 0;
}

static int cmd_follow(int argc, char **argv)
{
    imgshare_info info;
    imgshare_status st;
    imgshare_receiver *r = open_receiver(argc, argv, &st);
    long count = atol(argv[3]), n;
    double timeout = atof(argv[4]);
    int borrow = flag(argc, argv, "--borrow"), step = flag(argc, argv, "--step");
    const char *until = option(argc, argv, "--until");
    unsigned char *buffer = NULL;
    size_t capacity = 0;
    char line[64];
    const void *held = NULL;  /* the image borrowed last: pinned until the next call */
    imgshare_info held_info;
    if (!r)
        return fail(st);
    printf("ready\n");
    fflush(stdout);
    for (n = 0; n < count; n++) {
        const void *pixels = NULL;
        if (step && n > 0 && !fgets(line, sizeof line, stdin))
            break;
        if (held) { /* whatever the sender did meanwhile, the borrowed image is as it was */
            printf("kept %llu %d\n", (unsigned long long)held_info.sequence,
                   follows_pattern((const unsigned char *)held, held_info.stride, &held_info));
            fflush(stdout);
        }
        if (borrow) {
            st = imgshare_borrow_new(r, timeout, &pixels, poisoned(&info));
        } else {
            imgshare_info peek;
            if (!buffer) { /* sized from the first image; the stream keeps its size */
                double deadline = timeout;
                while ((st = imgshare_receive_info(r, &peek)) == IMGSHARE_NOT_SHARED && deadline > 0) {
                    struct timespec pause = {0, 20000000};
                    nanosleep(&pause, NULL);
                    deadline -= 0.02;
                }
                if (st)
                    break;
                capacity = imgshare_row_bytes(peek.mode, peek.width) * peek.height;
                buffer = (unsigned char *)malloc(capacity);
                if (!buffer)
                    break;
            }
            st = imgshare_receive_new(r, timeout, buffer, capacity, 0, poisoned(&info));
            pixels = buffer;
        }
        if (st)
            break;
        printf("frame %llu %llu %d\n", (unsigned long long)info.sequence, (unsigned long long)info.missed,
               follows_pattern((const unsigned char *)pixels, borrow ? info.stride : imgshare_row_bytes(info.mode, info.width), &info));
        fflush(stdout);
        if (borrow && step) {
            held = pixels;
            held_info = info;
        }
        if (until && info.sequence >= strtoull(until, NULL, 10))
            break;
    }
    free(buffer);
    imgshare_receiver_close(r);
    return st ? fail(st) : 0;
}

int main(int argc, char **argv)
{
    if (argc >= 7 && strcmp(argv[1], "send") == 0)
        return cmd_send(argc, argv);
    if (argc >= 7 && strcmp(argv[1], "stream") == 0)
        return cmd_stream(argc, argv);
    if (argc >= 4 && strcmp(argv[1], "receive") == 0)
        return cmd_receive(argc, argv);
    if (argc >= 3 && strcmp(argv[1], "info") == 0)
        return cmd_info(argc, argv);
    if (argc >= 5 && strcmp(argv[1], "follow") == 0)
        return cmd_follow(argc, argv);
    if (argc >= 3 && strcmp(argv[1], "check") == 0)
        return cmd_check(argc, argv);
    if (argc >= 4 && strcmp(argv[1], "poll") == 0)
        return cmd_poll(argc, argv);
    fprintf(stderr, "usage: tool send|stream|receive|info|follow|check|poll ... (see the comment at the top of tool.c)\n");
    return 2;
}

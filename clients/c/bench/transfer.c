/* transfer: the C side of bench/c_transfer.py (one-way times of a 3840x2160 RGBA image between processes).
 *
 *   transfer memcpy BYTES REPS            prints "memcpy SECONDS": the median time to copy BYTES
 *   transfer send KEY W H inplace|copy    per line "go" on stdin: fills a frame (not timed), then prints
 *                                         "sent SEQ T0" with T0 (CLOCK_MONOTONIC) taken just before the
 *                                         library call: imgshare_frame_publish() (inplace) or imgshare_share()
 *                                         from the program's own buffer (copy). Stops at "quit" or EOF.
 *   transfer receive KEY borrow|copy|hold N
 *                                         N times: waits for a newer image (verified), borrows it or copies it
 *                                         into its own buffer, checks two bytes against the fill, prints
 *                                         "got SEQ T1" with T1 taken once the pixels are in hand; hold: borrows
 *                                         it unverified and keeps it until the next (a follower showing it).
 */
#define _POSIX_C_SOURCE 200809L /* clock_gettime(): this program's own need */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define IMGSHARE_IMPLEMENTATION
#include "../imgshare.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int compare(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int bench_memcpy(size_t bytes, int reps)
{
    unsigned char *a = (unsigned char *)malloc(bytes), *b = (unsigned char *)malloc(bytes);
    double *times = (double *)malloc(sizeof(double) * (size_t)reps);
    int i;
    if (!a || !b || !times)
        return 1;
    memset(a, 1, bytes);
    memset(b, 2, bytes); /* both faulted in, as the slots of a warm segment are */
    for (i = 0; i < reps; i++) {
        double t0;
        a[i % bytes] = (unsigned char)i;
        t0 = now();
        memcpy(b, a, bytes);
        times[i] = now() - t0;
    }
    qsort(times, (size_t)reps, sizeof(double), compare);
    printf("memcpy %.6f %u\n", times[reps / 2], (unsigned)b[bytes / 2]);
    free(a);
    free(b);
    free(times);
    return 0;
}

static void fill(unsigned char *pixels, size_t length, uint64_t sequence)
{
    memset(pixels, (int)(sequence & 0xFF), length); /* the producer's work: not timed */
    pixels[length - 1] = (unsigned char)(sequence * 3);
}

static int bench_send(const char *key, uint32_t w, uint32_t h, int inplace)
{
    imgshare_sender *s;
    size_t length = (size_t)w * h * 4;
    unsigned char *own = inplace ? NULL : (unsigned char *)malloc(length);
    char line[32];
    if (imgshare_sender_open(&s, key) != IMGSHARE_OK || (!inplace && !own)) {
        fprintf(stderr, "transfer: %s\n", imgshare_message());
        return 1;
    }
    while (fgets(line, sizeof line, stdin) && strncmp(line, "go", 2) == 0) {
        uint64_t sequence = imgshare_sender_sequence(s) + 1;
        imgshare_status st;
        double t0;
        if (inplace) {
            void *pixels;
            size_t stride;
            if ((st = imgshare_frame_begin(s, w, h, IMGSHARE_MODE_RGBA, NULL, &pixels, &stride)) == IMGSHARE_OK) {
                fill((unsigned char *)pixels, length, sequence);
                t0 = now();
                st = imgshare_frame_publish(s);
            }
        } else {
            fill(own, length, sequence);
            t0 = now();
            st = imgshare_share(s, own, w, h, IMGSHARE_MODE_RGBA, 0, NULL);
        }
        if (st != IMGSHARE_OK) {
            fprintf(stderr, "transfer: %s\n", imgshare_message());
            break;
        }
        printf("sent %llu %.9f %.9f\n", (unsigned long long)imgshare_sender_sequence(s), t0, now());
        fflush(stdout);
    }
    free(own);
    return (int)imgshare_sender_close(s, 0);
}

/* borrow: 0 copy, 1 borrow (verified, let go at once), 2 hold (borrow unverified, held until the next one,
 * as a follower that shows each frame until the next arrives) */
static int bench_receive(const char *key, int borrow, int count)
{
    imgshare_receiver *r;
    imgshare_info info;
    unsigned char *buffer = NULL;
    size_t capacity = 0;
    int n;
    if (imgshare_receiver_open(&r, key) != IMGSHARE_OK)
        return 1;
    imgshare_receiver_set_verify(r, borrow != 2);
    printf("ready\n");
    fflush(stdout);
    for (n = 0; n < count; n++) {
        const unsigned char *pixels;
        imgshare_status st;
        double t1;
        if (borrow) {
            const void *p;
            st = imgshare_borrow_new(r, 30.0, &p, &info);
            pixels = (const unsigned char *)p;
        } else {
            if (!buffer) {
                while ((st = imgshare_receive_info(r, &info)) == IMGSHARE_NOT_SHARED) {
                }
                if (st != IMGSHARE_OK) {
                    fprintf(stderr, "transfer: %s\n", imgshare_message());
                    return (int)st;
                }
                capacity = (size_t)info.payload_length;
                buffer = (unsigned char *)malloc(capacity);
                if (!buffer)
                    return 1;
                memset(buffer, 0, capacity); /* a reused buffer: faulted in once */
            }
            st = imgshare_receive_new(r, 30.0, buffer, capacity, 0, &info);
            pixels = buffer;
        }
        t1 = now();
        if (st != IMGSHARE_OK) {
            fprintf(stderr, "transfer: %s\n", imgshare_message());
            return (int)st;
        }
        if (pixels[0] != (unsigned char)(info.sequence & 0xFF) ||
            pixels[info.payload_length - 1] != (unsigned char)(info.sequence * 3)) {
            fprintf(stderr, "transfer: image %llu has the wrong pixels\n", (unsigned long long)info.sequence);
            return 1;
        }
        if (borrow != 2)
            imgshare_release(r);
        printf("got %llu %.9f\n", (unsigned long long)info.sequence, t1);
        fflush(stdout);
    }
    free(buffer);
    imgshare_receiver_close(r);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "memcpy") == 0)
        return bench_memcpy((size_t)atol(argv[2]), atoi(argv[3]));
    if (argc == 6 && strcmp(argv[1], "send") == 0)
        return bench_send(argv[2], (uint32_t)atol(argv[3]), (uint32_t)atol(argv[4]), strcmp(argv[5], "inplace") == 0);
    if (argc == 5 && strcmp(argv[1], "receive") == 0)
        return bench_receive(argv[2], strcmp(argv[3], "hold") == 0 ? 2 : strcmp(argv[3], "borrow") == 0, atoi(argv[4]));
    fprintf(stderr, "usage: see the comment at the top of transfer.c\n");
    return 2;
}

/* options: imgshare.h's compile-time options at work, built with no -lxxhash and no feature macro.
 *
 *   options KEY      shares a 33x7 RGB image with padded rows, reads it back (copied and borrowed), and
 *                    prints "ok ALLOCATIONS ASSERTS" if the pixels match and every allocation the library
 *                    made through IMGSHARE_MALLOC was given back through IMGSHARE_FREE.
 *
 * Other headers come first, XXH_INLINE_ALL compiles XXH3 in (nothing to link), IMGSHARE_STATIC keeps every
 * imgshare function in this file, and the allocator and assert macros count their uses.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sem.h>
#include <time.h>

static long allocations, live, asserts;

static void *counting_malloc(size_t size)
{
    allocations++;
    live++;
    return malloc(size);
}

static void counting_free(void *pointer)
{
    if (pointer)
        live--;
    free(pointer);
}

#define XXH_INLINE_ALL
#define IMGSHARE_STATIC
#define IMGSHARE_MALLOC(size) counting_malloc(size)
#define IMGSHARE_FREE(pointer) counting_free(pointer)
#define IMGSHARE_ASSERT(condition) (asserts++, (condition) ? (void)0 : abort())
#define IMGSHARE_IMPLEMENTATION
#include "imgshare.h"

static int fail(const char *what)
{
    fprintf(stderr, "options: %s: %s\n", what, imgshare_message());
    return 1;
}

int main(int argc, char **argv)
{
    enum { WIDTH = 33, HEIGHT = 7, ROW = WIDTH * 3, STRIDE = ROW + 5 };
    unsigned char source[HEIGHT][STRIDE], copy[HEIGHT][ROW];
    const void *borrowed;
    imgshare_sender *sender;
    imgshare_receiver *receiver;
    imgshare_info info;
    int x, y;
    if (argc != 2)
        return 2;
    for (y = 0; y < HEIGHT; y++)
        for (x = 0; x < STRIDE; x++)
            source[y][x] = (unsigned char)(x * 7 + y * 13);
    if (imgshare_sender_open(&sender, argv[1]) || imgshare_share(sender, source, WIDTH, HEIGHT, IMGSHARE_MODE_RGB,
                                                                 STRIDE, NULL))
        return fail("share");
    if (imgshare_receiver_open(&receiver, argv[1]) || imgshare_receive(receiver, copy, sizeof copy, 0, &info))
        return fail("receive");
    for (y = 0; y < HEIGHT; y++)
        if (memcmp(copy[y], source[y], ROW) != 0)
            return fail("the copy differs");
    if (imgshare_borrow(receiver, &borrowed, &info) || info.checksum_kind != 1)
        return fail("borrow");
    for (y = 0; y < HEIGHT; y++)
        if (memcmp((const unsigned char *)borrowed + (size_t)y * info.stride, source[y], ROW) != 0)
            return fail("the borrowed image differs");
    imgshare_receiver_close(receiver);
    imgshare_sender_close(sender, 0);
    if (live != 0) {
        fprintf(stderr, "options: %ld allocations not freed\n", live);
        return 1;
    }
    printf("ok %ld %ld\n", allocations, asserts);
    return 0;
}

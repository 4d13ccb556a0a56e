/* follow_key: write every new image shared under a key to a folder, as it is shared.
 *
 *   follow_key KEY FOLDER [COUNT]
 *
 * Each image becomes FOLDER/NNNNNN.pam (its sequence number): PAM for modes 1, L, LA, RGB, RGBA, P
 * (expanded through its palette) and I;16; modes I and F as raw little-endian rows (.raw). Prints a line
 * per image with the shares missed before it. Stops after COUNT images, or on SIGTERM or Ctrl+C.
 */
#define _POSIX_C_SOURCE 200809L /* sigaction(): this program's own need, not imgshare.h's */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define IMGSHARE_IMPLEMENTATION /* imgshare.h may come after other headers, or before */
#include "../imgshare.h"

static volatile sig_atomic_t stop;
static void on_signal(int number) { (void)number; stop = 1; }

static int write_image(const char *folder, const unsigned char *pixels, const imgshare_info *info)
{
    char path[4096];
    size_t x, y, row = imgshare_row_bytes(info->mode, info->width);
    const char *tupltype = NULL;
    int depth = 1, maxval = 255;
    FILE *f;
    switch (info->mode) {
    case IMGSHARE_MODE_1: tupltype = "BLACKANDWHITE"; maxval = 1; break;
    case IMGSHARE_MODE_L: tupltype = "GRAYSCALE"; break;
    case IMGSHARE_MODE_I16: tupltype = "GRAYSCALE"; maxval = 65535; break;
    case IMGSHARE_MODE_LA: tupltype = "GRAYSCALE_ALPHA"; depth = 2; break;
    case IMGSHARE_MODE_RGB: tupltype = "RGB"; depth = 3; break;
    case IMGSHARE_MODE_P: tupltype = "RGB"; depth = 3; break;
    case IMGSHARE_MODE_RGBA: tupltype = "RGB_ALPHA"; depth = 4; break;
    default: break;
    }
    snprintf(path, sizeof path, "%s/%06llu.%s", folder, (unsigned long long)info->sequence, tupltype ? "pam" : "raw");
    if (!(f = fopen(path, "wb")))
        return 1;
    if (tupltype)
        fprintf(f, "P7\nWIDTH %u\nHEIGHT %u\nDEPTH %d\nMAXVAL %d\nTUPLTYPE %s\nENDHDR\n", (unsigned)info->width,
                (unsigned)info->height, depth, maxval, tupltype);
    for (y = 0; y < info->height; y++) {
        const unsigned char *line = pixels + y * row;
        for (x = 0; tupltype && x < info->width; x++) {
            unsigned char px[4];
            switch (info->mode) {
            case IMGSHARE_MODE_1: px[0] = (line[x / 8] >> (7 - x % 8)) & 1; break;
            case IMGSHARE_MODE_I16: px[0] = line[2 * x + 1]; px[1] = line[2 * x]; break; /* PAM is big-endian */
            case IMGSHARE_MODE_P: {
                size_t entry = strcmp(info->palette_mode, "RGBA") == 0 ? 4 : 3, at = line[x] * entry;
                px[0] = px[1] = px[2] = line[x]; /* no palette: the index as grey */
                if (at + 3 <= info->palette_length)
                    memcpy(px, info->palette + at, 3);
                break;
            }
            default:
                memcpy(px, line + x * depth, (size_t)depth);
                if (info->bgr) { unsigned char b = px[0]; px[0] = px[2]; px[2] = b; }
                break;
            }
            fwrite(px, 1, info->mode == IMGSHARE_MODE_I16 ? 2 : (size_t)depth, f);
        }
        if (!tupltype)
            fwrite(line, 1, row, f);
    }
    printf("%s: %ux%u %s, sequence %llu, %llu missed\n", path, (unsigned)info->width, (unsigned)info->height,
           imgshare_mode_name(info->mode), (unsigned long long)info->sequence, (unsigned long long)info->missed);
    fflush(stdout);
    return fclose(f) != 0;
}

int main(int argc, char **argv)
{
    imgshare_receiver *receiver;
    imgshare_status st;
    struct sigaction action;
    long count = argc > 3 ? atol(argv[3]) : -1, written = 0;
    if (argc < 3) {
        fprintf(stderr, "usage: follow_key KEY FOLDER [COUNT]\n");
        return 2;
    }
    if ((st = imgshare_receiver_open(&receiver, argv[1])) != IMGSHARE_OK) {
        fprintf(stderr, "follow_key: %s\n", imgshare_message());
        return (int)st;
    }
    memset(&action, 0, sizeof action);
    action.sa_handler = on_signal;
    sigaction(SIGTERM, &action, NULL);
    sigaction(SIGINT, &action, NULL);
    while (!stop && written != count) {
        imgshare_info info;
        const void *pixels;
        st = imgshare_borrow_new(receiver, 0.5, &pixels, &info); /* waits on the new-image signal */
        if (st == IMGSHARE_TIMED_OUT || st == IMGSHARE_NOT_SHARED)
            continue; /* nothing new yet, or no sender now: keep following */
        if (st != IMGSHARE_OK) {
            fprintf(stderr, "follow_key: %s\n", imgshare_message());
            break;
        }
        /* a borrow's rows are info.stride apart: copy them out unpadded for write_image */
        {
            size_t row = imgshare_row_bytes(info.mode, info.width), y;
            unsigned char *rows = (unsigned char *)malloc(row * info.height);
            if (!rows)
                break;
            for (y = 0; y < info.height; y++)
                memcpy(rows + y * row, (const unsigned char *)pixels + y * info.stride, row);
            imgshare_release(receiver);
            if (write_image(argv[2], rows, &info)) {
                fprintf(stderr, "follow_key: cannot write into %s\n", argv[2]);
                free(rows);
                st = IMGSHARE_ERROR;
                break;
            }
            free(rows);
        }
        written++;
        st = IMGSHARE_OK;
    }
    imgshare_receiver_close(receiver);
    return (int)st;
}

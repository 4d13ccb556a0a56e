/* share_image: share a PBM, PGM, PPM or PAM file under a key and serve it until SIGTERM or Ctrl+C.
 *
 *   share_image KEY FILE [--persist]
 *
 * P4 (PBM), P5 (grey, 8 or 16 bits: L or I;16), P6 (RGB, 8 or 16 bits: RGB or RGB;16) and P7 (PAM:
 * GRAYSCALE, GRAYSCALE_ALPHA, RGB, RGB_ALPHA, BLACKANDWHITE; 16-bit RGB and RGB_ALPHA as RGB;16 and RGBA;16)
 * files. With --persist the share stays after it exits. Exit status: imgshare's codes.
 */
#define _POSIX_C_SOURCE 200809L /* sigaction(), sigsuspend(): this program's own need */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define IMGSHARE_IMPLEMENTATION
#include "../imgshare.h"

static volatile sig_atomic_t stop;
static void on_signal(int number) { (void)number; stop = 1; }

/* The next header token of a PNM file (comments skipped). */
static int token(FILE *f, char *out, size_t size)
{
    int c;
    size_t n = 0;
    while ((c = fgetc(f)) != EOF) {
        if (c == '#')
            while ((c = fgetc(f)) != EOF && c != '\n') {
            }
        else if (c > ' ')
            break;
    }
    while (c != EOF && c > ' ' && n + 1 < size) {
        out[n++] = (char)c;
        c = fgetc(f);
    }
    out[n] = '\0';
    return n > 0;
}

typedef struct picture {
    uint32_t width, height;
    imgshare_mode mode;
    unsigned char *pixels; /* unpadded rows in imgshare's layout */
} picture;

static const char *load(const char *path, picture *p)
{
    char magic[8], word[64], tupltype[64] = "";
    unsigned long width = 0, height = 0, maxval = 0, depth = 0, bytes, i;
    size_t samples;
    unsigned char *raw;
    FILE *f = fopen(path, "rb");
    if (!f)
        return "cannot open the file";
    if (!token(f, magic, sizeof magic)) {
        fclose(f);
        return "not a PNM file";
    }
    if (strcmp(magic, "P7") == 0) {
        while (token(f, word, sizeof word) && strcmp(word, "ENDHDR") != 0) {
            char value[64];
            if (!token(f, value, sizeof value))
                break;
            if (strcmp(word, "WIDTH") == 0) width = strtoul(value, NULL, 10);
            else if (strcmp(word, "HEIGHT") == 0) height = strtoul(value, NULL, 10);
            else if (strcmp(word, "DEPTH") == 0) depth = strtoul(value, NULL, 10);
            else if (strcmp(word, "MAXVAL") == 0) maxval = strtoul(value, NULL, 10);
            else if (strcmp(word, "TUPLTYPE") == 0) snprintf(tupltype, sizeof tupltype, "%s", value);
        }
    } else if (strcmp(magic, "P4") == 0) { /* 8 pixels a byte, 1 = black: read as BLACKANDWHITE */
        if (token(f, word, sizeof word)) width = strtoul(word, NULL, 10);
        if (token(f, word, sizeof word)) height = strtoul(word, NULL, 10);
        maxval = depth = 1;
        strcpy(tupltype, "PBM");
    } else if (strcmp(magic, "P5") == 0 || strcmp(magic, "P6") == 0) {
        if (token(f, word, sizeof word)) width = strtoul(word, NULL, 10);
        if (token(f, word, sizeof word)) height = strtoul(word, NULL, 10);
        if (token(f, word, sizeof word)) maxval = strtoul(word, NULL, 10);
        depth = magic[1] == '5' ? 1 : 3;
    } else {
        fclose(f);
        return "only P4, P5, P6 and P7 (PAM) files are read";
    }
    if (!width || !height || width > 65536 || height > 65536 || !maxval || maxval > 65535 || !depth || depth > 4) {
        fclose(f);
        return "the file's header is not one this program reads";
    }
    if (strcmp(tupltype, "PBM") == 0) { /* already 8 pixels a byte, but 1 is black: imgshare's 1 is white */
        size_t row = (width + 7) / 8, y;
        p->width = (uint32_t)width;
        p->height = (uint32_t)height;
        p->mode = IMGSHARE_MODE_1;
        p->pixels = (unsigned char *)malloc(row * height);
        if (!p->pixels || fread(p->pixels, 1, row * height, f) != row * height) {
            free(p->pixels);
            fclose(f);
            return "the file is shorter than its header says";
        }
        fclose(f);
        for (i = 0; i < row * height; i++)
            p->pixels[i] = (unsigned char)~p->pixels[i];
        for (y = 0; width % 8 && y < height; y++) /* the unused low bits of a row stay 0 */
            p->pixels[y * row + row - 1] &= (unsigned char)(0xFF << (8 - width % 8));
        return NULL;
    }
    bytes = maxval > 255 ? 2 : 1;
    if (bytes == 2 && depth == 2) {
        fclose(f);
        return "16-bit grey with alpha is not a mode imgshare carries";
    }
    samples = (size_t)width * height * depth;
    raw = (unsigned char *)malloc(samples * bytes);
    if (!raw || fread(raw, bytes, samples, f) != samples) {
        free(raw);
        fclose(f);
        return "the file is shorter than its header says";
    }
    fclose(f);
    p->width = (uint32_t)width;
    p->height = (uint32_t)height;
    if (strcmp(tupltype, "BLACKANDWHITE") == 0 && depth == 1) { /* one byte a pixel -> 8 pixels a byte */
        size_t row = (width + 7) / 8, x, y;
        p->mode = IMGSHARE_MODE_1;
        p->pixels = (unsigned char *)calloc(row * height, 1);
        for (y = 0; p->pixels && y < height; y++)
            for (x = 0; x < width; x++)
                if (raw[y * width + x])
                    p->pixels[y * row + x / 8] |= (unsigned char)(0x80 >> (x % 8));
        free(raw);
        return p->pixels ? NULL : "out of memory";
    }
    if (bytes == 2) { /* PNM is big-endian; imgshare's 16-bit samples are little-endian */
        static const imgshare_mode by_depth[] = {IMGSHARE_MODE_I16, IMGSHARE_MODE_I16, IMGSHARE_MODE_I16,
                                                 IMGSHARE_MODE_RGB16, IMGSHARE_MODE_RGBA16};
        for (i = 0; i < samples; i++) {
            unsigned char high = raw[2 * i];
            raw[2 * i] = raw[2 * i + 1];
            raw[2 * i + 1] = high;
        }
        p->mode = by_depth[depth];
    } else {
        static const imgshare_mode by_depth[] = {IMGSHARE_MODE_L, IMGSHARE_MODE_L, IMGSHARE_MODE_LA, IMGSHARE_MODE_RGB,
                                                 IMGSHARE_MODE_RGBA};
        p->mode = by_depth[depth];
    }
    p->pixels = raw;
    return NULL;
}

int main(int argc, char **argv)
{
    imgshare_sender *sender;
    imgshare_extras extras;
    imgshare_status st;
    struct sigaction action;
    sigset_t blocked, waiting;
    picture p;
    const char *problem;
    if (argc < 3) {
        fprintf(stderr, "usage: share_image KEY FILE [--persist]\n");
        return 2;
    }
    if ((problem = load(argv[2], &p)) != NULL) {
        fprintf(stderr, "share_image: %s: %s\n", argv[2], problem);
        return 1;
    }
    /* handlers first: a SIGTERM at any moment after this still closes the share */
    memset(&action, 0, sizeof action);
    action.sa_handler = on_signal;
    sigaction(SIGTERM, &action, NULL);
    sigaction(SIGINT, &action, NULL);
    sigemptyset(&blocked);
    sigaddset(&blocked, SIGTERM);
    sigaddset(&blocked, SIGINT);
    sigprocmask(SIG_BLOCK, &blocked, &waiting);
    memset(&extras, 0, sizeof extras);
    extras.source_name = argv[2];
    if ((st = imgshare_sender_open(&sender, argv[1])) == IMGSHARE_OK)
        st = imgshare_share(sender, p.pixels, p.width, p.height, p.mode, 0, &extras);
    free(p.pixels);
    if (st != IMGSHARE_OK) {
        fprintf(stderr, "share_image: %s\n", imgshare_message());
        imgshare_sender_close(sender, 0);
        return (int)st;
    }
    printf("sharing %ux%u %s under '%s'; stop with Ctrl+C\n", (unsigned)p.width, (unsigned)p.height,
           imgshare_mode_name(p.mode), argv[1]);
    fflush(stdout);
    while (!stop) /* the signals are blocked but here, so none slips between the test and the wait */
        sigsuspend(&waiting);
    return (int)imgshare_sender_close(sender, argc > 3 && strcmp(argv[3], "--persist") == 0);
}

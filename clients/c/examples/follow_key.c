/* follow_key: write every new image shared under a key to a folder, as it is shared.
 *
 *   follow_key KEY FOLDER [COUNT]
 *
 * Each image becomes FOLDER/NNNNNN.EXT (NNNNNN: its sequence number) in a file imgshare itself reads back
 * with the same mode and values (`imgshare send FOLDER/000001.ppm`): PBM, PGM or PPM for modes 1, L and RGB
 * (and P, expanded through its palette), an uncompressed TIFF for the modes those cannot hold (LA, RGBA,
 * I;16, I, F, RGB;16, RGBA;16, and P with transparency). Tags, if the image has any, go beside it in
 * FOLDER/NNNNNN.json. Prints a line per image with the shares missed before it. Stops
 * after COUNT images, or on SIGTERM or Ctrl+C.
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

/* ---- the pixels in a layout a file format holds ---- */
typedef struct picture {
    uint32_t width, height, channels, bytes; /* bytes per sample */
    int alpha, sign;                         /* last channel is alpha; samples: 0 unsigned, 1 signed, 2 float */
    unsigned char *rows;                     /* unpadded, samples little-endian */
} picture;

/* P expanded through its palette (and transparency) to RGB, or RGBA when any entry is transparent. */
static int expand_palette(const unsigned char *indices, const imgshare_info *info, picture *out)
{
    size_t entry = strcmp(info->palette_mode, "RGBA") == 0 ? 4 : 3, n = (size_t)info->width * info->height, i;
    out->alpha = entry == 4 || info->transparency_kind == IMGSHARE_TRANSPARENCY_ALPHA ||
                 info->transparency_kind == IMGSHARE_TRANSPARENCY_VALUE;
    out->channels = out->alpha ? 4 : 3;
    out->rows = (unsigned char *)malloc(n * out->channels);
    if (!out->rows)
        return 1;
    for (i = 0; i < n; i++) {
        unsigned index = indices[i];
        unsigned char *px = out->rows + i * out->channels;
        size_t at = index * entry;
        px[0] = px[1] = px[2] = (unsigned char)index; /* no palette: the index as grey */
        if (at + 3 <= info->palette_length)
            memcpy(px, info->palette + at, 3);
        if (!out->alpha)
            continue;
        px[3] = entry == 4 && at + 4 <= info->palette_length ? info->palette[at + 3] : 255;
        if (info->transparency_kind == IMGSHARE_TRANSPARENCY_ALPHA && index < info->transparency_length)
            px[3] = info->transparency_alpha[index];
        if (info->transparency_kind == IMGSHARE_TRANSPARENCY_VALUE && index == info->transparency_values[0])
            px[3] = 0;
    }
    return 0;
}

/* ---- writers ---- */
static void put16(unsigned char *p, unsigned v) { p[0] = (unsigned char)v; p[1] = (unsigned char)(v >> 8); }
static void put32(unsigned char *p, unsigned long v) { put16(p, (unsigned)(v & 0xFFFF)); put16(p + 2, (unsigned)(v >> 16)); }

/* An uncompressed little-endian baseline TIFF: one strip, interleaved samples, unassociated alpha. */
static int write_tiff(FILE *f, const picture *p)
{
    enum { ENTRIES = 12 };
    unsigned char head[8 + 2 + ENTRIES * 12 + 4 + 16], *e = head + 10;
    unsigned long arrays = 8 + 2 + ENTRIES * 12 + 4, data = arrays + 16;
    unsigned long length = (unsigned long)p->width * p->height * p->channels * p->bytes;
    unsigned i;
    struct { unsigned tag, type; unsigned long count, value; } fields[ENTRIES] = {
        {256, 4, 1, p->width},                                    /* ImageWidth */
        {257, 4, 1, p->height},                                   /* ImageLength */
        {258, 3, p->channels, p->bytes * 8},                      /* BitsPerSample (one per channel) */
        {259, 3, 1, 1},                                           /* Compression: none */
        {262, 3, 1, p->channels >= 3 ? 2 : 1},                    /* Photometric: RGB, or grey with 0 black */
        {273, 4, 1, data},                                        /* StripOffsets */
        {277, 3, 1, p->channels},                                 /* SamplesPerPixel */
        {278, 4, 1, p->height},                                   /* RowsPerStrip */
        {279, 4, 1, length},                                      /* StripByteCounts */
        {284, 3, 1, 1},                                           /* PlanarConfiguration: interleaved */
        {338, 3, 1, 2},                                           /* ExtraSamples: unassociated alpha */
        {339, 3, p->channels, p->sign == 2 ? 3u : p->sign ? 2u : 1u}, /* SampleFormat (one per channel) */
    };
    memset(head, 0, sizeof head);
    memcpy(head, "II*\0", 4);
    put32(head + 4, 8);
    put16(head + 8, p->alpha ? ENTRIES : ENTRIES - 1);
    for (i = 0; i < ENTRIES; i++) {
        unsigned long value = fields[i].value;
        if (fields[i].tag == 338 && !p->alpha)
            continue;
        put16(e, fields[i].tag);
        put16(e + 2, fields[i].type);
        put32(e + 4, fields[i].count);
        if (fields[i].count > 2) { /* more than 4 bytes of SHORTs: an array after the directory */
            unsigned c;
            for (c = 0; c < fields[i].count; c++)
                put16(head + arrays + 2 * c, (unsigned)value);
            put32(e + 8, arrays);
            arrays += 8;
        } else if (fields[i].type == 3) {
            put16(e + 8, (unsigned)value);
            if (fields[i].count == 2)
                put16(e + 10, (unsigned)value);
        } else {
            put32(e + 8, value);
        }
        e += 12;
    }
    return fwrite(head, 1, data, f) != data || fwrite(p->rows, 1, length, f) != length;
}

/* A binary PBM (P4), PGM (P5) or PPM (P6). */
static int write_pnm(FILE *f, const picture *p, int bilevel)
{
    size_t row = bilevel ? (p->width + 7) / 8 : (size_t)p->width * p->channels, y, x;
    if (bilevel)
        fprintf(f, "P4\n%u %u\n", (unsigned)p->width, (unsigned)p->height);
    else
        fprintf(f, "P%d\n%u %u\n255\n", p->channels == 3 ? 6 : 5, (unsigned)p->width, (unsigned)p->height);
    for (y = 0; y < p->height; y++) {
        unsigned char line[8192];
        const unsigned char *source = p->rows + y * row;
        for (x = 0; x < row; x += sizeof line) {
            size_t n = row - x < sizeof line ? row - x : sizeof line, i;
            memcpy(line, source + x, n);
            for (i = 0; bilevel && i < n; i++)
                line[i] = (unsigned char)~line[i]; /* PBM's 1 is black; imgshare's 1 is white */
            if (fwrite(line, 1, n, f) != n)
                return 1;
        }
    }
    return 0;
}

/* Write one image (unpadded rows) as FOLDER/NNNNNN.EXT; its path in path. */
static int write_image(const char *folder, unsigned char *rows, const imgshare_info *info, char *path, size_t size)
{
    static const struct { uint32_t channels, bytes; int alpha, sign; } layout[IMGSHARE_MODE_COUNT] = {
        [IMGSHARE_MODE_1] = {1, 1, 0, 0},   [IMGSHARE_MODE_L] = {1, 1, 0, 0},    [IMGSHARE_MODE_LA] = {2, 1, 1, 0},
        [IMGSHARE_MODE_P] = {1, 1, 0, 0},   [IMGSHARE_MODE_RGB] = {3, 1, 0, 0},  [IMGSHARE_MODE_RGBA] = {4, 1, 1, 0},
        [IMGSHARE_MODE_I16] = {1, 2, 0, 0}, [IMGSHARE_MODE_I] = {1, 4, 0, 1},    [IMGSHARE_MODE_F] = {1, 4, 0, 2},
        [IMGSHARE_MODE_RGB16] = {3, 2, 0, 0}, [IMGSHARE_MODE_RGBA16] = {4, 2, 1, 0},
    };
    const char *slash = folder[0] && folder[strlen(folder) - 1] == '/' ? "" : "/";
    const char *extension;
    picture p;
    FILE *f;
    int failed;
    p.width = info->width;
    p.height = info->height;
    p.channels = layout[info->mode].channels;
    p.bytes = layout[info->mode].bytes;
    p.alpha = layout[info->mode].alpha;
    p.sign = layout[info->mode].sign;
    p.rows = rows;
    if (info->bgr) { /* files hold R, G, B: exchange samples 0 and 2 of each pixel */
        size_t n = (size_t)p.width * p.height, i, k;
        for (i = 0; i < n; i++) {
            unsigned char *px = rows + i * p.channels * p.bytes;
            for (k = 0; k < p.bytes; k++) {
                unsigned char b = px[k];
                px[k] = px[2 * p.bytes + k];
                px[2 * p.bytes + k] = b;
            }
        }
    }
    if (info->mode == IMGSHARE_MODE_P && expand_palette(rows, info, &p))
        return 1;
    extension = info->mode == IMGSHARE_MODE_1 ? "pbm"
                : p.alpha || p.bytes > 1      ? "tiff"
                : p.channels == 3             ? "ppm"
                                              : "pgm";
    snprintf(path, size, "%s%s%06llu.%s", folder, slash, (unsigned long long)info->sequence, extension);
    f = fopen(path, "wb");
    if (!f)
        failed = 1;
    else if (strcmp(extension, "tiff") == 0)
        failed = write_tiff(f, &p);
    else
        failed = write_pnm(f, &p, info->mode == IMGSHARE_MODE_1);
    if (f && fclose(f) != 0)
        failed = 1;
    if (p.rows != rows)
        free(p.rows);
    if (!failed && info->tags_length) { /* the image's tags (a JSON object), as they came */
        char tags_path[4096];
        FILE *t;
        snprintf(tags_path, sizeof tags_path, "%s%s%06llu.json", folder, slash, (unsigned long long)info->sequence);
        failed = !(t = fopen(tags_path, "wb")) || fwrite(info->tags, 1, info->tags_length, t) != info->tags_length;
        if (t && fclose(t) != 0)
            failed = 1;
    }
    return failed;
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
        char path[4096];
        size_t row, y;
        unsigned char *rows;
        st = imgshare_borrow_new(receiver, 0.5, &pixels, &info); /* waits on the new-image signal */
        if (st == IMGSHARE_TIMED_OUT || st == IMGSHARE_NOT_SHARED)
            continue; /* nothing new yet, or no sender now: keep following */
        if (st != IMGSHARE_OK) {
            fprintf(stderr, "follow_key: %s\n", imgshare_message());
            break;
        }
        /* a borrow's rows are info.stride apart: copy them out unpadded, and let the slot go at once */
        row = imgshare_row_bytes(info.mode, info.width);
        rows = (unsigned char *)malloc(row * info.height);
        if (!rows) {
            imgshare_release(receiver);
            st = IMGSHARE_ERROR;
            break;
        }
        for (y = 0; y < info.height; y++)
            memcpy(rows + y * row, (const unsigned char *)pixels + y * info.stride, row);
        imgshare_release(receiver);
        if (write_image(argv[2], rows, &info, path, sizeof path)) {
            fprintf(stderr, "follow_key: cannot write %s\n", path);
            free(rows);
            st = IMGSHARE_ERROR;
            break;
        }
        free(rows);
        printf("%s: %ux%u %s, sequence %llu, %llu missed\n", path, (unsigned)info.width, (unsigned)info.height,
               imgshare_mode_name(info.mode), (unsigned long long)info.sequence, (unsigned long long)info.missed);
        fflush(stdout);
        written++;
    }
    imgshare_receiver_close(receiver);
    if (st == IMGSHARE_TIMED_OUT || st == IMGSHARE_NOT_SHARED)
        st = IMGSHARE_OK; /* stopped while waiting */
    return (int)st;
}

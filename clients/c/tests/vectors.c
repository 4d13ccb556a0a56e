/* vectors: the C library against the shared test vectors.
 *
 *   vectors SEGMENTS_DIR KEYS_TXT
 *
 * Reads every segment vector listed in SEGMENTS_DIR/index.txt with imgshare_read_image() (the live
 * reader's checks on a segment held in memory) and compares status, metadata and pixels with the index;
 * checks the key recipe against KEYS_TXT, SHA-1 and CRC-32 against their standard check values, and the
 * key rules. Prints one line per failure and "ok N" at the end; exit 0 only if everything matched.
 */
#define IMGSHARE_IMPLEMENTATION
#include "imgshare.h"
#include "tests/files.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures;

static void failed(const char *what, const char *name)
{
    printf("FAIL %s: %s\n", name, what);
    failures++;
}

static void unhex(const char *hex, char *out)
{
    size_t n = strlen(hex) / 2, i;
    for (i = 0; i < n; i++) {
        unsigned value;
        sscanf(hex + 2 * i, "%2x", &value);
        out[i] = (char)value;
    }
    out[n] = '\0';
}

static int check_segments(const char *folder, int minimum)
{
    char path[4096], line[1024];
    FILE *index;
    int count = 0;
    snprintf(path, sizeof path, "%s/index.txt", folder);
    index = fopen(path, "r");
    if (!index) {
        failed("cannot open the index", path);
        return 0;
    }
    while (fgets(line, sizeof line, index)) {
        char name[256], kind[32], key_hex[600], key[300], mode[16] = "";
        int status = -1, fields;
        unsigned width = 0, height = 0;
        unsigned long long sequence = 0;
        size_t size, rows_length = 0;
        unsigned char *data, *rows = NULL;
        imgshare_info info;
        imgshare_status st;
        if (line[0] == '#' || line[0] == '\n')
            continue;
        fields = sscanf(line, "%255s %d %31s %599s %15s %u %u %llu", name, &status, kind, key_hex, mode, &width, &height,
                        &sequence);
        if (fields < 4) {
            failed("unreadable index line", line);
            continue;
        }
        unhex(key_hex, key);
        snprintf(path, sizeof path, "%s/%s.seg", folder, name);
        data = read_file(path, &size);
        if (!data) {
            failed("cannot read the segment", name);
            continue;
        }
        count++;
        /* metadata alone, then the pixels into a tight buffer and into a padded one */
        st = imgshare_read_image(data, size, key, 1, &info, NULL, 0, 0);
        if ((int)st != status) {
            printf("FAIL %s: status %d, expected %d (%s)\n", name, (int)st, status, imgshare_message());
            failures++;
        } else if (st != IMGSHARE_OK && imgshare_message()[0] == '\0') {
            failed("an error without a message", name);
        }
        if (status == 0 && st == IMGSHARE_OK) {
            size_t row, pad = 3, y, capacity;
            unsigned char *buffer;
            snprintf(path, sizeof path, "%s/%s.pixels", folder, name);
            rows = read_file(path, &rows_length);
            if (strcmp(imgshare_mode_name(info.mode), mode) != 0 || info.width != width || info.height != height ||
                info.sequence != sequence)
                failed("metadata differs from the index", name);
            row = imgshare_row_bytes(info.mode, info.width);
            capacity = (row + pad) * info.height;
            buffer = (unsigned char *)malloc(capacity);
            if (!rows || !buffer || rows_length != row * info.height) {
                failed("no expected pixels", name);
            } else {
                if (imgshare_read_image(data, size, key, 1, &info, buffer, row * info.height, 0) != IMGSHARE_OK ||
                    memcmp(buffer, rows, rows_length) != 0)
                    failed("pixels differ (tight rows)", name);
                memset(buffer, 0xEE, capacity);
                if (imgshare_read_image(data, size, key, 1, &info, buffer, capacity, row + pad) != IMGSHARE_OK)
                    failed("cannot read into padded rows", name);
                for (y = 0; y < info.height; y++)
                    if (memcmp(buffer + y * (row + pad), rows + y * row, row) != 0)
                        failed("pixels differ (padded rows)", name);
                if (imgshare_read_image(data, size, key, 1, &info, buffer, row * info.height - 1, 0) != IMGSHARE_ERROR)
                    failed("a buffer one byte short was accepted", name);
            }
            free(buffer);
        }
        free(rows);
        free(data);
    }
    fclose(index);
    if (count < minimum)
        failed("fewer vectors than expected", folder);
    return count;
}

static int check_keys(const char *path)
{
    FILE *f = fopen(path, "r");
    char line[1024];
    int count = 0;
    if (!f) {
        failed("cannot open", path);
        return 0;
    }
    while (fgets(line, sizeof line, f)) {
        char key_hex[600], key[300];
        unsigned expected[3];
        int32_t numbers[3];
        if (line[0] == '#' || sscanf(line, "%599s %x %x %x", key_hex, &expected[0], &expected[1], &expected[2]) != 4)
            continue;
        unhex(key_hex, key);
        if (imgshare_key_numbers(key, numbers) != IMGSHARE_OK || (unsigned)numbers[0] != expected[0] ||
            (unsigned)numbers[1] != expected[1] || (unsigned)numbers[2] != expected[2])
            failed("key numbers differ", key_hex);
        count++;
    }
    fclose(f);
    return count;
}

static void check_primitives(void)
{
    uint8_t digest[20];
    int32_t numbers[3];
    char long_key[300];
    imgshare__sha1("abc", 3, digest);
    if (digest[0] != 0xa9 || digest[1] != 0x99 || digest[2] != 0x3e || digest[3] != 0x36 || digest[19] != 0x9d)
        failed("SHA-1 of abc", "sha1");
    imgshare__sha1("", 0, digest);
    if (digest[0] != 0xda || digest[1] != 0x39 || digest[19] != 0x09)
        failed("SHA-1 of the empty string", "sha1");
    imgshare__sha1("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56, digest); /* two padding blocks */
    if (digest[0] != 0x84 || digest[1] != 0x98 || digest[2] != 0x3e || digest[3] != 0x44)
        failed("SHA-1 of the 56-byte FIPS message", "sha1");
    if (imgshare__crc32("123456789", 9) != 0xCBF43926u)
        failed("CRC-32 check value", "crc32");
    if (imgshare_key_numbers("169254", numbers) != IMGSHARE_OK || numbers[0] != 1699187442)
        failed("the Qt demo's key", "169254");
    if (imgshare_key_numbers("", numbers) != IMGSHARE_USAGE || !strstr(imgshare_message(), "empty"))
        failed("an empty key", "keys");
    if (imgshare_key_numbers("a\tb", numbers) != IMGSHARE_USAGE || !strstr(imgshare_message(), "U+0009 at position 2"))
        failed("a key with a tab", "keys");
    if (imgshare_key_numbers("ab\xe2\x80\x8b", numbers) != IMGSHARE_USAGE || !strstr(imgshare_message(), "U+200B"))
        failed("a key with a zero-width space", "keys");
    if (imgshare_key_numbers("\xc0\xaf", numbers) != IMGSHARE_USAGE)
        failed("an overlong UTF-8 key", "keys");
    if (imgshare_key_numbers("\xed\xa0\x80", numbers) != IMGSHARE_USAGE)
        failed("a surrogate in a key", "keys");
    memset(long_key, 'k', 256);
    long_key[256] = '\0';
    if (imgshare_key_numbers(long_key, numbers) != IMGSHARE_USAGE)
        failed("a 256-byte key", "keys");
    long_key[255] = '\0';
    if (imgshare_key_numbers(long_key, numbers) != IMGSHARE_OK)
        failed("a 255-byte key", "keys");
}

int main(int argc, char **argv)
{
    int segments, keys;
    if (argc != 3 && argc != 4) {
        fprintf(stderr, "usage: vectors SEGMENTS_DIR KEYS_TXT [MIN_SEGMENTS]\n");
        return 2;
    }
    check_primitives();
    segments = check_segments(argv[1], argc == 4 ? atoi(argv[3]) : 50);
    keys = check_keys(argv[2]);
    if (keys < 5)
        failed("fewer than 5 key vectors", argv[2]);
    printf("%s %d segment vectors, %d key vectors, %d failures\n", failures ? "FAILED" : "ok", segments, keys, failures);
    return failures ? 1 : 0;
}

/* vectors: the C library against the shared conformance vectors (tests/vectors/, docs/protocol.md §19).
 *
 *   vectors keys KEYS_TXT KEY_TEXT_TXT
 *        checks the key recipe against keys.txt, which strings are keys against key-text.txt, SHA-1 and
 *        CRC-32 against their standard check values; prints a line per failure and "ok N M" (N recipes,
 *        M strings); exit 0 only if everything matched.
 *   vectors shares FOLDER MANIFEST
 *        runs every share vector the manifest lists (tests/c/test_c_vectors.py writes it from the set's
 *        index.json): a fresh key, the data segments, the control segment and the semaphore set made as
 *        §19.1 says, then read as a receiver reads (a verified copy, a verified borrow, the metadata
 *        alone), then everything removed by id. Prints one JSON object a vector with what was read, for
 *        the test to compare with the index's "expect".
 *
 * Manifest lines: NAME KEY KEEP_KEY CONTROL N DATA_1..DATA_N M VALUE_1..VALUE_M
 * (CONTROL and DATA_i: a file in FOLDER, "-" for null, "*" for "missing"; M is -1 for no set.)
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <time.h>
#include <unistd.h>

#define IMGSHARE_IMPLEMENTATION
#include "imgshare.h"
#include "tests/files.h"

static int failures;

static void failed(const char *what, const char *name)
{
    printf("FAIL %s: %s\n", name, what);
    failures++;
}

static size_t unhex(const char *hex, unsigned char *out)
{
    size_t n = strlen(hex) / 2, i;
    for (i = 0; i < n; i++) {
        unsigned value;
        sscanf(hex + 2 * i, "%2x", &value);
        out[i] = (unsigned char)value;
    }
    return n;
}

static void print_hex(const char *name, const unsigned char *bytes, size_t length)
{
    size_t i;
    printf(", \"%s\": \"", name);
    for (i = 0; i < length; i++)
        printf("%02x", bytes[i]);
    printf("\"");
}

static void print_text(const char *name, const char *text)
{
    printf(", \"%s\": \"", name);
    for (; *text; text++) {
        unsigned char c = (unsigned char)*text;
        if (c == '"' || c == '\\')
            printf("\\%c", c);
        else if (c < 0x20)
            printf("\\u%04x", c);
        else
            putchar(c);
    }
    printf("\"");
}

/* ---- keys ---- */
static int check_recipes(const char *path)
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
        unsigned expected;
        int32_t numbers[3];
        size_t n;
        if (line[0] == '#' || sscanf(line, "%599s %x", key_hex, &expected) != 2)
            continue;
        n = unhex(key_hex, (unsigned char *)key);
        key[n] = '\0';
        if (imgshare_key_numbers(key, numbers) != IMGSHARE_OK || (uint32_t)numbers[0] != expected ||
            numbers[1] != numbers[0] || numbers[2] != numbers[0])
            failed("the System V key differs", key_hex);
        count++;
    }
    fclose(f);
    return count;
}

static int check_key_texts(const char *path)
{
    FILE *f = fopen(path, "r");
    char line[2048];
    int count = 0;
    if (!f) {
        failed("cannot open", path);
        return 0;
    }
    while (fgets(line, sizeof line, f)) {
        char verdict[16], hex[1100], key[600];
        int32_t numbers[3];
        imgshare_status st;
        size_t n;
        if (line[0] == '#' || sscanf(line, "%15s %1099s", verdict, hex) != 2)
            continue;
        n = strcmp(hex, "-") == 0 ? 0 : unhex(hex, (unsigned char *)key);
        key[n] = '\0';
        if (n != strlen(key)) { /* a NUL inside: a C string cannot even hold it, so no C caller can pass it */
            if (strcmp(verdict, "ok") == 0)
                failed("a key holds a NUL", hex);
            count++;
            continue;
        }
        st = imgshare_key_numbers(key, numbers);
        if ((strcmp(verdict, "ok") == 0) != (st == IMGSHARE_OK) ||
            (st != IMGSHARE_OK && (st != IMGSHARE_USAGE || !imgshare_message()[0])))
            failed(strcmp(verdict, "ok") == 0 ? "a key was refused" : "a string that is not a key was accepted", hex);
        count++;
    }
    fclose(f);
    return count;
}

static void check_primitives(void)
{
    uint8_t digest[20];
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
    if (imgshare__crc32("123456789012345678901234567890", 30) != 0x836BD70Fu) /* slicing by 8, then bytes */
        failed("CRC-32 of 30 bytes", "crc32");
}

/* ---- share vectors ---- */
typedef struct made {
    int shmids[16], shm_count;
    int semid;
} made;

static void remove_made(made *m)
{
    int i;
    for (i = 0; i < m->shm_count; i++)
        shmctl(m->shmids[i], IPC_RMID, NULL);
    if (m->semid >= 0)
        semctl(m->semid, 0, IPC_RMID);
    m->shm_count = 0;
    m->semid = -1;
}

static int make_segment(made *m, key_t key, const unsigned char *bytes, size_t size)
{
    int id = shmget(key, size, IPC_CREAT | IPC_EXCL | 0600);
    void *base;
    if (id < 0)
        return -1;
    m->shmids[m->shm_count++] = id;
    base = shmat(id, NULL, 0);
    if (base == (void *)-1)
        return -1;
    memcpy(base, bytes, size);
    shmdt(base);
    return id;
}

static void print_image(const imgshare_info *info, const unsigned char *rows, size_t length)
{
    printf(", \"mode\": \"%s\", \"width\": %u, \"height\": %u, \"sequence\": %llu, \"epoch\": \"%llx\", "
           "\"bgr\": %s, \"checksum\": %s, \"converted\": %s",
           imgshare_mode_name(info->mode), (unsigned)info->width, (unsigned)info->height,
           (unsigned long long)info->sequence, (unsigned long long)info->epoch, info->bgr ? "true" : "false",
           info->checksum_kind == 1 ? "true" : "false", info->converted ? "true" : "false");
    print_hex("rows", rows, length);
    print_hex("source_name", (const unsigned char *)info->source_name, strlen(info->source_name));
    print_text("source_mode", info->source_mode);
    print_text("palette_mode", info->palette_mode);
    print_hex("palette", info->palette, info->palette_length);
    printf(", \"transparency_kind\": %d, \"transparency_values\": [%u, %u, %u]", info->transparency_kind,
           (unsigned)info->transparency_values[0], (unsigned)info->transparency_values[1],
           (unsigned)info->transparency_values[2]);
    print_hex("transparency_alpha", info->transparency_alpha,
              info->transparency_kind == IMGSHARE_TRANSPARENCY_ALPHA ? info->transparency_length : 0);
    print_hex("tags", (const unsigned char *)info->tags, info->tags_length);
}

/* §19.1 steps 1 to 5 for one manifest line. */
static void run_vector(const char *folder, char *line)
{
    char *words[64], *p = line, key[300], path[4096];
    unsigned char *control = NULL;
    size_t control_size = 0;
    int count = 0, data_count, sem_count, i, crc_was_valid = 0;
    made m;
    int32_t numbers[3];
    imgshare_receiver *receiver = NULL;
    imgshare_info info;
    imgshare_status st;
    unsigned char *rows = NULL;
    const void *borrowed;
    m.shm_count = 0;
    m.semid = -1;
    while (count < 64 && (p = strtok(count ? NULL : line, " \n")) != NULL)
        words[count++] = p;
    if (count < 6)
        return;
    data_count = atoi(words[4]);
    sem_count = atoi(words[5 + data_count]);
    /* 1: a fresh key (its last sixteen characters random) */
    snprintf(key, sizeof key, "%s", words[1]);
    for (i = (int)strlen(key) - 16; i < (int)strlen(key); i++)
        key[i] = "0123456789abcdef"[rand() % 16];
    if (strcmp(words[3], "-") != 0) {
        snprintf(path, sizeof path, "%s/%s", folder, words[3]);
        control = read_file(path, &control_size);
        if (!control) {
            failed("cannot read the control file", words[0]);
            return;
        }
        if (control_size >= 4096) {
            unsigned char zeroed[4096];
            memcpy(zeroed, control, 4096);
            memset(zeroed + 28, 0, 4);
            memset(zeroed + 64, 0, 448);
            crc_was_valid = imgshare__crc32(zeroed, 4096) == imgshare__u32(control + 28);
        }
        if (strcmp(words[2], "1") != 0 && control_size >= 512 + 32)
            memcpy(control + 512 + 16, key + strlen(key) - 16, 16);
    }
    /* 2: the data segments, their ids into the slot table */
    for (i = 0; i < data_count; i++) {
        const char *name = words[5 + i];
        int id = -1;
        if (strcmp(name, "-") == 0)
            continue;
        if (strcmp(name, "*") == 0) {
            id = shmget(IPC_PRIVATE, 8192, IPC_CREAT | 0600);
            shmctl(id, IPC_RMID, NULL);
        } else {
            size_t size;
            unsigned char *bytes;
            snprintf(path, sizeof path, "%s/%s", folder, name);
            bytes = read_file(path, &size);
            if (bytes)
                id = make_segment(&m, IPC_PRIVATE, bytes, size);
            free(bytes);
        }
        if (control && control_size >= 4096)
            imgshare__put32(control + 128 + 16 * i + 8, (uint32_t)id);
    }
    if (control && crc_was_valid) {
        unsigned char zeroed[4096];
        memcpy(zeroed, control, 4096);
        memset(zeroed + 28, 0, 4);
        memset(zeroed + 64, 0, 448);
        imgshare__put32(control + 28, imgshare__crc32(zeroed, 4096));
    }
    /* 3: the control segment and the set at K */
    imgshare_key_numbers(key, numbers);
    if (control && make_segment(&m, numbers[0], control, control_size) < 0)
        failed("cannot make the control segment (is the key in use?)", words[0]);
    if (sem_count >= 0) {
        m.semid = semget(numbers[0], sem_count, IPC_CREAT | IPC_EXCL | 0600);
        for (i = 0; m.semid >= 0 && i < sem_count; i++) {
            union imgshare__semun arg;
            arg.val = atoi(words[6 + data_count + i]);
            semctl(m.semid, i, SETVAL, arg);
        }
        if (m.semid < 0)
            failed("cannot make the semaphore set", words[0]);
    }
    /* 4: read it: a verified copy, a verified borrow, the metadata alone */
    printf("{\"name\": \"%s\"", words[0]);
    imgshare_receiver_open(&receiver, key);
    imgshare_receiver_set_lock_timeout(receiver, 0.5);
    st = imgshare_receive_info(receiver, &info);
    printf(", \"info_exit\": %d", (int)st);
    if (st == IMGSHARE_OK) {
        size_t length = imgshare_row_bytes(info.mode, info.width) * info.height;
        rows = (unsigned char *)malloc(length ? length : 1);
        st = imgshare_receive(receiver, rows, length, 0, &info);
        printf(", \"exit\": %d", (int)st);
        print_text("message", imgshare_message());
        if (st == IMGSHARE_OK)
            print_image(&info, rows, length);
    } else {
        printf(", \"exit\": %d", (int)st);
        print_text("message", imgshare_message());
    }
    st = imgshare_borrow(receiver, &borrowed, &info);
    printf(", \"borrow_exit\": %d", (int)st);
    print_text("borrow_message", imgshare_message());
    printf("}\n");
    free(rows);
    imgshare_receiver_close(receiver);
    /* 5: everything made, by id */
    remove_made(&m);
    free(control);
}

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "keys") == 0) {
        int recipes, texts;
        check_primitives();
        recipes = check_recipes(argv[2]);
        texts = check_key_texts(argv[3]);
        if (recipes < 4 || texts < 10)
            failed("too few key vectors", argv[2]);
        printf("%s %d %d, %d failures\n", failures ? "FAILED" : "ok", recipes, texts, failures);
        return failures ? 1 : 0;
    }
    if (argc == 4 && strcmp(argv[1], "shares") == 0) {
        FILE *manifest = fopen(argv[3], "r");
        char line[8192];
        srand((unsigned)getpid() ^ (unsigned)time(NULL));
        if (!manifest) {
            fprintf(stderr, "vectors: cannot open %s\n", argv[3]);
            return 2;
        }
        while (fgets(line, sizeof line, manifest))
            run_vector(argv[2], line);
        fclose(manifest);
        return failures ? 1 : 0;
    }
    fprintf(stderr, "usage: vectors keys KEYS_TXT KEY_TEXT_TXT | vectors shares FOLDER MANIFEST\n");
    return 2;
}

/* A whole file read into memory, for the test programs (vectors, fuzz, tool): one copy of it. */
#ifndef IMGSHARE_TESTS_FILES_H
#define IMGSHARE_TESTS_FILES_H

#include <stdio.h>
#include <stdlib.h>

/* The file's bytes (free() them) and their count in *length; NULL when it cannot be read. */
static unsigned char *read_file(const char *path, size_t *length)
{
    FILE *f = fopen(path, "rb");
    unsigned char *data;
    long size;
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    size = ftell(f);
    fseek(f, 0, SEEK_SET);
    data = (unsigned char *)malloc(size > 0 ? (size_t)size : 1);
    if (data && fread(data, 1, (size_t)size, f) != (size_t)size) {
        free(data);
        data = NULL;
    }
    fclose(f);
    *length = (size_t)size;
    return data;
}

#endif

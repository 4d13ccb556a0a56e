/* qtshare.c: find a Qt-mode share under a key (see qtshare.h and app/ipc/qt/keys.py, which this follows). */
#include "qtshare.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/shm.h>


/* Qt's key file: QDir::tempPath() (the real path of $TMPDIR or /tmp, "" if it is missing) +
 * "/qipc_sharedmemory_" + the key's ASCII letters + the hex SHA-1 of its UTF-8 bytes. */
static char *qt_key_file(const char *key)
{
    const char *tmp = g_getenv("TMPDIR");
    char real[PATH_MAX], *hex;
    GString *path;
    const char *c;
    if (!tmp || !*tmp)
        tmp = "/tmp";
    if (!realpath(tmp, real))
        real[0] = '\0';
    hex = g_compute_checksum_for_string(G_CHECKSUM_SHA1, key, -1); /* lower-case hex, as Qt writes it */
    path = g_string_new(real);
    g_string_append(path, "/qipc_sharedmemory_");
    for (c = key; *c; c++)
        if (g_ascii_isalpha(*c))
            g_string_append_c(path, *c);
    g_string_append(path, hex);
    g_free(hex);
    return g_string_free(path, FALSE);
}

/* A QDataStream'ed QImage starts with the marker 1 and a PNG (or, from old stream versions, a bare PNG). */
static gboolean is_qimage_stream(const guint8 *head, size_t length)
{
    static const guint8 png[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    static const guint8 marker[4] = {0, 0, 0, 1};
    return (length >= 12 && memcmp(head, marker, 4) == 0 && memcmp(head + 4, png, 8) == 0) ||
           (length >= 8 && memcmp(head, png, 8) == 0);
}

gboolean imgshare_gst_qt_share_at(const char *key)
{
    char *file = qt_key_file(key);
    key_t sysv = ftok(file, 'Q');
    struct shmid_ds ds;
    guint8 head[12];
    size_t length = 0;
    void *base;
    int shmid;
    g_free(file);
    if (sysv == (key_t)-1 || (shmid = shmget(sysv, 0, 0)) < 0 || shmctl(shmid, IPC_STAT, &ds) != 0)
        return FALSE;
    base = shmat(shmid, NULL, SHM_RDONLY);
    if (base == (void *)-1)
        return errno == EACCES; /* another user's Qt share: still not something imgsharesrc reads */
    length = ds.shm_segsz < sizeof head ? ds.shm_segsz : sizeof head;
    memcpy(head, base, length);
    shmdt(base);
    return is_qimage_stream(head, length);
}

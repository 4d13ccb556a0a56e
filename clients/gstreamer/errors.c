/* errors.c: imgshare's statuses as GStreamer element errors (see errors.h). */
#include "errors.h"

#include <string.h>

static GstResourceError resource_code(imgshare_status status, ImgShareGstDirection direction)
{
    switch (status) {
    case IMGSHARE_USAGE: return GST_RESOURCE_ERROR_SETTINGS; /* the key is not a key */
    case IMGSHARE_NOT_SHARED: return GST_RESOURCE_ERROR_NOT_FOUND;
    case IMGSHARE_TIMED_OUT:
    case IMGSHARE_IN_USE: return GST_RESOURCE_ERROR_BUSY;
    case IMGSHARE_PERMISSION: return GST_RESOURCE_ERROR_NOT_AUTHORIZED;
    case IMGSHARE_CORRUPT: /* damaged, another program's segment, a key collision */
        return direction == IMGSHARE_GST_READING ? GST_RESOURCE_ERROR_READ : GST_RESOURCE_ERROR_OPEN_WRITE;
    default: /* too large for this machine's limits, out of memory */
        return direction == IMGSHARE_GST_READING ? GST_RESOURCE_ERROR_READ : GST_RESOURCE_ERROR_NO_SPACE_LEFT;
    }
}

static const char *status_name(imgshare_status status)
{
    static const char *const names[] = {"IMGSHARE_OK",         "IMGSHARE_ERROR",   "IMGSHARE_USAGE",
                                        "IMGSHARE_NOT_SHARED", "IMGSHARE_CORRUPT", "IMGSHARE_TIMED_OUT",
                                        "IMGSHARE_PERMISSION", "IMGSHARE_IN_USE"};
    return (unsigned)status < G_N_ELEMENTS(names) ? names[status] : "?";
}

char *imgshare_gst_sentence(const char *text)
{
    size_t length = strlen(text);
    char *sentence = g_strdup_printf("%s%s", text, length && text[length - 1] != '.' ? "." : "");
    sentence[0] = g_ascii_toupper(sentence[0]);
    return sentence;
}

void imgshare_gst_post_error(GstElement *element, imgshare_status status, ImgShareGstDirection direction,
                             const char *key, const char *file, const char *function, int line)
{
    const char *message = imgshare_message();
    /* GST_ELEMENT_ERROR() is this call with a code fixed at compile time; both strings are taken over */
    gst_element_message_full(element, GST_MESSAGE_ERROR, GST_RESOURCE_ERROR, resource_code(status, direction),
                             imgshare_gst_sentence(*message ? message : "imgshare failed"),
                             g_strdup_printf("key '%s': %s, the imgshare command line's exit code %d", key ? key : "",
                                             status_name(status), (int)status),
                             file, function, line);
}

/* errors.h: imgshare's statuses as GStreamer element errors, in one place for both elements. */
#ifndef IMGSHARE_GST_ERRORS_H
#define IMGSHARE_GST_ERRORS_H

#include <gst/gst.h>

#include "imgshare.h"

typedef enum { IMGSHARE_GST_READING, IMGSHARE_GST_WRITING } ImgShareGstDirection;

/* Post an error on element for status, as GST_ELEMENT_ERROR() does: a GST_RESOURCE_ERROR whose code
 * says what kind of failure it is (not found, busy, not authorized, settings...), whose text is
 * imgshare_message()'s sentence (this thread's last imgshare call), and whose debug text names the key
 * and the status. */
#define IMGSHARE_GST_POST_ERROR(element, status, direction, key) \
    imgshare_gst_post_error(GST_ELEMENT(element), (status), (direction), (key), __FILE__, GST_FUNCTION, __LINE__)

void imgshare_gst_post_error(GstElement *element, imgshare_status status, ImgShareGstDirection direction,
                             const char *key, const char *file, const char *function, int line);

/* text as a sentence for GStreamer users: its first letter a capital, ending in a full stop. */
char *imgshare_gst_sentence(const char *text);

#endif

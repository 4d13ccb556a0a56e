/* formats.h: which GStreamer raw video formats carry which imgshare modes, both ways. */
#ifndef IMGSHARE_GST_FORMATS_H
#define IMGSHARE_GST_FORMATS_H

#include <gst/video/video.h>

#include "imgshare.h"

/* What imgsharesink takes. RGBx and BGRx travel as RGBA and BGRA with the padding byte written 255
 * (opaque): readers see the colours GStreamer meant, never a transparent image. RGBA64_LE and BGRA64_LE
 * are mode RGBA;16 (protocol 3). */
#define IMGSHARE_GST_SINK_FORMATS "{ GRAY8, GRAY16_LE, RGB, BGR, RGBA, BGRA, RGBx, BGRx, RGBA64_LE, BGRA64_LE }"

typedef struct ImgShareSinkFormat {
    imgshare_mode mode;
    int bgr;        /* B, G, R(, A) order: carried as it is, with the BGR flag (as OpenCV's frames are) */
    int opaque_pad; /* RGBx, BGRx: the fourth byte becomes 255 on the way */
} ImgShareSinkFormat;

/* How imgsharesink shares frames of format; FALSE for a format it does not take. */
gboolean imgshare_gst_sink_format(GstVideoFormat format, ImgShareSinkFormat *out);

/* What imgsharesrc outputs: L, I;16, RGB, RGBA and RGBA;16 as they are (with the BGR flag as BGR, BGRA
 * and BGRA64_LE); 1 as GRAY8 (0 and 255), LA as RGBA, P through its palette as RGB, or RGBA when the
 * palette or the transparency has alpha, RGB;16 as RGBA64_LE (or BGRA64_LE) with an opaque alpha
 * (GStreamer has no packed 16-bit RGB). I and F have no GStreamer format. */
#define IMGSHARE_GST_SRC_FORMATS "{ GRAY8, GRAY16_LE, RGB, BGR, RGBA, BGRA, RGBA64_LE, BGRA64_LE }"

typedef enum ImgShareConversion {
    IMGSHARE_GST_AS_IS,      /* the shared bytes are the frame's (a slot can be lent as it is) */
    IMGSHARE_GST_FROM_1,     /* bits to bytes */
    IMGSHARE_GST_FROM_LA,    /* grey + alpha to RGBA */
    IMGSHARE_GST_FROM_P,     /* palette indices to colours */
    IMGSHARE_GST_FROM_RGB16  /* 16-bit R, G, B to R, G, B, A (A = 65535) */
} ImgShareConversion;

/* The format imgsharesrc outputs for the image info describes; FALSE if there is none. */
gboolean imgshare_gst_src_format(const imgshare_info *info, GstVideoFormat *format, ImgShareConversion *conversion);

/* Write the image (pixels: rows of info->stride bytes) into a mapped frame of its output format. */
void imgshare_gst_write_frame(const imgshare_info *info, ImgShareConversion conversion, const guint8 *pixels,
                              GstVideoFrame *frame);

#endif

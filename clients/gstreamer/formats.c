/* formats.c: imgshare modes and GStreamer raw video formats (see formats.h). */
#include "formats.h"

#include <string.h>

gboolean imgshare_gst_sink_format(GstVideoFormat format, ImgShareSinkFormat *out)
{
    static const struct {
        GstVideoFormat format;
        ImgShareSinkFormat share;
    } table[] = {
        {GST_VIDEO_FORMAT_GRAY8, {IMGSHARE_MODE_L, 0, 0}},    {GST_VIDEO_FORMAT_GRAY16_LE, {IMGSHARE_MODE_I16, 0, 0}},
        {GST_VIDEO_FORMAT_RGB, {IMGSHARE_MODE_RGB, 0, 0}},    {GST_VIDEO_FORMAT_BGR, {IMGSHARE_MODE_RGB, 1, 0}},
        {GST_VIDEO_FORMAT_RGBA, {IMGSHARE_MODE_RGBA, 0, 0}},  {GST_VIDEO_FORMAT_BGRA, {IMGSHARE_MODE_RGBA, 1, 0}},
        {GST_VIDEO_FORMAT_RGBx, {IMGSHARE_MODE_RGBA, 0, 1}},  {GST_VIDEO_FORMAT_BGRx, {IMGSHARE_MODE_RGBA, 1, 1}},
        {GST_VIDEO_FORMAT_RGBA64_LE, {IMGSHARE_MODE_RGBA16, 0, 0}},
        {GST_VIDEO_FORMAT_BGRA64_LE, {IMGSHARE_MODE_RGBA16, 1, 0}},
    };
    size_t i;
    for (i = 0; i < G_N_ELEMENTS(table); i++) {
        if (table[i].format == format) {
            *out = table[i].share;
            return TRUE;
        }
    }
    return FALSE;
}

/* A P image has alpha when its palette has, or when it names transparent entries. */
static gboolean palette_has_alpha(const imgshare_info *info)
{
    return strcmp(info->palette_mode, "RGBA") == 0 || info->transparency_kind == IMGSHARE_TRANSPARENCY_VALUE ||
           info->transparency_kind == IMGSHARE_TRANSPARENCY_ALPHA;
}

gboolean imgshare_gst_src_format(const imgshare_info *info, GstVideoFormat *format, ImgShareConversion *conversion)
{
    *conversion = IMGSHARE_GST_AS_IS;
    switch (info->mode) {
    case IMGSHARE_MODE_L: *format = GST_VIDEO_FORMAT_GRAY8; return TRUE;
    case IMGSHARE_MODE_I16: *format = GST_VIDEO_FORMAT_GRAY16_LE; return TRUE;
    case IMGSHARE_MODE_RGB: *format = info->bgr ? GST_VIDEO_FORMAT_BGR : GST_VIDEO_FORMAT_RGB; return TRUE;
    case IMGSHARE_MODE_RGBA: *format = info->bgr ? GST_VIDEO_FORMAT_BGRA : GST_VIDEO_FORMAT_RGBA; return TRUE;
    case IMGSHARE_MODE_RGBA16:
        *format = info->bgr ? GST_VIDEO_FORMAT_BGRA64_LE : GST_VIDEO_FORMAT_RGBA64_LE;
        return TRUE;
    case IMGSHARE_MODE_RGB16: /* no packed 16-bit RGB in GStreamer: an opaque alpha is added */
        *format = info->bgr ? GST_VIDEO_FORMAT_BGRA64_LE : GST_VIDEO_FORMAT_RGBA64_LE;
        *conversion = IMGSHARE_GST_FROM_RGB16;
        return TRUE;
    case IMGSHARE_MODE_1:
        *format = GST_VIDEO_FORMAT_GRAY8;
        *conversion = IMGSHARE_GST_FROM_1;
        return TRUE;
    case IMGSHARE_MODE_LA:
        *format = GST_VIDEO_FORMAT_RGBA;
        *conversion = IMGSHARE_GST_FROM_LA;
        return TRUE;
    case IMGSHARE_MODE_P:
        *format = palette_has_alpha(info) ? GST_VIDEO_FORMAT_RGBA : GST_VIDEO_FORMAT_RGB;
        *conversion = IMGSHARE_GST_FROM_P;
        return TRUE;
    default: return FALSE; /* I (signed 32-bit) and F (float): no GStreamer format holds them */
    }
}

/* The 256 colours of a P image as RGBA, as Pillow converts it: entries the palette lacks are black, and
 * alpha comes from an RGBA palette or the transparency (a transparent index, or one alpha per index). */
static void palette_colours(const imgshare_info *info, guint8 colours[256][4])
{
    guint entry = strcmp(info->palette_mode, "RGBA") == 0 ? 4 : 3, i;
    memset(colours, 0, 256 * 4);
    for (i = 0; i < 256; i++) {
        colours[i][3] = 255;
        if ((i + 1) * entry <= info->palette_length)
            memcpy(colours[i], info->palette + i * entry, entry);
    }
    if (info->transparency_kind == IMGSHARE_TRANSPARENCY_VALUE && info->transparency_values[0] < 256)
        colours[info->transparency_values[0]][3] = 0;
    if (info->transparency_kind == IMGSHARE_TRANSPARENCY_ALPHA)
        for (i = 0; i < info->transparency_length && i < 256; i++)
            colours[i][3] = info->transparency_alpha[i];
}

void imgshare_gst_write_frame(const imgshare_info *info, ImgShareConversion conversion, const guint8 *pixels,
                              GstVideoFrame *frame)
{
    guint8 *out = GST_VIDEO_FRAME_PLANE_DATA(frame, 0);
    gsize out_stride = (gsize)GST_VIDEO_FRAME_PLANE_STRIDE(frame, 0);
    gsize row = imgshare_row_bytes(info->mode, info->width);
    guint8 colours[256][4];
    guint out_bytes = conversion == IMGSHARE_GST_FROM_P ? (GST_VIDEO_FRAME_FORMAT(frame) == GST_VIDEO_FORMAT_RGBA ? 4 : 3)
                                                         : 0;
    guint32 x, y;
    if (conversion == IMGSHARE_GST_FROM_P)
        palette_colours(info, colours);
    for (y = 0; y < info->height; y++) {
        const guint8 *in = pixels + (gsize)y * info->stride;
        guint8 *line = out + y * out_stride;
        switch (conversion) {
        case IMGSHARE_GST_AS_IS: memcpy(line, in, row); break;
        case IMGSHARE_GST_FROM_1:
            for (x = 0; x < info->width; x++)
                line[x] = (in[x / 8] >> (7 - x % 8)) & 1 ? 255 : 0;
            break;
        case IMGSHARE_GST_FROM_LA:
            for (x = 0; x < info->width; x++) {
                line[4 * x] = line[4 * x + 1] = line[4 * x + 2] = in[2 * x];
                line[4 * x + 3] = in[2 * x + 1];
            }
            break;
        case IMGSHARE_GST_FROM_P:
            for (x = 0; x < info->width; x++)
                memcpy(line + (gsize)x * out_bytes, colours[in[x]], out_bytes);
            break;
        case IMGSHARE_GST_FROM_RGB16:
            for (x = 0; x < info->width; x++) {
                memcpy(line + 8 * (gsize)x, in + 6 * (gsize)x, 6);
                line[8 * (gsize)x + 6] = line[8 * (gsize)x + 7] = 0xFF;
            }
            break;
        }
    }
}

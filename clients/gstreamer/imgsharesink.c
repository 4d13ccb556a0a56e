/* imgsharesink.c: the element imgsharesink. Each frame is copied once into a free slot of the key's
 * segment and published (imgshare_share(), which hashes each chunk just before copying it); readers
 * count the frames they miss as usual. RGBx and BGRx are written in place with their padding byte made
 * opaque. The share is removed when the element stops, or left marked persisted with persist=true. */
#include "imgsharesink.h"

#include <gst/video/video.h>
#include <string.h>
#include <unistd.h>

#include "errors.h"
#include "formats.h"

GST_DEBUG_CATEGORY_STATIC(imgsharesink_debug);
#define GST_CAT_DEFAULT imgsharesink_debug

#define DEFAULT_KEY "169254" /* imgshare's own default key (the Qt demo's) */
/* A stream's frames: checksums cost a pass over each frame on both sides (bench/gstreamer.py) */
#define DEFAULT_CHECKSUM FALSE

struct _GstImgShareSink {
    GstBaseSink parent;
    /* properties, under the object lock */
    char *key;
    char *source_name;
    gboolean persist;
    gboolean checksum;
    /* the streaming side */
    imgshare_sender *sender;
    GstVideoInfo info;
    ImgShareSinkFormat share;
    GstBuffer *prerolled; /* shared at preroll: rendering it next would share it twice */
};

enum { PROP_0, PROP_KEY, PROP_PERSIST, PROP_CHECKSUM, PROP_SOURCE_NAME };

G_DEFINE_TYPE(GstImgShareSink, gst_imgshare_sink, GST_TYPE_BASE_SINK);
GST_ELEMENT_REGISTER_DEFINE(imgsharesink, "imgsharesink", GST_RANK_NONE, GST_TYPE_IMGSHARE_SINK);

static GstStaticPadTemplate sink_template =
    GST_STATIC_PAD_TEMPLATE("sink", GST_PAD_SINK, GST_PAD_ALWAYS,
                            GST_STATIC_CAPS(GST_VIDEO_CAPS_MAKE(IMGSHARE_GST_SINK_FORMATS) ", width = (int) [ 1, 65536 ], "
                                            "height = (int) [ 1, 65536 ]"));

/* TRUE if another live process serves key now. The key is claimed with the first frame, at preroll; a
 * pipeline whose first error comes that early can leave gst-launch-1.0 (1.22) waiting for ever, so the
 * commonest refusal is found here, when the state change can still fail. */
static gboolean served_by_another(GstImgShareSink *self, const char *key)
{
    imgshare_receiver *receiver;
    imgshare_info *info = g_new0(imgshare_info, 1); /* big (tags): not on the stack */
    gboolean served = FALSE;
    if (imgshare_receiver_open(&receiver, key) == IMGSHARE_OK) {
        if (imgshare_receive_info(receiver, info) == IMGSHARE_OK && info->sender_alive && !info->persisted &&
            info->sender_pid != (int32_t)getpid()) {
            GST_ELEMENT_ERROR(self, RESOURCE, BUSY, ("The key '%s' is in use by pid %d.", key, (int)info->sender_pid),
                              ("key '%s': IMGSHARE_IN_USE, the imgshare command line's exit code 7", key));
            served = TRUE;
        }
        imgshare_receiver_close(receiver);
    }
    g_free(info);
    return served;
}

static gboolean imgshare_sink_start(GstBaseSink *base)
{
    GstImgShareSink *self = GST_IMGSHARE_SINK(base);
    imgshare_status st;
    char *key;
    GST_OBJECT_LOCK(self);
    key = g_strdup(self->key);
    GST_OBJECT_UNLOCK(self);
    st = imgshare_sender_open(&self->sender, key);
    if (st)
        IMGSHARE_GST_POST_ERROR(self, st, IMGSHARE_GST_WRITING, key);
    else if (served_by_another(self, key))
        st = IMGSHARE_IN_USE;
    if (st) {
        imgshare_sender_close(self->sender, 0);
        self->sender = NULL;
    }
    g_free(key);
    return st == IMGSHARE_OK;
}

static gboolean imgshare_sink_stop(GstBaseSink *base)
{
    GstImgShareSink *self = GST_IMGSHARE_SINK(base);
    gboolean persist;
    GST_OBJECT_LOCK(self);
    persist = self->persist;
    GST_OBJECT_UNLOCK(self);
    GST_DEBUG_OBJECT(self, "stopping: the share is %s", persist ? "left, persisted" : "removed");
    imgshare_sender_close(self->sender, persist);
    self->sender = NULL;
    gst_clear_buffer(&self->prerolled);
    return TRUE;
}

static gboolean imgshare_sink_set_caps(GstBaseSink *base, GstCaps *caps)
{
    GstImgShareSink *self = GST_IMGSHARE_SINK(base);
    GstVideoInfo info;
    if (!gst_video_info_from_caps(&info, caps) || !imgshare_gst_sink_format(GST_VIDEO_INFO_FORMAT(&info), &self->share))
        return FALSE;
    self->info = info;
    return TRUE;
}

/* Upstream may hand frames with any row stride: they are read through GstVideoFrame. */
static gboolean imgshare_sink_propose_allocation(GstBaseSink *base, GstQuery *query)
{
    gst_query_add_allocation_meta(query, GST_VIDEO_META_API_TYPE, NULL);
    return TRUE;
}

/* RGBx/BGRx into a free slot: copy each row, making the padding byte an opaque alpha. */
static imgshare_status share_opaque(GstImgShareSink *self, GstVideoFrame *frame, const imgshare_extras *extras)
{
    guint32 width = (guint32)GST_VIDEO_FRAME_WIDTH(frame), height = (guint32)GST_VIDEO_FRAME_HEIGHT(frame), x, y;
    const guint8 *in = GST_VIDEO_FRAME_PLANE_DATA(frame, 0);
    gsize in_stride = (gsize)GST_VIDEO_FRAME_PLANE_STRIDE(frame, 0), out_stride;
    void *slot;
    imgshare_status st = imgshare_frame_begin(self->sender, width, height, IMGSHARE_MODE_RGBA, extras, &slot, &out_stride);
    if (st)
        return st;
    for (y = 0; y < height; y++) {
        const guint8 *from = in + y * in_stride;
        guint8 *to = (guint8 *)slot + y * out_stride;
        for (x = 0; x < width; x++) {
            guint32 pixel;
            memcpy(&pixel, from + 4 * x, 4);
            pixel |= GUINT32_TO_LE(0xFF000000u); /* the fourth byte in memory */
            memcpy(to + 4 * x, &pixel, 4);
        }
    }
    return imgshare_frame_publish(self->sender);
}

static GstFlowReturn share_frame(GstImgShareSink *self, GstBuffer *buffer)
{
    GstVideoFrame frame;
    imgshare_extras extras;
    imgshare_status st;
    char *source_name;
    gboolean checksum;
    gint64 started = g_get_monotonic_time();
    if (!gst_video_frame_map(&frame, &self->info, buffer, GST_MAP_READ)) {
        GST_ELEMENT_ERROR(self, STREAM, FAILED, ("Could not read a video frame."), ("gst_video_frame_map failed"));
        return GST_FLOW_ERROR;
    }
    GST_OBJECT_LOCK(self);
    source_name = g_strdup(self->source_name);
    checksum = self->checksum;
    GST_OBJECT_UNLOCK(self);
    memset(&extras, 0, sizeof extras);
    extras.bgr = self->share.bgr;
    extras.source_name = source_name && *source_name ? source_name : NULL;
    imgshare_sender_set_checksum(self->sender, checksum);
    if (self->share.opaque_pad)
        st = share_opaque(self, &frame, &extras);
    else
        st = imgshare_share(self->sender, GST_VIDEO_FRAME_PLANE_DATA(&frame, 0), (guint32)GST_VIDEO_FRAME_WIDTH(&frame),
                            (guint32)GST_VIDEO_FRAME_HEIGHT(&frame), self->share.mode,
                            (size_t)GST_VIDEO_FRAME_PLANE_STRIDE(&frame, 0), &extras);
    gst_video_frame_unmap(&frame);
    g_free(source_name);
    if (st) {
        char *key;
        GST_OBJECT_LOCK(self);
        key = g_strdup(self->key);
        GST_OBJECT_UNLOCK(self);
        IMGSHARE_GST_POST_ERROR(self, st, IMGSHARE_GST_WRITING, key);
        g_free(key);
        return GST_FLOW_ERROR;
    }
    /* bench/gstreamer.py reads these times: the element's own cost per frame, whatever the load */
    GST_LOG_OBJECT(self, "shared frame %" G_GUINT64_FORMAT " in %" G_GINT64_FORMAT " us",
                   imgshare_sender_sequence(self->sender), g_get_monotonic_time() - started);
    return GST_FLOW_OK;
}

static GstFlowReturn imgshare_sink_preroll(GstBaseSink *base, GstBuffer *buffer)
{
    GstImgShareSink *self = GST_IMGSHARE_SINK(base);
    GstFlowReturn ret = share_frame(self, buffer); /* a paused pipeline shows its first frame */
    gst_buffer_replace(&self->prerolled, ret == GST_FLOW_OK ? buffer : NULL); /* held: never recycled meanwhile */
    return ret;
}

static GstFlowReturn imgshare_sink_render(GstBaseSink *base, GstBuffer *buffer)
{
    GstImgShareSink *self = GST_IMGSHARE_SINK(base);
    gboolean shared = buffer == self->prerolled;
    gst_clear_buffer(&self->prerolled);
    return shared ? GST_FLOW_OK : share_frame(self, buffer);
}

static void imgshare_sink_set_property(GObject *object, guint id, const GValue *value, GParamSpec *spec)
{
    GstImgShareSink *self = GST_IMGSHARE_SINK(object);
    GST_OBJECT_LOCK(self);
    switch (id) {
    case PROP_KEY:
        if (self->sender) {
            GST_WARNING_OBJECT(self, "the key cannot change while the element runs; stop it first");
        } else {
            g_free(self->key);
            self->key = g_value_dup_string(value);
        }
        break;
    case PROP_PERSIST: self->persist = g_value_get_boolean(value); break;
    case PROP_CHECKSUM: self->checksum = g_value_get_boolean(value); break;
    case PROP_SOURCE_NAME:
        g_free(self->source_name);
        self->source_name = g_value_dup_string(value);
        break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, spec); break;
    }
    GST_OBJECT_UNLOCK(self);
}

static void imgshare_sink_get_property(GObject *object, guint id, GValue *value, GParamSpec *spec)
{
    GstImgShareSink *self = GST_IMGSHARE_SINK(object);
    GST_OBJECT_LOCK(self);
    switch (id) {
    case PROP_KEY: g_value_set_string(value, self->key); break;
    case PROP_PERSIST: g_value_set_boolean(value, self->persist); break;
    case PROP_CHECKSUM: g_value_set_boolean(value, self->checksum); break;
    case PROP_SOURCE_NAME: g_value_set_string(value, self->source_name); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, spec); break;
    }
    GST_OBJECT_UNLOCK(self);
}

static void imgshare_sink_finalize(GObject *object)
{
    GstImgShareSink *self = GST_IMGSHARE_SINK(object);
    g_free(self->key);
    g_free(self->source_name);
    G_OBJECT_CLASS(gst_imgshare_sink_parent_class)->finalize(object);
}

static void gst_imgshare_sink_class_init(GstImgShareSinkClass *klass)
{
    GObjectClass *object_class = G_OBJECT_CLASS(klass);
    GstElementClass *element_class = GST_ELEMENT_CLASS(klass);
    GstBaseSinkClass *sink_class = GST_BASE_SINK_CLASS(klass);
    GParamFlags flags = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS;
    object_class->set_property = imgshare_sink_set_property;
    object_class->get_property = imgshare_sink_get_property;
    object_class->finalize = imgshare_sink_finalize;
    g_object_class_install_property(
        object_class, PROP_KEY,
        g_param_spec_string("key", "Key",
                            "The imgshare key to share frames under (any text up to 255 bytes of UTF-8, as "
                            "'imgshare send --key' takes it); the same key in imgshare's window, 'imgshare receive' or "
                            "imgsharesrc reads them. Set before the element starts",
                            DEFAULT_KEY, flags | GST_PARAM_MUTABLE_READY));
    g_object_class_install_property(
        object_class, PROP_PERSIST,
        g_param_spec_boolean("persist", "Persist",
                             "Leave the last frame shared, marked persisted, when the element stops (at the end of the "
                             "stream, or when the pipeline stops), as 'imgshare send --persist' does; otherwise the "
                             "share is removed. 'imgshare remove --key KEY' takes a persisted share away",
                             FALSE, flags | GST_PARAM_MUTABLE_PLAYING));
    g_object_class_install_property(
        object_class, PROP_CHECKSUM,
        g_param_spec_boolean("checksum", "Checksum",
                             "Write an XXH3 checksum with each frame, which readers then verify: a pass over each "
                             "frame on both sides that catches memory damaged by another program. Off by default, as "
                             "for imgshare's other streams: the slots and the lock already keep readers from torn "
                             "frames",
                             DEFAULT_CHECKSUM, flags | GST_PARAM_MUTABLE_PLAYING));
    g_object_class_install_property(
        object_class, PROP_SOURCE_NAME,
        g_param_spec_string("source-name", "Source name",
                            "A name readers show beside each frame (imgshare's window and 'imgshare info'); empty for "
                            "none", NULL, flags | GST_PARAM_MUTABLE_PLAYING));
    gst_element_class_set_static_metadata(
        element_class, "imgshare sink", "Sink/Video",
        "Shares each video frame under an imgshare key, for imgshare's window, command line, Python API, C "
        "library and imgsharesrc to read", "imgshare developers");
    gst_element_class_add_static_pad_template(element_class, &sink_template);
    sink_class->start = GST_DEBUG_FUNCPTR(imgshare_sink_start);
    sink_class->stop = GST_DEBUG_FUNCPTR(imgshare_sink_stop);
    sink_class->set_caps = GST_DEBUG_FUNCPTR(imgshare_sink_set_caps);
    sink_class->propose_allocation = GST_DEBUG_FUNCPTR(imgshare_sink_propose_allocation);
    sink_class->preroll = GST_DEBUG_FUNCPTR(imgshare_sink_preroll);
    sink_class->render = GST_DEBUG_FUNCPTR(imgshare_sink_render);
    GST_DEBUG_CATEGORY_INIT(imgsharesink_debug, "imgsharesink", 0, "imgshare sink");
}

static void gst_imgshare_sink_init(GstImgShareSink *self)
{
    self->key = g_strdup(DEFAULT_KEY);
    self->checksum = DEFAULT_CHECKSUM;
    gst_base_sink_set_qos_enabled(GST_BASE_SINK(self), TRUE);
    gst_base_sink_set_max_lateness(GST_BASE_SINK(self), 20 * GST_MSECOND); /* as video sinks drop late frames */
}

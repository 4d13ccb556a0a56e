/* imgsharesrc.c: the element imgsharesrc, a live source with a buffer for each new image shared under a
 * key. It sleeps on the key's new-image signal (follower.c); the caps follow the image (size and format),
 * renegotiated when either changes. An image is lent downstream in place when it can be: a read-only
 * buffer wrapping the shared slot, which stays pinned (no sender writes it) until GStreamer frees the
 * buffer (lender.c). Otherwise it is copied into a buffer of the negotiated pool: when max-lent buffers
 * are out already (each keeps a slot from the sender), when the rows need another stride than downstream
 * reads, or when the mode needs converting (1, LA, P). */
#include "imgsharesrc.h"

#include <gst/video/video.h>
#include <string.h>

#include "errors.h"
#include "follower.h"
#include "formats.h"
#include "lender.h"

GST_DEBUG_CATEGORY_STATIC(imgsharesrc_debug);
#define GST_CAT_DEFAULT imgsharesrc_debug

#define DEFAULT_KEY "169254" /* imgshare's own default key (the Qt demo's) */
#define DEFAULT_WAIT (-1.0)
#define DEFAULT_ON_STOP GST_IMGSHARE_SRC_ON_STOP_EOS
#define DEFAULT_VERIFY TRUE
/* The sender keeps three slots: the published one, one it writes and one for a reader to hold. */
#define DEFAULT_MAX_LENT 1

struct _GstImgShareSrc {
    GstPushSrc parent;
    /* properties, under the object lock */
    char *key;
    double wait;
    GstImgShareSrcOnStop on_stop;
    gboolean verify;
    guint max_lent;
    /* the streaming side */
    ImgShareLender *lender;
    ImgShareFollower follower;
    gint flushing;          /* atomic: unlock() asks create() to return */
    gboolean has_caps;      /* info describes the caps set */
    GstVideoInfo info;
    gboolean has_wanted;    /* negotiate() sets wanted */
    GstVideoInfo wanted;
    gboolean video_meta;    /* downstream reads GstVideoMeta (rows of any stride) */
    GstClockTime last_pts;
};

enum { PROP_0, PROP_KEY, PROP_WAIT, PROP_ON_STOP, PROP_VERIFY, PROP_MAX_LENT };

G_DEFINE_TYPE(GstImgShareSrc, gst_imgshare_src, GST_TYPE_PUSH_SRC);
GST_ELEMENT_REGISTER_DEFINE(imgsharesrc, "imgsharesrc", GST_RANK_NONE, GST_TYPE_IMGSHARE_SRC);

static GstStaticPadTemplate src_template =
    GST_STATIC_PAD_TEMPLATE("src", GST_PAD_SRC, GST_PAD_ALWAYS,
                            GST_STATIC_CAPS(GST_VIDEO_CAPS_MAKE(IMGSHARE_GST_SRC_FORMATS) ", width = (int) [ 1, 65536 ], "
                                            "height = (int) [ 1, 65536 ]"));

GType gst_imgshare_src_on_stop_get_type(void)
{
    static gsize type;
    static const GEnumValue values[] = {
        {GST_IMGSHARE_SRC_ON_STOP_EOS, "End the stream (EOS) once the sender's images are out", "eos"},
        {GST_IMGSHARE_SRC_ON_STOP_WAIT, "Wait for a sender to share under the key again (for the time 'wait' gives)",
         "wait"},
        {0, NULL, NULL}};
    if (g_once_init_enter(&type))
        g_once_init_leave(&type, g_enum_register_static("GstImgShareSrcOnStop", values));
    return (GType)type;
}

static char *key_of(GstImgShareSrc *self)
{
    char *key;
    GST_OBJECT_LOCK(self);
    key = g_strdup(self->key);
    GST_OBJECT_UNLOCK(self);
    return key;
}

/* An INFO message on the bus: a waiting pipeline says what it waits for. gst-launch-1.0 prints an INFO
 * message's debug text alone, so the sentence is in both. */
static void announce_waiting(gpointer data, gboolean stopped)
{
    GstImgShareSrc *self = data;
    char *key = key_of(self);
    char *sentence = stopped ? g_strdup_printf("The sender of the key '%s' stopped; waiting for a sender.", key)
                             : g_strdup_printf("Nothing is shared under the key '%s' yet; waiting for a sender.", key);
    GST_ELEMENT_INFO(self, RESOURCE, NOT_FOUND, ("%s", sentence), ("%s", sentence));
    g_free(sentence);
    g_free(key);
}

static gboolean imgshare_src_start(GstBaseSrc *base)
{
    GstImgShareSrc *self = GST_IMGSHARE_SRC(base);
    char *key = key_of(self);
    gboolean verify;
    imgshare_status st;
    GST_OBJECT_LOCK(self);
    verify = self->verify;
    GST_OBJECT_UNLOCK(self);
    st = imgshare_lender_new(key, verify, &self->lender);
    if (st)
        IMGSHARE_GST_POST_ERROR(self, st, IMGSHARE_GST_READING, key);
    g_free(key);
    imgshare_follower_reset(&self->follower);
    self->follower.waiting = announce_waiting;
    self->follower.waiting_data = self;
    self->has_caps = self->has_wanted = FALSE;
    self->last_pts = GST_CLOCK_TIME_NONE;
    return st == IMGSHARE_OK;
}

static gboolean imgshare_src_stop(GstBaseSrc *base)
{
    GstImgShareSrc *self = GST_IMGSHARE_SRC(base);
    imgshare_lender_close(self->lender); /* lent buffers keep their receivers until freed */
    self->lender = NULL;
    return TRUE;
}

static gboolean imgshare_src_unlock(GstBaseSrc *base)
{
    g_atomic_int_set(&GST_IMGSHARE_SRC(base)->flushing, 1);
    return TRUE;
}

static gboolean imgshare_src_unlock_stop(GstBaseSrc *base)
{
    g_atomic_int_set(&GST_IMGSHARE_SRC(base)->flushing, 0);
    return TRUE;
}

/* The caps of the image now (once one came); the template's before. */
static GstCaps *imgshare_src_get_caps(GstBaseSrc *base, GstCaps *filter)
{
    GstImgShareSrc *self = GST_IMGSHARE_SRC(base);
    GstCaps *caps = NULL, *filtered;
    GST_OBJECT_LOCK(self);
    if (self->has_caps)
        caps = gst_video_info_to_caps(&self->info);
    GST_OBJECT_UNLOCK(self);
    if (!caps)
        caps = gst_pad_get_pad_template_caps(GST_BASE_SRC_PAD(base));
    if (!filter)
        return caps;
    filtered = gst_caps_intersect_full(filter, caps, GST_CAPS_INTERSECT_FIRST);
    gst_caps_unref(caps);
    return filtered;
}

/* The caps come from the image: none before the first, then the image's (create() sets wanted). */
static gboolean imgshare_src_negotiate(GstBaseSrc *base)
{
    GstImgShareSrc *self = GST_IMGSHARE_SRC(base);
    GstCaps *caps;
    gboolean ok;
    if (!self->has_wanted)
        return TRUE;
    caps = gst_video_info_to_caps(&self->wanted);
    ok = gst_pad_peer_query_accept_caps(GST_BASE_SRC_PAD(base), caps);
    if (!ok) {
        char *key = key_of(self), *text = gst_caps_to_string(caps);
        GST_ELEMENT_ERROR(self, CORE, NEGOTIATION,
                          ("Downstream does not accept the image under the key '%s' (%s %dx%d); put videoconvert after "
                           "imgsharesrc.",
                           key, gst_video_format_to_string(GST_VIDEO_INFO_FORMAT(&self->wanted)),
                           GST_VIDEO_INFO_WIDTH(&self->wanted), GST_VIDEO_INFO_HEIGHT(&self->wanted)),
                          ("refused caps: %s", text));
        g_free(key);
        g_free(text);
    } else if ((ok = gst_base_src_set_caps(base, caps))) {
        GST_OBJECT_LOCK(self);
        self->info = self->wanted;
        self->has_caps = TRUE;
        GST_OBJECT_UNLOCK(self);
    }
    gst_caps_unref(caps);
    return ok;
}

/* Copies go into buffers of a video pool (recycled: no fresh pages to fault in for every frame); whether
 * downstream reads GstVideoMeta decides whether a slot with other row strides can be lent. */
static gboolean imgshare_src_decide_allocation(GstBaseSrc *base, GstQuery *query)
{
    GstImgShareSrc *self = GST_IMGSHARE_SRC(base);
    GstBufferPool *pool = NULL;
    GstStructure *config;
    GstCaps *caps;
    GstVideoInfo info;
    guint size = 0, min = 0, max = 0;
    self->video_meta = gst_query_find_allocation_meta(query, GST_VIDEO_META_API_TYPE, NULL);
    gst_query_parse_allocation(query, &caps, NULL);
    if (!caps || !gst_video_info_from_caps(&info, caps))
        return TRUE; /* before the first image: nothing to allocate yet */
    if (gst_query_get_n_allocation_pools(query) > 0)
        gst_query_parse_nth_allocation_pool(query, 0, &pool, &size, &min, &max);
    if (pool && !GST_IS_VIDEO_BUFFER_POOL(pool))
        gst_clear_object(&pool);
    if (!pool)
        pool = gst_video_buffer_pool_new();
    size = MAX(size, (guint)GST_VIDEO_INFO_SIZE(&info));
    config = gst_buffer_pool_get_config(pool);
    gst_buffer_pool_config_set_params(config, caps, size, min, max);
    if (self->video_meta)
        gst_buffer_pool_config_add_option(config, GST_BUFFER_POOL_OPTION_VIDEO_META);
    if (!gst_buffer_pool_set_config(pool, config)) {
        config = gst_buffer_pool_get_config(pool); /* the pool's counter-proposal */
        if (!gst_buffer_pool_config_validate_params(config, caps, size, min, max) ||
            !gst_buffer_pool_set_config(pool, config)) {
            gst_object_unref(pool);
            GST_ELEMENT_ERROR(self, RESOURCE, SETTINGS, ("Could not set up a buffer pool for the images."), (NULL));
            return FALSE;
        }
    }
    if (gst_query_get_n_allocation_pools(query) > 0)
        gst_query_set_nth_allocation_pool(query, 0, pool, size, min, max);
    else
        gst_query_add_allocation_pool(query, pool, size, min, max);
    gst_object_unref(pool);
    return TRUE;
}

/* The image the receiver borrowed, in a buffer of the pool (converted if need be). */
static GstFlowReturn copy_image(GstImgShareSrc *self, const imgshare_info *info, ImgShareConversion conversion,
                                const void *pixels, GstBuffer **out)
{
    GstBufferPool *pool = gst_base_src_get_buffer_pool(GST_BASE_SRC(self));
    GstVideoFrame frame;
    GstFlowReturn ret;
    if (!pool)
        return GST_FLOW_NOT_NEGOTIATED;
    ret = gst_buffer_pool_acquire_buffer(pool, out, NULL);
    gst_object_unref(pool);
    if (ret != GST_FLOW_OK)
        return ret;
    if (!gst_video_frame_map(&frame, &self->info, *out, GST_MAP_WRITE)) {
        gst_clear_buffer(out);
        GST_ELEMENT_ERROR(self, RESOURCE, WRITE, ("Could not write into a buffer of the pool."), (NULL));
        return GST_FLOW_ERROR;
    }
    imgshare_gst_write_frame(info, conversion, pixels, &frame);
    gst_video_frame_unmap(&frame);
    return GST_FLOW_OK;
}

/* A buffer wrapping the slot itself: its rows as the sender wrote them, described by GstVideoMeta when
 * they are not GStreamer's default stride. */
static GstBuffer *lend_image(GstImgShareSrc *self, imgshare_receiver *receiver, const imgshare_info *info,
                             const void *pixels)
{
    GstBuffer *buffer = imgshare_lender_lend(self->lender, receiver, pixels, (gsize)info->payload_length);
    if ((gint)info->stride != GST_VIDEO_INFO_PLANE_STRIDE(&self->info, 0)) {
        gsize offset[GST_VIDEO_MAX_PLANES] = {0};
        gint stride[GST_VIDEO_MAX_PLANES] = {(gint)info->stride};
        gst_buffer_add_video_meta_full(buffer, GST_VIDEO_FRAME_FLAG_NONE, GST_VIDEO_INFO_FORMAT(&self->info),
                                       info->width, info->height, 1, offset, stride);
    }
    return buffer;
}

/* Without do-timestamp: the time the sender shared the image, as running time (never before the last). */
static void stamp(GstImgShareSrc *self, GstBuffer *buffer, const imgshare_info *info)
{
    GstClock *clock = gst_element_get_clock(GST_ELEMENT(self));
    GstClockTime now, base_time, age, pts;
    if (!clock)
        return;
    now = gst_clock_get_time(clock);
    base_time = gst_element_get_base_time(GST_ELEMENT(self));
    gst_object_unref(clock);
    age = (GstClockTime)MAX(g_get_real_time() * 1000 - info->timestamp_ns, 0);
    pts = now > base_time + age ? now - base_time - age : 0;
    if (GST_CLOCK_TIME_IS_VALID(self->last_pts) && pts < self->last_pts)
        pts = self->last_pts;
    GST_BUFFER_PTS(buffer) = self->last_pts = pts;
}

static GstFlowReturn image_not_supported(GstImgShareSrc *self, const imgshare_info *info)
{
    char *key = key_of(self);
    GST_ELEMENT_ERROR(self, STREAM, FORMAT,
                      ("The image under the key '%s' is of mode %s (%s), which no GStreamer raw video format holds; "
                       "imgsharesrc outputs modes L, I;16, RGB, RGBA, RGB;16, RGBA;16, 1, LA and P.",
                       key, imgshare_mode_name(info->mode),
                       info->mode == IMGSHARE_MODE_F ? "32-bit floating point" : "signed 32-bit integers"),
                      ("%ux%u, sequence %" G_GUINT64_FORMAT, info->width, info->height, info->sequence));
    g_free(key);
    return GST_FLOW_ERROR;
}

/* The end of the wait without an image, as a flow return (and an error message where it is one). */
static GstFlowReturn no_image(GstImgShareSrc *self, ImgShareFollowResult result, imgshare_status status, double wait)
{
    char *key = key_of(self);
    GstFlowReturn ret = GST_FLOW_ERROR;
    switch (result) {
    case IMGSHARE_FOLLOW_FLUSHING: ret = GST_FLOW_FLUSHING; break;
    case IMGSHARE_FOLLOW_ENDED:
        GST_INFO_OBJECT(self, "the sender of key '%s' stopped: end of stream", key);
        ret = GST_FLOW_EOS;
        break;
    case IMGSHARE_FOLLOW_NOTHING:
        GST_ELEMENT_ERROR(self, RESOURCE, NOT_FOUND, ("Nothing was shared under the key '%s' within %g s.", key, wait),
                          ("the property 'wait' sets how long imgsharesrc waits; -1 waits for ever"));
        break;
    case IMGSHARE_FOLLOW_QT:
        GST_ELEMENT_ERROR(self, STREAM, WRONG_TYPE,
                          ("The key '%s' holds a Qt-mode share (QSharedMemory with a PNG, as 'imgshare send --qt' makes "
                           "it), which imgsharesrc does not read; share without --qt.",
                           key),
                          (NULL));
        break;
    default: IMGSHARE_GST_POST_ERROR(self, status, IMGSHARE_GST_READING, key); break;
    }
    g_free(key);
    return ret;
}

static GstFlowReturn imgshare_src_create(GstPushSrc *push, GstBuffer **out)
{
    GstImgShareSrc *self = GST_IMGSHARE_SRC(push);
    GstBaseSrc *base = GST_BASE_SRC(push);
    imgshare_receiver *receiver = NULL;
    ImgShareFollowResult result;
    ImgShareConversion conversion;
    GstVideoFormat format;
    imgshare_status status = IMGSHARE_OK;
    imgshare_info info;
    const void *pixels = NULL;
    GstFlowReturn ret = GST_FLOW_OK;
    guint64 missed;
    guint max_lent;
    char *key;
    GST_OBJECT_LOCK(self);
    self->follower.wait = self->wait;
    self->follower.end_on_stop = self->on_stop == GST_IMGSHARE_SRC_ON_STOP_EOS;
    max_lent = self->max_lent;
    key = g_strdup(self->key);
    GST_OBJECT_UNLOCK(self);
    result = imgshare_follower_next(&self->follower, self->lender, key, &self->flushing, &receiver, &pixels, &info,
                                    &status);
    g_free(key);
    if (result != IMGSHARE_FOLLOW_IMAGE)
        return no_image(self, result, status, self->follower.wait);
    if (!imgshare_gst_src_format(&info, &format, &conversion)) {
        imgshare_lender_put_back(self->lender, receiver);
        return image_not_supported(self, &info);
    }
    if (!self->has_caps || GST_VIDEO_INFO_FORMAT(&self->info) != format ||
        GST_VIDEO_INFO_WIDTH(&self->info) != (gint)info.width || GST_VIDEO_INFO_HEIGHT(&self->info) != (gint)info.height) {
        gst_video_info_set_format(&self->wanted, format, info.width, info.height);
        GST_VIDEO_INFO_FPS_N(&self->wanted) = 0; /* images come when the sender shares them */
        GST_VIDEO_INFO_FPS_D(&self->wanted) = 1;
        self->has_wanted = TRUE;
        GST_DEBUG_OBJECT(self, "caps for %ux%u %s", info.width, info.height, imgshare_mode_name(info.mode));
        if (!gst_base_src_negotiate(base)) {
            imgshare_lender_put_back(self->lender, receiver);
            return GST_FLOW_NOT_NEGOTIATED;
        }
    }
    if (conversion == IMGSHARE_GST_AS_IS && imgshare_lender_lent(self->lender) < max_lent &&
        ((gint)info.stride == GST_VIDEO_INFO_PLANE_STRIDE(&self->info, 0) || self->video_meta)) {
        *out = lend_image(self, receiver, &info, pixels);
        GST_LOG_OBJECT(self, "image %" G_GUINT64_FORMAT " lent in place", info.sequence);
    } else {
        ret = copy_image(self, &info, conversion, pixels, out);
        imgshare_lender_put_back(self->lender, receiver);
        GST_LOG_OBJECT(self, "image %" G_GUINT64_FORMAT " copied", info.sequence);
        if (ret != GST_FLOW_OK)
            return ret;
    }
    missed = imgshare_follower_output(&self->follower, &info);
    if (missed)
        GST_DEBUG_OBJECT(self, "%" G_GUINT64_FORMAT " images missed before image %" G_GUINT64_FORMAT, missed,
                         info.sequence);
    GST_BUFFER_OFFSET(*out) = info.sequence; /* a gap in offsets: images shared while downstream was busy */
    GST_BUFFER_OFFSET_END(*out) = info.sequence + 1;
    if (!gst_base_src_get_do_timestamp(base))
        stamp(self, *out, &info);
    return GST_FLOW_OK;
}

static void imgshare_src_set_property(GObject *object, guint id, const GValue *value, GParamSpec *spec)
{
    GstImgShareSrc *self = GST_IMGSHARE_SRC(object);
    GST_OBJECT_LOCK(self);
    switch (id) {
    case PROP_KEY:
        if (self->lender) {
            GST_WARNING_OBJECT(self, "the key cannot change while the element runs; stop it first");
        } else {
            g_free(self->key);
            self->key = g_value_dup_string(value);
        }
        break;
    case PROP_WAIT: self->wait = g_value_get_double(value); break;
    case PROP_ON_STOP: self->on_stop = (GstImgShareSrcOnStop)g_value_get_enum(value); break;
    case PROP_VERIFY: self->verify = g_value_get_boolean(value); break;
    case PROP_MAX_LENT: self->max_lent = g_value_get_uint(value); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, spec); break;
    }
    GST_OBJECT_UNLOCK(self);
}

static void imgshare_src_get_property(GObject *object, guint id, GValue *value, GParamSpec *spec)
{
    GstImgShareSrc *self = GST_IMGSHARE_SRC(object);
    GST_OBJECT_LOCK(self);
    switch (id) {
    case PROP_KEY: g_value_set_string(value, self->key); break;
    case PROP_WAIT: g_value_set_double(value, self->wait); break;
    case PROP_ON_STOP: g_value_set_enum(value, self->on_stop); break;
    case PROP_VERIFY: g_value_set_boolean(value, self->verify); break;
    case PROP_MAX_LENT: g_value_set_uint(value, self->max_lent); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, spec); break;
    }
    GST_OBJECT_UNLOCK(self);
}

static void imgshare_src_finalize(GObject *object)
{
    g_free(GST_IMGSHARE_SRC(object)->key);
    G_OBJECT_CLASS(gst_imgshare_src_parent_class)->finalize(object);
}

static void gst_imgshare_src_class_init(GstImgShareSrcClass *klass)
{
    GObjectClass *object_class = G_OBJECT_CLASS(klass);
    GstElementClass *element_class = GST_ELEMENT_CLASS(klass);
    GstBaseSrcClass *base_class = GST_BASE_SRC_CLASS(klass);
    GstPushSrcClass *push_class = GST_PUSH_SRC_CLASS(klass);
    GParamFlags flags = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS;
    object_class->set_property = imgshare_src_set_property;
    object_class->get_property = imgshare_src_get_property;
    object_class->finalize = imgshare_src_finalize;
    g_object_class_install_property(
        object_class, PROP_KEY,
        g_param_spec_string("key", "Key",
                            "The imgshare key to read images from (as 'imgshare receive --key' takes it): imgshare's "
                            "window, 'imgshare send', the Python API, the C library or imgsharesink share under it. Set "
                            "before the element starts",
                            DEFAULT_KEY, flags | GST_PARAM_MUTABLE_READY));
    g_object_class_install_property(
        object_class, PROP_WAIT,
        g_param_spec_double("wait", "Wait",
                            "Seconds to wait for a sender when nothing is shared under the key: at the start, and after "
                            "the sender stopped when on-stop=wait. When they run out the stream ends (EOS) if images "
                            "came, else the element fails with 'nothing was shared'. -1 waits for ever",
                            -1.0, G_MAXDOUBLE, DEFAULT_WAIT, flags | GST_PARAM_MUTABLE_PLAYING));
    g_object_class_install_property(
        object_class, PROP_ON_STOP,
        g_param_spec_enum("on-stop", "On stop",
                          "What to do when the sender stops (removes its share, exits or dies, leaves its share "
                          "persisted, or another process takes the key over): end the stream, or wait for a sender "
                          "and go on with its images (renegotiating if their size or format differs)",
                          GST_TYPE_IMGSHARE_SRC_ON_STOP, DEFAULT_ON_STOP, flags | GST_PARAM_MUTABLE_PLAYING));
    g_object_class_install_property(
        object_class, PROP_VERIFY,
        g_param_spec_boolean("verify", "Verify",
                             "Check each image against the checksum its sender wrote (senders without checksums are "
                             "read as they are); a damaged image fails the element. Set before the element starts",
                             DEFAULT_VERIFY, flags | GST_PARAM_MUTABLE_READY));
    g_object_class_install_property(
        object_class, PROP_MAX_LENT,
        g_param_spec_uint("max-lent", "Most lent",
                          "Most images lent downstream at once as buffers that wrap the shared memory itself (zero "
                          "copy); an image that comes while that many are out is copied. A lent image keeps its slot "
                          "from the sender until GStreamer frees the buffer, and a sender has one slot to spare: more "
                          "than 1 can make it write into fresh memory, which costs it page faults. 0 copies every image",
                          0, 6, DEFAULT_MAX_LENT, flags | GST_PARAM_MUTABLE_PLAYING));
    gst_element_class_set_static_metadata(
        element_class, "imgshare source", "Source/Video",
        "A live source of each new image shared under an imgshare key (by imgshare's window, command line, Python "
        "API, C library or imgsharesink), with caps that follow the image's size and format",
        "imgshare developers");
    gst_element_class_add_static_pad_template(element_class, &src_template);
    base_class->start = GST_DEBUG_FUNCPTR(imgshare_src_start);
    base_class->stop = GST_DEBUG_FUNCPTR(imgshare_src_stop);
    base_class->unlock = GST_DEBUG_FUNCPTR(imgshare_src_unlock);
    base_class->unlock_stop = GST_DEBUG_FUNCPTR(imgshare_src_unlock_stop);
    base_class->get_caps = GST_DEBUG_FUNCPTR(imgshare_src_get_caps);
    base_class->negotiate = GST_DEBUG_FUNCPTR(imgshare_src_negotiate);
    base_class->decide_allocation = GST_DEBUG_FUNCPTR(imgshare_src_decide_allocation);
    push_class->create = GST_DEBUG_FUNCPTR(imgshare_src_create);
    gst_type_mark_as_plugin_api(GST_TYPE_IMGSHARE_SRC_ON_STOP, 0);
    GST_DEBUG_CATEGORY_INIT(imgsharesrc_debug, "imgsharesrc", 0, "imgshare source");
}

static void gst_imgshare_src_init(GstImgShareSrc *self)
{
    GstBaseSrc *base = GST_BASE_SRC(self);
    self->key = g_strdup(DEFAULT_KEY);
    self->wait = DEFAULT_WAIT;
    self->on_stop = DEFAULT_ON_STOP;
    self->verify = DEFAULT_VERIFY;
    self->max_lent = DEFAULT_MAX_LENT;
    gst_base_src_set_live(base, TRUE);
    gst_base_src_set_format(base, GST_FORMAT_TIME);
    gst_base_src_set_do_timestamp(base, TRUE); /* arrival times by default: sinks show each image at once */
}

/* imgsharesink.h: the element imgsharesink, which shares each video frame under an imgshare key. */
#ifndef IMGSHARE_GST_SINK_H
#define IMGSHARE_GST_SINK_H

#include <gst/base/gstbasesink.h>

G_BEGIN_DECLS
#define GST_TYPE_IMGSHARE_SINK (gst_imgshare_sink_get_type())
G_DECLARE_FINAL_TYPE(GstImgShareSink, gst_imgshare_sink, GST, IMGSHARE_SINK, GstBaseSink)
GST_ELEMENT_REGISTER_DECLARE(imgsharesink);
G_END_DECLS

#endif

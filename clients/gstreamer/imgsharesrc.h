/* imgsharesrc.h: the element imgsharesrc, a live source of each new image shared under an imgshare key. */
#ifndef IMGSHARE_GST_SRC_H
#define IMGSHARE_GST_SRC_H

#include <gst/base/gstpushsrc.h>

G_BEGIN_DECLS
#define GST_TYPE_IMGSHARE_SRC (gst_imgshare_src_get_type())
G_DECLARE_FINAL_TYPE(GstImgShareSrc, gst_imgshare_src, GST, IMGSHARE_SRC, GstPushSrc)
GST_ELEMENT_REGISTER_DECLARE(imgsharesrc);

/* What imgsharesrc does when its sender stops. */
typedef enum {
    GST_IMGSHARE_SRC_ON_STOP_EOS,
    GST_IMGSHARE_SRC_ON_STOP_WAIT
} GstImgShareSrcOnStop;
#define GST_TYPE_IMGSHARE_SRC_ON_STOP (gst_imgshare_src_on_stop_get_type())
GType gst_imgshare_src_on_stop_get_type(void);
G_END_DECLS

#endif

/* qtshare.h: whether a Qt program shares under a key (imgshare's Qt mode), which imgsharesrc cannot read. */
#ifndef IMGSHARE_GST_QTSHARE_H
#define IMGSHARE_GST_QTSHARE_H

#include <glib.h>

/* TRUE if a QSharedMemory segment of Qt's legacy key for key holds a QImage stream (what `imgshare send
 * --qt` and Qt's shared-memory example share): docs/qt.md says where Qt puts it. */
gboolean imgshare_gst_qt_share_at(const char *key);

#endif

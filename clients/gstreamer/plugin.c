/* plugin.c: the GStreamer plugin "imgshare": imgsharesink and imgsharesrc. The C library's one
 * implementation unit is here. */
#define IMGSHARE_IMPLEMENTATION
#include "imgshare.h"

#include <gst/gst.h>

#include "imgsharesink.h"
#include "imgsharesrc.h"

#define PACKAGE "imgshare"

static gboolean plugin_init(GstPlugin *plugin)
{
    gboolean ok = GST_ELEMENT_REGISTER(imgsharesink, plugin);
    return GST_ELEMENT_REGISTER(imgsharesrc, plugin) && ok;
}

GST_PLUGIN_DEFINE(GST_VERSION_MAJOR, GST_VERSION_MINOR, imgshare,
                  "Share video frames with imgshare: System V shared memory between processes on one machine",
                  plugin_init, IMGSHARE_GST_VERSION, "MIT/X11", "imgshare", "https://github.com/imgshare/imgshare")

/* lender.h: imgsharesrc's receivers, and buffers that wrap the shared slot a receiver borrowed.
 *
 * A receiver borrows one image at a time: its slot stays pinned (no sender writes it) until the
 * receiver's next call. So each lent buffer keeps a receiver of its own, and gives it back when GStreamer
 * frees the buffer's memory, from whichever thread does. The source takes an idle receiver for each
 * image it waits for. */
#ifndef IMGSHARE_GST_LENDER_H
#define IMGSHARE_GST_LENDER_H

#include <gst/gst.h>

#include "imgshare.h"

typedef struct ImgShareLender ImgShareLender;

/* Receivers for key, verifying checksums or not; fails (with imgshare_message()) if key is not a key. */
imgshare_status imgshare_lender_new(const char *key, gboolean verify, ImgShareLender **out);
/* A receiver that no buffer holds (a new one if all are lent). */
imgshare_status imgshare_lender_take(ImgShareLender *lender, imgshare_receiver **receiver);
/* Give back a receiver taken and not lent (what it borrowed is released). */
void imgshare_lender_put_back(ImgShareLender *lender, imgshare_receiver *receiver);
/* A read-only buffer of size bytes at pixels, which receiver has borrowed: the receiver comes back when
 * the buffer's memory is freed. */
GstBuffer *imgshare_lender_lend(ImgShareLender *lender, imgshare_receiver *receiver, const void *pixels,
                                gsize size);
/* How many buffers are lent now. */
guint imgshare_lender_lent(ImgShareLender *lender);
/* The source is done: idle receivers close now, lent ones when their buffers are freed. */
void imgshare_lender_close(ImgShareLender *lender);

#endif

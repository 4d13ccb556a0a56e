/* follower.h: imgsharesrc's wait for the next image: newer than the last one output, woken by the
 * new-image signal, and told apart from a sender that stopped (removed its share, died, persisted it and
 * left, or gave the key to another process). No GStreamer here beyond GLib. */
#ifndef IMGSHARE_GST_FOLLOWER_H
#define IMGSHARE_GST_FOLLOWER_H

#include <glib.h>

#include "imgshare.h"
#include "lender.h"

typedef enum ImgShareFollowResult {
    IMGSHARE_FOLLOW_IMAGE,    /* *receiver has borrowed a new image */
    IMGSHARE_FOLLOW_FLUSHING, /* *flushing was set */
    IMGSHARE_FOLLOW_ENDED,    /* the sender stopped (end_on_stop), or the wait ran out after images came */
    IMGSHARE_FOLLOW_NOTHING,  /* the wait ran out and no image ever came */
    IMGSHARE_FOLLOW_QT,       /* nothing of imgshare's at the key, but a Qt-mode share */
    IMGSHARE_FOLLOW_FAILED    /* imgshare said no: the status is in *status, the sentence in imgshare_message() */
} ImgShareFollowResult;

typedef struct ImgShareFollower {
    /* set by the caller before each call */
    double wait;          /* seconds to wait for a sender when there is none; < 0: for ever */
    gboolean end_on_stop; /* a stopped sender ends the stream, rather than being waited for */
    /* called once each time the wait for a sender begins (stopped: a sender was there before) */
    void (*waiting)(gpointer data, gboolean stopped);
    gpointer waiting_data;
    /* the image output last: (epoch, sequence) names it (protocol §10.4), the pid its sender */
    gboolean output_any;
    uint64_t last_epoch;
    uint64_t last_sequence;
    int32_t last_pid;
    gint64 waiting_since; /* monotonic microseconds; 0: not waiting for a sender */
} ImgShareFollower;

/* Start afresh: nothing output yet. */
void imgshare_follower_reset(ImgShareFollower *follower);
/* Wait for the next image; with IMGSHARE_FOLLOW_IMAGE, *receiver (taken from lender) holds it borrowed,
 * else no receiver is held. */
ImgShareFollowResult imgshare_follower_next(ImgShareFollower *follower, ImgShareLender *lender, const char *key,
                                            const gint *flushing, imgshare_receiver **receiver, const void **pixels,
                                            imgshare_info *info, imgshare_status *status);
/* The image info describes was output: the images missed since the one before (protocol §10.4). */
guint64 imgshare_follower_output(ImgShareFollower *follower, const imgshare_info *info);

#endif

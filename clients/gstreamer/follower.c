/* follower.c: the wait for imgsharesrc's next image (see follower.h). */
#include "follower.h"

#include "qtshare.h"

/* The longest single wait on the new-image signal: how soon a flush, a dead sender or the end of the
 * wait is noticed. Images themselves wake the wait at once. */
#define SLICE_SECONDS 0.1

typedef enum { SENDER_SERVING, SENDER_GONE, SENDER_FAILED } SenderState;

void imgshare_follower_reset(ImgShareFollower *follower)
{
    follower->output_any = FALSE;
    follower->last_epoch = 0;
    follower->last_sequence = 0;
    follower->last_pid = 0;
    follower->waiting_since = 0;
}

static gboolean already_output(const ImgShareFollower *follower, const imgshare_info *info)
{
    return follower->output_any && info->epoch == follower->last_epoch && info->sequence == follower->last_sequence;
}

/* After a wait with nothing new (status TIMED_OUT or NOT_SHARED): is a sender still serving the key? */
static SenderState sender_state(imgshare_receiver *receiver, imgshare_status waited, imgshare_status *status)
{
    imgshare_info info;
    if (waited == IMGSHARE_NOT_SHARED)
        return SENDER_GONE;
    *status = imgshare_receive_info(receiver, &info);
    if (*status == IMGSHARE_NOT_SHARED)
        return SENDER_GONE;
    if (*status)
        return SENDER_FAILED;
    return info.sender_alive && !info.persisted ? SENDER_SERVING : SENDER_GONE;
}

/* No sender: end, or wait for one (for follower->wait seconds). */
static ImgShareFollowResult no_sender(ImgShareFollower *follower, const char *key, gboolean *keep_waiting)
{
    gint64 now = g_get_monotonic_time();
    *keep_waiting = FALSE;
    if (imgshare_gst_qt_share_at(key))
        return IMGSHARE_FOLLOW_QT;
    if (follower->output_any && follower->end_on_stop)
        return IMGSHARE_FOLLOW_ENDED;
    if (!follower->waiting_since) {
        follower->waiting_since = now;
        if (follower->waiting)
            follower->waiting(follower->waiting_data, follower->output_any);
    }
    if (follower->wait >= 0 && (double)(now - follower->waiting_since) / G_USEC_PER_SEC >= follower->wait)
        return follower->output_any ? IMGSHARE_FOLLOW_ENDED : IMGSHARE_FOLLOW_NOTHING;
    *keep_waiting = TRUE;
    return IMGSHARE_FOLLOW_NOTHING;
}

ImgShareFollowResult imgshare_follower_next(ImgShareFollower *follower, ImgShareLender *lender, const char *key,
                                            const gint *flushing, imgshare_receiver **receiver, const void **pixels,
                                            imgshare_info *info, imgshare_status *status)
{
    ImgShareFollowResult result;
    imgshare_receiver *r;
    gboolean keep_waiting;
    if ((*status = imgshare_lender_take(lender, &r)))
        return IMGSHARE_FOLLOW_FAILED;
    for (;;) {
        imgshare_status waited;
        SenderState state;
        if (g_atomic_int_get(flushing)) {
            result = IMGSHARE_FOLLOW_FLUSHING;
            break;
        }
        /* wakes on the new-image signal; r's own last image may be older than the last one output
         * (another receiver output it): then it is returned once more, skipped, and r waits for newer */
        waited = imgshare_borrow_new(r, SLICE_SECONDS, pixels, info);
        if (waited == IMGSHARE_OK) {
            if (already_output(follower, info))
                continue;
            if (follower->output_any && follower->end_on_stop &&
                (info->epoch != follower->last_epoch || info->sender_pid != follower->last_pid)) {
                result = IMGSHARE_FOLLOW_ENDED; /* the key made anew, or taken over by another process */
                break;
            }
            follower->waiting_since = 0;
            *receiver = r;
            return IMGSHARE_FOLLOW_IMAGE;
        }
        if (waited != IMGSHARE_TIMED_OUT && waited != IMGSHARE_NOT_SHARED) {
            *status = waited;
            result = IMGSHARE_FOLLOW_FAILED;
            break;
        }
        state = sender_state(r, waited, status);
        if (state == SENDER_SERVING) {
            follower->waiting_since = 0;
            continue;
        }
        if (state == SENDER_FAILED) {
            result = IMGSHARE_FOLLOW_FAILED;
            break;
        }
        result = no_sender(follower, key, &keep_waiting);
        if (!keep_waiting)
            break;
    }
    imgshare_lender_put_back(lender, r);
    return result;
}

guint64 imgshare_follower_output(ImgShareFollower *follower, const imgshare_info *info)
{
    guint64 missed = !follower->output_any                 ? 0
                     : info->epoch != follower->last_epoch    ? info->sequence - 1 /* the key was made anew */
                     : info->sequence > follower->last_sequence ? info->sequence - follower->last_sequence - 1
                                                                : 0;
    follower->output_any = TRUE;
    follower->last_epoch = info->epoch;
    follower->last_sequence = info->sequence;
    follower->last_pid = info->sender_pid;
    return missed;
}

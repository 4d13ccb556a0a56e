/* lender.c: receivers lent with the buffers that wrap their borrowed slots (see lender.h). */
#include "lender.h"

struct ImgShareLender {
    gint refs; /* the source's, and one per lent buffer: the lender outlives the element if need be */
    GMutex lock;
    char *key;
    gboolean verify;
    GPtrArray *idle; /* receivers no buffer holds */
    guint lent;
    gboolean closed;
};

typedef struct Loan {
    ImgShareLender *lender;
    imgshare_receiver *receiver;
} Loan;

static void lender_unref(ImgShareLender *lender)
{
    if (!g_atomic_int_dec_and_test(&lender->refs))
        return;
    g_ptr_array_free(lender->idle, TRUE);
    g_mutex_clear(&lender->lock);
    g_free(lender->key);
    g_free(lender);
}

imgshare_status imgshare_lender_new(const char *key, gboolean verify, ImgShareLender **out)
{
    imgshare_receiver *first;
    imgshare_status st = imgshare_receiver_open(&first, key); /* checks the key */
    *out = NULL;
    if (st)
        return st;
    *out = g_new0(ImgShareLender, 1);
    (*out)->refs = 1;
    g_mutex_init(&(*out)->lock);
    (*out)->key = g_strdup(key);
    (*out)->verify = verify;
    (*out)->idle = g_ptr_array_new_with_free_func((GDestroyNotify)imgshare_receiver_close);
    imgshare_receiver_set_verify(first, verify);
    g_ptr_array_add((*out)->idle, first);
    return IMGSHARE_OK;
}

imgshare_status imgshare_lender_take(ImgShareLender *lender, imgshare_receiver **receiver)
{
    imgshare_status st = IMGSHARE_OK;
    g_mutex_lock(&lender->lock);
    *receiver = lender->idle->len ? g_ptr_array_steal_index_fast(lender->idle, lender->idle->len - 1) : NULL;
    g_mutex_unlock(&lender->lock);
    if (!*receiver && (st = imgshare_receiver_open(receiver, lender->key)) == IMGSHARE_OK)
        imgshare_receiver_set_verify(*receiver, lender->verify);
    return st;
}

/* Called with the lock held. */
static void keep_or_close(ImgShareLender *lender, imgshare_receiver *receiver)
{
    if (lender->closed)
        imgshare_receiver_close(receiver);
    else
        g_ptr_array_add(lender->idle, receiver);
}

void imgshare_lender_put_back(ImgShareLender *lender, imgshare_receiver *receiver)
{
    imgshare_release(receiver);
    g_mutex_lock(&lender->lock);
    keep_or_close(lender, receiver);
    g_mutex_unlock(&lender->lock);
}

static void loan_returned(gpointer data)
{
    Loan *loan = data;
    ImgShareLender *lender = loan->lender;
    imgshare_release(loan->receiver); /* the slot is the sender's again */
    g_mutex_lock(&lender->lock);
    lender->lent--;
    keep_or_close(lender, loan->receiver);
    g_mutex_unlock(&lender->lock);
    g_free(loan);
    lender_unref(lender);
}

GstBuffer *imgshare_lender_lend(ImgShareLender *lender, imgshare_receiver *receiver, const void *pixels, gsize size)
{
    Loan *loan = g_new(Loan, 1);
    loan->lender = lender;
    loan->receiver = receiver;
    g_atomic_int_inc(&lender->refs);
    g_mutex_lock(&lender->lock);
    lender->lent++;
    g_mutex_unlock(&lender->lock);
    /* read-only: an element that writes in place gets a copy from GStreamer (gst_memory_make_mapped) */
    return gst_buffer_new_wrapped_full(GST_MEMORY_FLAG_READONLY, (gpointer)pixels, size, 0, size, loan, loan_returned);
}

guint imgshare_lender_lent(ImgShareLender *lender)
{
    guint lent;
    g_mutex_lock(&lender->lock);
    lent = lender->lent;
    g_mutex_unlock(&lender->lock);
    return lent;
}

void imgshare_lender_close(ImgShareLender *lender)
{
    if (!lender)
        return;
    g_mutex_lock(&lender->lock);
    lender->closed = TRUE;
    g_ptr_array_set_size(lender->idle, 0); /* closes them */
    g_mutex_unlock(&lender->lock);
    lender_unref(lender);
}

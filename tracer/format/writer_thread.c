/*
 * writer_thread.c - the trace writer's encoder thread (see writer.c for the design): the ring of
 * batches the producer fills and the thread encodes, the handover, a drain and the thread's end.
 */
#include "writer_private.h"

#include <signal.h>
#include <stdlib.h>

static void *encoder_main(void *arg)
{
    struct trace_writer *w = arg;
    pthread_mutex_lock(&w->mu);
    for (;;) {
        while (w->tail == w->head && !w->quit) {
            w->enc_waiting = true;
            pthread_cond_wait(&w->more, &w->mu);
            w->enc_waiting = false;
        }
        if (w->tail == w->head)
            break; /* quit, and everything is encoded */
        struct batch *b = &w->ring[w->tail % NBATCH];
        pthread_mutex_unlock(&w->mu);
        writer_encode_batch(w, b);
        pthread_mutex_lock(&w->mu);
        b->n = 0;
        w->tail++;
        /* Wake the producer when half the ring is free (not at every batch: it would wake and
         * sleep again for each), or when it waits for the ring to drain. */
        if (w->prod_waiting && (w->head - w->tail <= NBATCH / 2 || w->tail == w->head))
            pthread_cond_signal(&w->room);
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

/* Starts the encoder thread; false (and the writer stays single-threaded) when it cannot. */
static bool thread_start(struct trace_writer *w)
{
    size_t i;
    for (i = 0; i < NBATCH; i++) {
        if (&w->ring[i] == w->fill || w->ring[i].rec)
            continue;
        w->ring[i].rec = malloc(BATCH_WORDS * sizeof(uint64_t));
        if (!w->ring[i].rec)
            return false; /* the buffers stay allocated until the writer is freed */
        w->ring[i].cap = BATCH_WORDS;
    }
    if (pthread_mutex_init(&w->mu, NULL))
        return false;
    if (pthread_cond_init(&w->more, NULL))
        goto out_mutex;
    if (pthread_cond_init(&w->room, NULL))
        goto out_more;
    /* The producer's batch is the ring's next: head is its index. */
    w->head = w->tail = (uint64_t)(w->fill - w->ring);
    /* Signals are the producer's to handle; the thread takes SIGPIPE (a write to a closed pipe)
     * as the producer would. */
    sigset_t all, old;
    sigfillset(&all);
    sigdelset(&all, SIGPIPE);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int rc = pthread_create(&w->thread, NULL, encoder_main, w);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc)
        goto out_room;
    w->thread_live = true;
    w->async = true;
    return true;

out_room:
    pthread_cond_destroy(&w->room);
out_more:
    pthread_cond_destroy(&w->more);
out_mutex:
    pthread_mutex_destroy(&w->mu);
    return false;
}

/* Waits until the encoder thread has encoded everything published (the producer then owns the
 * encoder's fields until it publishes again). */
static void thread_drain(struct trace_writer *w)
{
    pthread_mutex_lock(&w->mu);
    if (w->enc_waiting && w->tail != w->head)
        pthread_cond_signal(&w->more);
    while (w->tail != w->head) {
        w->prod_waiting = true;
        pthread_cond_wait(&w->room, &w->mu);
        w->prod_waiting = false;
    }
    pthread_mutex_unlock(&w->mu);
}

void writer_thread_stop(struct trace_writer *w)
{
    if (!w->thread_live)
        return;
    pthread_mutex_lock(&w->mu);
    w->quit = true;
    pthread_cond_signal(&w->more);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->thread, NULL);
    pthread_cond_destroy(&w->room);
    pthread_cond_destroy(&w->more);
    pthread_mutex_destroy(&w->mu);
    w->thread_live = false;
    w->async = false;
}

/* Starts the encoder thread when the mode asks for it now (the producer owns the encoder). */
void writer_maybe_thread(struct trace_writer *w)
{
    if (w->thread_live || w->err || !w->may_thread)
        return;
    if (w->thread_mode == TRACE_WRITER_THREAD_ALWAYS ||
        (w->thread_mode == TRACE_WRITER_THREAD_AUTO && !w->flushed && w->ix.nchunks > 0))
        w->may_thread = thread_start(w);
}

/* The batch being filled is full, or must be encoded now: hands it to the encoder thread and
 * takes the next free one.  The next record takes the slow path, which reads the clock for the
 * new batch. */
void writer_batch_done(struct trace_writer *w)
{
    struct batch *b = w->fill;
    b->n = (size_t)(w->rp - b->rec);
    if (b->n) {
        pthread_mutex_lock(&w->mu);
        w->head++;
        /* Wake the encoder thread once half the ring waits for it, not for every batch: when it
         * keeps up it would sleep and be woken (a system call here) for each. */
        if (w->enc_waiting && w->head - w->tail >= NBATCH / 2)
            pthread_cond_signal(&w->more);
        while (w->head - w->tail >= NBATCH) {
            w->prod_waiting = true;
            pthread_cond_wait(&w->room, &w->mu);
            w->prod_waiting = false;
        }
        pthread_mutex_unlock(&w->mu);
        w->fill = &w->ring[w->head % NBATCH];
        if (atomic_load_explicit(&w->failed, memory_order_acquire))
            w->stopped = true;
    }
    w->rp = w->fill->rec;
    w->rlim = 0;
}

/* Makes every event emitted encoded: the encoder thread, if it has work, gets the batch being
 * filled and the producer waits until it is idle.  The producer then owns the encoder's fields
 * until it hands over a batch again. */
void writer_encode_all(struct trace_writer *w)
{
    if (!w->async)
        return;
    writer_batch_done(w);
    thread_drain(w);
}

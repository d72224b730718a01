/*
 * writer_thread.c - the trace writer's encoder thread (see writer.c for the design): the ring of
 * full chunks the producer hands over and the thread compresses and writes, the handover, a
 * drain and the thread's end.
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
            break; /* quit, and everything is written */
        const struct sealed *c = &w->ring[w->tail % NRING];
        pthread_mutex_unlock(&w->mu);
        writer_chunk_write(w, c);
        pthread_mutex_lock(&w->mu);
        w->tail++;
        if (w->prod_waiting)
            pthread_cond_signal(&w->room);
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

/* Starts the encoder thread; false (and the writer stays single-threaded) when it cannot. */
static bool thread_start(struct trace_writer *w)
{
    for (size_t i = 0; i < NRING; i++) {
        if (w->ring[i].buf)
            continue;
        w->ring[i].buf = malloc(CHUNK_BUF_BYTES);
        if (!w->ring[i].buf)
            return false; /* the buffers stay allocated until the writer is freed */
        w->ring[i].cap = CHUNK_BUF_BYTES;
    }
    if (pthread_mutex_init(&w->mu, NULL))
        return false;
    if (pthread_cond_init(&w->more, NULL))
        goto out_mutex;
    if (pthread_cond_init(&w->room, NULL))
        goto out_more;
    w->head = w->tail = 0;
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

/* Waits until the encoder thread has written every chunk handed over (the producer then owns
 * the file's fields until it hands one over again). */
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

/* Starts the encoder thread when the mode asks for it now (the producer owns the file). */
void writer_maybe_thread(struct trace_writer *w)
{
    if (w->thread_live || w->err || !w->may_thread)
        return;
    if (w->thread_mode == TRACE_WRITER_THREAD_ALWAYS ||
        (w->thread_mode == TRACE_WRITER_THREAD_AUTO && !w->flushed && w->ix.nchunks > 0))
        w->may_thread = thread_start(w);
}

/* The chunk being built is full: it goes into the ring's next slot, whose buffer, written
 * already, the producer takes for the next chunk.  The producer waits only when the whole ring
 * waits for the thread. */
void writer_chunk_hand(struct trace_writer *w)
{
    pthread_mutex_lock(&w->mu);
    while (w->head - w->tail >= NRING) {
        w->prod_waiting = true;
        pthread_cond_wait(&w->room, &w->mu);
        w->prod_waiting = false;
    }
    pthread_mutex_unlock(&w->mu);
    /* the slot at head is the producer's until head moves past it */
    struct sealed *c = &w->ring[w->head % NRING];
    uint8_t *buf = c->buf;
    size_t cap = c->cap;
    *c = (struct sealed){w->buf, w->cap, w->len, w->chunk_first, w->enc_seq - w->chunk_first, w->chunk_ns};
    w->buf = buf;
    w->cap = cap;
    pthread_mutex_lock(&w->mu);
    w->head++;
    if (w->enc_waiting)
        pthread_cond_signal(&w->more);
    pthread_mutex_unlock(&w->mu);
}

/* Makes every chunk handed over written: the producer waits until the encoder thread is idle,
 * and owns the file's fields until it hands over a chunk again. */
void writer_encode_all(struct trace_writer *w)
{
    if (w->async)
        thread_drain(w);
}

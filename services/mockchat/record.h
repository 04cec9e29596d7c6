/* The record: what every group received, one JSON line per accepted message,
 * appended to a file that tests and benchmarks read while it grows.
 *
 * Invariant: the file is always a sequence of complete lines. Each line is
 * written with one write(2) on an O_APPEND descriptor under a mutex, so a reader
 * never sees a partial line from a finished append and lines of concurrent
 * requests never interleave. Nothing is buffered in the process: a line is in
 * the file (page cache) before its request is answered. Thread-safe. */
#ifndef MOCKCHAT_RECORD_H
#define MOCKCHAT_RECORD_H
#include <stdint.h>

#include "message.h"

typedef struct record record;

/* Opens path for appending (creating it 0644 if missing). QF_EIO with one logged
 * line naming the reason when it cannot be written. */
int record_open(record **out, const char *path);
/* Appends m as {"ts_ms":..,"group":..,"post":..,"kind":..,"text":..,
 * "idempotency_key":..}, followed by "dialect", "platform_msg_id" and "card"
 * when m has them (the generic dialect's lines have neither). m is borrowed. QF_ECLOSED
 * after record_close, QF_EIO (logged) when the write fails. */
int record_append(record *r, const chat_msg *m, int64_t ts_ms);
/* Appends a recall of an accepted message as {"ts_ms":..,"event":"recalled",
 * "group":..,"post":..,"dialect":..,"platform_msg_id":..}. Errors as
 * record_append. */
int record_append_recall(record *r, const chat_msg *m, int64_t ts_ms);
/* Closes the file; appends after this fail with QF_ECLOSED. The object stays
 * valid until record_free, so late callers never touch freed memory. */
void record_close(record *r);
/* NULL is a no-op. Closes first if still open. */
void record_free(record *r);

#endif

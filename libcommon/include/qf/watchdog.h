/* A last guard on shutdown. NNG 1.5's nng_close can, rarely, wait forever for
 * its own threads (upstream reports of the same hang run through 1.7.3), and the
 * stack is fixed. A process whose durable work is all done (commits made,
 * results confirmed) arms this before it closes its sockets: if it is still
 * alive when the time is up, it logs event=exit_forced and ends with status 0,
 * which is true: nothing is lost, only the tidy-up is skipped. */
#ifndef QF_WATCHDOG_H
#define QF_WATCHDOG_H
#include <stdint.h>

/* How long a process may take to close once its durable work is done. */
#define QF_WATCHDOG_SHUTDOWN_MS 5000

/* Ends the process with _exit(0) after ms unless it has exited by then. Call at
 * most once; what names the step that was running (for the log line).
 * QF_EINTERNAL when the timer thread cannot start (then nothing is armed). */
int qf_watchdog_exit_after(int64_t ms, const char *what);

#endif

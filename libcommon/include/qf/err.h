/* Error codes of qunfa: one list, from which the enum, qf_strerror() and
 * qf_errname() are generated. Functions that can fail return 0 or one of these
 * (negative). The number space is ours alone: errno, LMDB, NNG and CURLcode values
 * are mapped at the boundary. On the wire an RPC status is the positive value. */
#ifndef QF_ERR_H
#define QF_ERR_H

#define QF_ERRNO_MAP(X)                                                                \
  X(EINVAL, 1, "invalid argument")                                                     \
  X(ENOMEM, 2, "out of memory")                                                        \
  X(ENOTFOUND, 3, "not found")                                                         \
  X(ETIMEDOUT, 4, "deadline expired")                                                  \
  X(ETOOBIG, 5, "message too large")                                                   \
  X(EPROTO, 6, "malformed message")                                                    \
  X(EIO, 7, "input/output error")                                                      \
  X(EFULL, 8, "storage full")                                                          \
  X(ECLOSED, 9, "closed")                                                              \
  X(EUNAVAIL, 10, "service unavailable")                                               \
  X(EEXIST, 11, "already exists")                                                      \
  X(EINTERNAL, 12, "internal error")                                                   \
  X(EMETHOD, 13, "unknown method")                                                     \
  X(EBUSY, 14, "busy")                                                                 \
  X(ECANCELED, 15, "cancelled")                                                        \
  X(EADDR, 16, "bad address")

typedef enum qf_err {
  QF_OK = 0,
#define QF_ERR_ENUM(name, num, text) QF_##name = -(num),
  QF_ERRNO_MAP(QF_ERR_ENUM)
#undef QF_ERR_ENUM
} qf_err;

/* A constant sentence for code (never NULL; "unknown error" for unknown codes). */
const char *qf_strerror(int code);
/* The constant name of code without prefix, e.g. "ETIMEDOUT"; "OK" for 0. */
const char *qf_errname(int code);

#endif

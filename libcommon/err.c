#include "qf/err.h"

const char *qf_strerror(int code) {
  switch (code) {
  case QF_OK:
    return "ok";
#define QF_ERR_TEXT(name, num, text)                                                   \
  case QF_##name:                                                                      \
    return text;
    QF_ERRNO_MAP(QF_ERR_TEXT)
#undef QF_ERR_TEXT
  }
  return "unknown error";
}

const char *qf_errname(int code) {
  switch (code) {
  case QF_OK:
    return "OK";
#define QF_ERR_NAME(name, num, text)                                                   \
  case QF_##name:                                                                      \
    return #name;
    QF_ERRNO_MAP(QF_ERR_NAME)
#undef QF_ERR_NAME
  }
  return "EUNKNOWN";
}

#include "gateway.h"

#include "qf/err.h"
#include "qf/log.h"

int gateway_start(gateway **out, const char *url, const hook_env *env) {
  (void)env;
  *out = NULL;
  qf_log_error("gateway_failed", "url=%s err=\"not built yet\"", url);
  return QF_EADDR;
}

void gateway_stop(gateway *g) {
  (void)g;
}

void gateway_free(gateway *g) {
  (void)g;
}

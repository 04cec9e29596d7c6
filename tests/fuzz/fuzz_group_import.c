/* libFuzzer target: group import files, both formats. Any input must end in a set
 * or a line-numbered sentence, never a crash, leak or unterminated string.
 * Built with QUNFA_FUZZ=ON (tests/fuzz/CMakeLists.txt); run by tests/fuzz/run.sh. */
#include "fuzz.h"

#include "qf/group.h"
#include "qf/group_import.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const qf_import_format formats[] = {QF_IMPORT_JSONL, QF_IMPORT_CSV,
                                             QF_IMPORT_AUTO};
  char why[256];

  for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++) {
    qf_group_set *set = NULL;
    size_t line = 0;
    int rc = qf_group_import_parse((const char *)data, size, formats[i], &set, &line,
                                   why, sizeof why);
    if (rc == 0) {
      Qunfa__Group *const *g = qf_group_set_groups(set);
      for (size_t k = 0; k < qf_group_set_count(set); k++) {
        if (qf_group_validate(g[k], NULL, 0) != 0)
          __builtin_trap(); /* the set holds only valid groups */
      }
      qf_group_set_free(set);
    } else if (set != NULL || strlen(why) == 0) {
      __builtin_trap();
    }
  }
  return 0;
}

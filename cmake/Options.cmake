# Every build option of the project, in one place.
option(QUNFA_BUILD_TESTS "Build the unit and integration tests" ON)
option(QUNFA_SANITIZE "Build with AddressSanitizer and UndefinedBehaviorSanitizer" OFF)
option(QUNFA_WERROR "Treat warnings as errors" ON)
option(QUNFA_FUZZ "Build the libFuzzer targets of tests/fuzz (needs clang)" OFF)

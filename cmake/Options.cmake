# Every build option of the project, in one place.
option(QUNFA_BUILD_TESTS "Build the unit and integration tests" ON)
option(QUNFA_SANITIZE "Build with AddressSanitizer and UndefinedBehaviorSanitizer" OFF)
option(QUNFA_WERROR "Treat warnings as errors" ON)

# Generates C from proto/*.proto with protoc-c at build time into the build tree
# (generated code is never committed) and builds it as the qf_proto library.
file(GLOB QF_PROTO_FILES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/proto/*.proto)
set(QF_PROTO_OUT ${CMAKE_BINARY_DIR}/proto)
file(MAKE_DIRECTORY ${QF_PROTO_OUT})
set(QF_PROTO_SRCS)
foreach(proto ${QF_PROTO_FILES})
  get_filename_component(name ${proto} NAME_WE)
  set(c ${QF_PROTO_OUT}/${name}.pb-c.c)
  set(h ${QF_PROTO_OUT}/${name}.pb-c.h)
  add_custom_command(
    OUTPUT ${c} ${h}
    COMMAND ${PROTOC_C} --proto_path=${CMAKE_SOURCE_DIR}/proto --c_out=${QF_PROTO_OUT} ${proto}
    DEPENDS ${proto} ${QF_PROTO_FILES}
    COMMENT "protoc-c ${name}.proto")
  list(APPEND QF_PROTO_SRCS ${c})
endforeach()
add_library(qf_proto STATIC ${QF_PROTO_SRCS})
target_include_directories(qf_proto PUBLIC ${QF_PROTO_OUT})
target_link_libraries(qf_proto PUBLIC PkgConfig::PROTOBUF_C)
set_target_properties(qf_proto PROPERTIES POSITION_INDEPENDENT_CODE ON)
# Generated code is not ours to warn about.
target_compile_options(qf_proto PRIVATE -w)
